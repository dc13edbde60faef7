// docs/diagnostics.md explains every code the checker (server/src/plan/codes.ts)
// and the analysis feedback (server/src/feedback/codes.ts) produce, and the
// link the language server attaches to each diagnostic (codeDescription)
// leads to that code's heading.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CODES } from '../../server/src/plan/codes';
import { FeedbackCode } from '../../server/src/feedback/codes';
import { toLspDiagnostic } from '../../server/src/lsp/convert';
import { ROOT } from './plan-arbitraries';

const doc = readFileSync(join(ROOT, 'docs', 'diagnostics.md'), 'utf8');
const allCodes = [...Object.keys(CODES), ...Object.values(FeedbackCode)];

/** Heading anchors as GitHub (and VS Code's preview) make them: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const withoutFences = markdown.replace(/```[\s\S]*?```/g, '');
  for (const m of withoutFences.matchAll(/^#{1,6} +(.+?) *#* *$/gm)) {
    const base = m[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

test('the anchor rule matches GitHub on known headings', () => {
  const a = headingAnchors('# Diagnostics\n## MP1xx: syntax and values\n### MP211 (warning)\n### MP104\n```\n# not a heading\n```\n### MP104\n');
  assert.deepEqual([...a], ['diagnostics', 'mp1xx-syntax-and-values', 'mp211-warning', 'mp104', 'mp104-1']);
});

test('docs/diagnostics.md explains every checker and feedback code, and no other', () => {
  const headed = [...doc.matchAll(/^#+ (MP\d{3})\b/gm)].map((m) => m[1]);
  for (const code of allCodes) assert.ok(headed.includes(code), `${code} missing from docs/diagnostics.md`);
  for (const code of headed) assert.ok(allCodes.includes(code), `docs/diagnostics.md explains ${code}, which no code list defines`);
  assert.equal(new Set(headed).size, headed.length, 'a code is explained twice');
  assert.equal(new Set(allCodes).size, allCodes.length, 'a code is defined twice');
});

test('every entry says something beyond its heading', () => {
  for (const code of allCodes) {
    const body = doc.split(new RegExp(`^#+ ${code}\\b.*$`, 'm'))[1]?.split(/^#+ /m)[0] ?? '';
    assert.ok(body.replace(/```[\s\S]*?```/g, '').trim().length >= 40, `${code}: the entry is empty or too short`);
  }
});

test("the language server's codeDescription link for every code resolves to its heading", () => {
  const anchors = headingAnchors(doc);
  const repo = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { repository: { url: string } }).repository.url.replace(/\.git$/, '');
  for (const code of allCodes) {
    const lsp = toLspDiagnostic(
      { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, severity: 'error', code, message: 'm' },
      'file:///p.moeplan',
      { index: 0, version: 1, source: 'core' },
    );
    const href = lsp.codeDescription?.href;
    assert.ok(href, `${code}: no codeDescription`);
    const url = new URL(href);
    assert.equal(`${url.origin}${url.pathname}`, `${repo}/blob/main/docs/diagnostics.md`, `${code}: link to the wrong page`);
    const anchor = url.hash.slice(1);
    assert.ok(anchors.has(anchor), `${code}: #${anchor} is not a heading anchor of docs/diagnostics.md`);
    assert.equal(anchor, code.toLowerCase());
  }
});
