// The allocation-free scanner and the parser built on it give exactly what
// the token-list lexer and parser gave (kept verbatim in
// language-reference.ts): same tree, same tokens, same diagnostics, on the
// examples, the benchmark plan, generated plans, mutated plans and noise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse } from '../../server/src/language/parser';
import { lex } from '../../server/src/language/lexer';
import { referenceLex, referenceParse } from './language-reference';
import { EXAMPLES, mutate, mutation, planText } from './plan-arbitraries';
import { generatePlan } from '../../bench/parse.bench';

function same(text: string): void {
  const got = parse(text);
  const want = referenceParse(text);
  assert.deepStrictEqual(got.document, want.document);
  assert.deepStrictEqual(got.diagnostics, want.diagnostics);
  // Tokens are built on first use; they must be the reference's tokens all the same.
  assert.deepStrictEqual(got.tokens, want.tokens);
  assert.deepStrictEqual(lex(text), referenceLex(text));
}

/** Characters that make tokens interesting: numbers with fractions, exponents, `_`, signs, units, strings with escapes. */
const TOKENISH = fc.constantFrom(
  '0', '1', '7', '12', '007', '4095', '4096', '123456789012345', '1234567890123456', '99999999999999999999',
  '-', '+', '_', '.', '..', 'e', 'E', 'e-', '%', ' ', '  ', '\t', '\n', '\r', '\r\n', ';', '{', '}', ':', ',', '=',
  '"', '\\', '\\n', '\\"', '#', 'GiB', 'GB/s', 'us', 'µs', 'tokens', 'gib', 'x', 'gpu', 'layer', 'a100-80g', 'é', '🚀', '@', '\u00a0', '\ufeff', '\u2028',
);

test('scanner and parser match the reference on the examples and the benchmark plan', () => {
  for (const e of EXAMPLES) same(e.text);
  same(generatePlan().text);
  same('');
  same('\ufeffmodel dbrx\r\ngpu h100 x 2 # c\r\n');
});

test('property: same trees, tokens and diagnostics as the reference on token-rich noise', () => {
  fc.assert(
    fc.property(fc.array(TOKENISH, { maxLength: 80 }).map((a) => a.join('')), same),
    { numRuns: 500 },
  );
});

test('property: same results as the reference on any string', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), same), { numRuns: 300 });
});

test('property: same results as the reference on generated and mutated plans', () => {
  fc.assert(
    fc.property(
      fc.oneof(planText, fc.tuple(fc.constantFrom(...EXAMPLES.map((e) => e.text)), fc.array(mutation, { minLength: 1, maxLength: 6 })).map(([t, m]) => mutate(t, m))),
      same,
    ),
    { numRuns: 300 },
  );
});

test('repeated words and small numbers share their text; values are exact', () => {
  const r = parse('gpu 0: 1 2 3\ngpu 1: 1 2 3\nx 007 1_000 2.5 1e3 123456789012345\n');
  const [a, b, c] = r.document.statements;
  assert.equal(a.keyword.text, 'gpu');
  assert.equal(a.keyword.text, b.keyword.text);
  const nums = c.args.map((v) => (v.kind === 'number' ? [v.raw, v.value] : []));
  assert.deepEqual(nums, [['007', 7], ['1_000', 1000], ['2.5', 2.5], ['1e3', 1000], ['123456789012345', 123456789012345]]);
});

test('positions past the shared range (long lines) are the same as the reference', () => {
  const long = 'placement {\n  layer 0 {\n    gpu 0: ' + Array.from({ length: 120 }, (_, i) => String(i)).join(' ') + '\n  }\n}\n';
  same(long);
  const r = parse(long);
  const last = r.document.statements[0].block!.statements[0].block!.statements[0].args.at(-1)!;
  assert.ok(last.range.start.character > 200);
  assert.equal(long.split('\n')[2].slice(last.range.start.character, last.range.end.character), '119');
});
