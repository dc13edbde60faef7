// The examples in docs/language.md are real: they parse, and the complete
// ones check clean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '../../server/src/language/parser';
import { checkText } from '../../server/src/plan/check';
import { ROOT } from './plan-arbitraries';

const doc = readFileSync(join(ROOT, 'docs', 'language.md'), 'utf8');
const blocks = [...doc.matchAll(/```(\w*)\n([\s\S]*?)```/g)].filter((m) => m[1] === '').map((m) => m[2]);

test('every plan snippet in docs/language.md parses without syntax errors', () => {
  assert.ok(blocks.length >= 10);
  for (const b of blocks) {
    if (b.includes('floor(')) continue; // the slots formula
    assert.deepEqual(
      parse(b).diagnostics.map((d) => d.message),
      [],
      b,
    );
  }
});

test('snippets that are whole plans check clean', () => {
  let whole = 0;
  for (const b of blocks) {
    if (!/^model /m.test(b) || !/^gpu /m.test(b)) continue;
    whole++;
    const r = checkText(b, join(ROOT, 'docs', 'snippet.moeplan'));
    assert.deepEqual(
      r.diagnostics.filter((d) => d.severity !== 'information').map((d) => d.message),
      [],
      b,
    );
  }
  assert.ok(whole >= 1);
});

test('snippets of single constructs have no errors inside a minimal plan', () => {
  let n = 0;
  for (const b of blocks) {
    if (!/^(workload|placement|offload|link|reserve|gpu custom|model )/.test(b) || (/^model /m.test(b) && /^gpu /m.test(b))) continue;
    n++;
    const prefix = (/^model /m.test(b) ? '' : 'model mixtral-8x7b\n') + (/^gpu /m.test(b) ? '' : 'gpu h100 x 32\n');
    // Two models in one snippet are alternatives: check each alone.
    for (const part of b.split(/\n(?=model )/)) {
      const r = checkText(prefix + part, join(ROOT, 'docs', 'snippet.moeplan'), { fileExists: () => true });
      assert.deepEqual(
        r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`),
        [],
        part,
      );
    }
  }
  assert.ok(n >= 6, `${n} snippets`);
});
