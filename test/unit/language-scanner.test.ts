// The allocation-free scanner and the parser built on it, checked against
// the source text itself: every token is exactly the text at its range, the
// tokens are in order and only whitespace lies between them, numbers have
// the value their text says, the lazily built token list is what lex()
// returns, and every keyword and word argument of the tree is the text at
// its range. On the examples, the benchmark plan, generated plans, mutated
// plans and noise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse } from '../../server/src/language/parser';
import { lex } from '../../server/src/language/lexer';
import type { Position, Statement } from '../../server/src/language/ast';
import { EXAMPLES, mutate, mutation, planText } from './plan-arbitraries';
import { generatePlan } from '../../bench/parse.bench';

/** Offsets of line starts, splitting on \r\n, \r and \n (as LSP does). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\r' && text[i + 1] === '\n') i++;
    if (c === '\r' || c === '\n') starts.push(i + 1);
  }
  return starts;
}

const WHITESPACE = new Set([' ', '\t', '\f', '\v', '\u00a0']);

function same(text: string): void {
  const starts = lineStarts(text);
  const offset = (p: Position) => starts[p.line] + p.character;
  const r = parse(text);
  const tokens = lex(text).tokens;
  // Tokens are built on first use; they must be lex()'s tokens all the same.
  assert.deepStrictEqual(r.tokens, tokens);
  let at = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (const t of tokens) {
    const from = offset(t.range.start);
    const to = offset(t.range.end);
    assert.ok(from >= at, `token ${JSON.stringify(t.text)} overlaps the one before`);
    for (const c of text.slice(at, from)) assert.ok(WHITESPACE.has(c), `non-space ${JSON.stringify(c)} between tokens`);
    assert.equal(text.slice(from, to), t.text, `token text at ${JSON.stringify(t.range)}`);
    if (t.kind === 'number' && /^[+-]?\d[\d_]*(\.\d+)?([eE][+-]?\d+)?$/.test(t.text)) {
      assert.equal(t.value, Number(t.text.replace(/_/g, '')), `value of ${t.text}`);
    }
    at = to;
  }
  for (const c of text.slice(at)) assert.ok(WHITESPACE.has(c), `non-space ${JSON.stringify(c)} after the last token`);
  // The tree points back at the text.
  const visit = (statements: Statement[]) => {
    for (const st of statements) {
      assert.equal(text.slice(offset(st.keyword.range.start), offset(st.keyword.range.end)), st.keyword.text);
      for (const a of st.args) {
        if (a.kind === 'word' || a.kind === 'punct') assert.equal(text.slice(offset(a.range.start), offset(a.range.end)), a.text);
        if (a.kind === 'number') assert.equal(text.slice(offset(a.range.start), offset(a.range.start) + a.raw.length), a.raw);
      }
      if (st.block) visit(st.block.statements);
    }
  };
  visit(r.document.statements);
}

/** Characters that make tokens interesting: numbers with fractions, exponents, `_`, signs, units, strings with escapes. */
const TOKENISH = fc.constantFrom(
  '0',
  '1',
  '7',
  '12',
  '007',
  '4095',
  '4096',
  '123456789012345',
  '1234567890123456',
  '99999999999999999999',
  '-',
  '+',
  '_',
  '.',
  '..',
  'e',
  'E',
  'e-',
  '%',
  ' ',
  '  ',
  '\t',
  '\n',
  '\r',
  '\r\n',
  ';',
  '{',
  '}',
  ':',
  ',',
  '=',
  '"',
  '\\',
  '\\n',
  '\\"',
  '#',
  'GiB',
  'GB/s',
  'us',
  'µs',
  'tokens',
  'gib',
  'x',
  'gpu',
  'layer',
  'a100-80g',
  'é',
  '🚀',
  '@',
  '\u00a0',
  '\ufeff',
  '\u2028',
);

test('tokens and tree match the text on the examples and the benchmark plan', () => {
  for (const e of EXAMPLES) same(e.text);
  same(generatePlan().text);
  same('');
  same('\ufeffmodel dbrx\r\ngpu h100 x 2 # c\r\n');
});

test('property: tokens and tree match the text on token-rich noise', () => {
  fc.assert(
    fc.property(
      fc.array(TOKENISH, { maxLength: 80 }).map((a) => a.join('')),
      same,
    ),
    { numRuns: 500 },
  );
});

test('property: tokens and tree match the text on any string', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), same), { numRuns: 300 });
});

test('property: tokens and tree match the text on generated and mutated plans', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        planText,
        fc.tuple(fc.constantFrom(...EXAMPLES.map((e) => e.text)), fc.array(mutation, { minLength: 1, maxLength: 6 })).map(([t, m]) => mutate(t, m)),
      ),
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
  assert.deepEqual(nums, [
    ['007', 7],
    ['1_000', 1000],
    ['2.5', 2.5],
    ['1e3', 1000],
    ['123456789012345', 123456789012345],
  ]);
});

test('positions past the shared range (long lines) are exact', () => {
  const long = 'placement {\n  layer 0 {\n    gpu 0: ' + Array.from({ length: 120 }, (_, i) => String(i)).join(' ') + '\n  }\n}\n';
  same(long);
  const r = parse(long);
  const last = r.document.statements[0].block!.statements[0].block!.statements[0].args.at(-1)!;
  assert.ok(last.range.start.character > 200);
  assert.equal(long.split('\n')[2].slice(last.range.start.character, last.range.end.character), '119');
});
