// The language server survives anything a user can type: random and mutated
// plans are sent to the bundled server over stdio, and every feature is
// asked for at random positions. Each answer must be well formed (ranges
// inside the document, edits that apply) and the server must stay up.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { CodeAction, CodeLens, Diagnostic, FoldingRange, Hover, InlayHint, Range, SemanticTokens, TextEdit } from 'vscode-languageserver-protocol';
import { LspClient, fileUri } from './harness';
import { EXAMPLES, lineLengths, mutate, mutation, planText, rangeProblem } from '../unit/plan-arbitraries';
import { applyEdits } from '../../server/src/lsp/textDiff';
import { checkText } from '../../server/src/plan/check';

let c: LspClient;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'moeplan-robust-'));
  // Saves are not sent, so no solver runs: this is about the fast features.
  c = await LspClient.start({ workspace: dir });
});
after(async () => {
  await c.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Random and mutated plans: generated ones, and the examples with edits. */
const documents = fc.oneof(
  planText,
  fc.tuple(fc.constantFrom(...EXAMPLES.map((e) => e.text)), fc.array(mutation, { minLength: 1, maxLength: 6 })).map(([t, m]) => mutate(t, m)),
  fc.tuple(planText, fc.array(mutation, { minLength: 1, maxLength: 10 })).map(([t, m]) => mutate(t, m)),
);

function checkRange(r: Range | undefined, lens: number[], what: string): void {
  assert.ok(r, `${what}: missing range`);
  const p = rangeProblem(r, lens);
  assert.equal(p, undefined, `${what}: ${p} ${JSON.stringify(r)}`);
}

test('every feature answers well-formed on random and mutated plans; the server stays up', async () => {
  const fsPath = join(dir, 'fuzz.moeplan');
  const uri = fileUri(fsPath);
  await c.open(uri, '# empty\n');
  await c.diagnosticsFor(uri, 1);
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(documents, fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 3, maxLength: 3 }), async (text, spots) => {
      runs++;
      const version = await c.change(uri, text);
      const lens = lineLengths(text);
      const diags = await c.diagnosticsFor(uri, version);
      for (const d of diags.diagnostics as Diagnostic[]) {
        checkRange(d.range, lens, `diagnostic ${String(d.code)}`);
        assert.ok(d.message.length > 0, 'diagnostic without a message');
      }
      // The server reuses parts of the previous parse between versions; what
      // it publishes must be what a fresh check of the same text reports.
      const key = (d: { code?: unknown; message: string; range: Range }) =>
        `${String(d.code)} ${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character} ${d.message}`;
      const fresh = checkText(text, fsPath).diagnostics.map(key).sort();
      assert.deepEqual((diags.diagnostics as Diagnostic[]).map(key).sort(), fresh);
      const doc = { textDocument: { uri } };
      const positions = spots.map(([l, ch]) => {
        const line = l % lens.length;
        return { line, character: ch % (lens[line] + 1) };
      });
      for (const position of positions) {
        const hover = await c.request<Hover | null>('textDocument/hover', { ...doc, position });
        if (hover?.range) checkRange(hover.range, lens, 'hover');
        const completion = await c.request<unknown>('textDocument/completion', { ...doc, position });
        assert.ok(completion === null || Array.isArray(completion) || typeof completion === 'object');
        await c.request('textDocument/definition', { ...doc, position });
      }
      const whole: Range = { start: { line: 0, character: 0 }, end: { line: lens.length - 1, character: lens[lens.length - 1] } };
      const actions = await c.request<CodeAction[] | null>('textDocument/codeAction', {
        ...doc,
        range: whole,
        context: { diagnostics: diags.diagnostics },
      });
      for (const a of actions ?? []) {
        for (const edits of Object.values(a.edit?.changes ?? {})) for (const e of edits) checkRange(e.range, lens, `code action "${a.title}"`);
      }
      const tokens = await c.request<SemanticTokens | null>('textDocument/semanticTokens/full', doc);
      assert.ok(tokens === null || tokens.data.length % 5 === 0, 'semantic tokens come in fives');
      const symbols = await c.request<unknown[] | null>('textDocument/documentSymbol', doc);
      assert.ok(symbols === null || Array.isArray(symbols));
      const folds = await c.request<FoldingRange[] | null>('textDocument/foldingRange', doc);
      for (const f of folds ?? []) assert.ok(f.startLine <= f.endLine && f.endLine < lens.length, `fold ${JSON.stringify(f)}`);
      const hints = await c.request<InlayHint[] | null>('textDocument/inlayHint', { ...doc, range: whole });
      for (const h of hints ?? []) checkRange({ start: h.position, end: h.position }, lens, 'inlay hint');
      const lenses = await c.request<CodeLens[] | null>('textDocument/codeLens', doc);
      for (const l of lenses ?? []) checkRange(l.range, lens, 'code lens');
      const formatted = await c.request<TextEdit[] | null>('textDocument/formatting', { ...doc, options: { tabSize: 2, insertSpaces: true } });
      for (const e of formatted ?? []) checkRange(e.range, lens, 'formatting edit');
      // Formatting edits apply cleanly (non-overlapping); the result parses again without new syntax errors.
      if (formatted && formatted.length > 0) applyEdits(text, formatted);
      const ranged = await c.request<TextEdit[] | null>('textDocument/rangeFormatting', {
        ...doc,
        range: { start: positions[0], end: positions[positions.length - 1].line >= positions[0].line ? positions[positions.length - 1] : positions[0] },
        options: { tabSize: 2, insertSpaces: true },
      });
      for (const e of ranged ?? []) checkRange(e.range, lens, 'range formatting edit');
    }),
    { numRuns: 40, seed: Number(process.env.MOEPLAN_FUZZ_SEED ?? 20261123) },
  );
  assert.equal(runs >= 40, true);
  assert.equal(c.child.exitCode, null, `the server exited: ${c.logs.join('').slice(-1000)}`);
  // And it still does real work afterwards.
  const v = await c.change(uri, 'model mixtral-8x7\n');
  const d = await c.diagnosticsFor(uri, v);
  assert.ok(
    d.diagnostics.some((x) => x.code === 'MP201' || /preset|model/i.test(x.message)),
    JSON.stringify(d.diagnostics),
  );
});

/** An edit inside one line, as an editor sends it: a range and its new text. */
const lineEdit = fc.record({
  line: fc.nat(),
  at: fc.nat(),
  remove: fc.integer({ min: 0, max: 4 }),
  insert: fc.constantFrom('', '1', '9', ' ', 'x', '..', ':', '#', '{', '}', 'gpu', ' 3', '0', '-', '"'),
});

test('typing inside lines of a clean plan (incremental changes) publishes what a fresh check reports', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...EXAMPLES.map((e) => e.text)), fc.array(lineEdit, { minLength: 1, maxLength: 12 }), async (start, edits) => {
      // A document of its own per run: no message of an earlier run can match.
      const fsPath = join(dir, `typing-${run++}.moeplan`);
      const uri = fileUri(fsPath);
      let text = start;
      await c.open(uri, text);
      await c.diagnosticsFor(uri, 1);
      let version = 1;
      for (const e of edits) {
        const lines = text.split('\n');
        const line = e.line % lines.length;
        const at = e.at % (lines[line].length + 1);
        const end = Math.min(lines[line].length, at + e.remove);
        lines[line] = lines[line].slice(0, at) + e.insert + lines[line].slice(end);
        text = lines.join('\n');
        version++;
        await c.conn.sendNotification('textDocument/didChange', {
          textDocument: { uri, version },
          contentChanges: [{ range: { start: { line, character: at }, end: { line, character: end } }, text: e.insert }],
        });
      }
      const published = await c.diagnosticsFor(uri, version);
      const key = (d: { code?: unknown; message: string; range: Range }) =>
        `${String(d.code)} ${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character} ${d.message}`;
      const fresh = checkText(text, fsPath).diagnostics.map(key).sort();
      // Opening a clean example solves it; the solver's MP8xx diagnostics from
      // that analysis stay until the next one (by design), so compare the rest.
      const fromText = (published.diagnostics as Diagnostic[]).filter((d) => !/^MP8\d\d$/.test(String(d.code)));
      assert.deepEqual(fromText.map(key).sort(), fresh);
      // Formatting reads the same text the server holds.
      const formatted = await c.request<TextEdit[] | null>('textDocument/formatting', { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } });
      if (formatted && formatted.length > 0) applyEdits(text, formatted);
      await c.close(uri);
    }),
    { numRuns: 30, seed: Number(process.env.MOEPLAN_FUZZ_SEED ?? 20261123) },
  );
  assert.equal(c.child.exitCode, null, `the server exited: ${c.logs.join('').slice(-1000)}`);
});
