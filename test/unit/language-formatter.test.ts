import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse } from '../../server/src/language/parser';
import { formatText } from '../../server/src/language/formatter';
import type { Comment, Statement, Value } from '../../server/src/language/ast';
import { EXAMPLES, mutate, mutation, planText } from './plan-arbitraries';

/** What a document means, without layout: keywords, values (with units), blocks. */
function meaning(text: string): unknown {
  const val = (v: Value): unknown => {
    switch (v.kind) {
      case 'number':
        return ['n', v.value, v.unit?.text ?? null];
      case 'range':
        return ['r', v.from.value, v.to.value, v.from.unit?.text ?? null, v.to.unit?.text ?? null];
      case 'string':
        return ['s', v.value];
      case 'word':
        return ['w', v.text];
      case 'punct':
        return ['p', v.text];
    }
  };
  const st = (s: Statement): unknown => [s.keyword.text, s.args.map(val), s.block ? s.block.statements.map(st) : null];
  return parse(text).document.statements.map(st);
}

function comments(text: string): string[] {
  const out: string[] = [];
  const add = (c: Comment | undefined) => c && out.push(c.text.trimEnd());
  const walk = (ss: Statement[]) => {
    for (const s of ss) {
      s.leadingComments.forEach(add);
      add(s.trailingComment);
      if (s.block) {
        add(s.block.openComment);
        walk(s.block.statements);
        s.block.trailingComments.forEach(add);
      }
    }
  };
  const d = parse(text).document;
  walk(d.statements);
  d.trailingComments.forEach(add);
  return out.sort();
}

function fmt(text: string): string {
  const r = formatText(text);
  assert.ok('text' in r, 'error' in r ? r.error : '');
  return r.text;
}

test('examples are already in canonical form', () => {
  for (const e of EXAMPLES) assert.equal(fmt(e.text), e.text, e.name);
});

test('canonical layout: indentation, spacing, units, punctuation, blank lines, comments', () => {
  const messy =
    '#top\n\n\n\nmodel   mixtral-8x7b#c1\ngpu h100 x 2;reserve 16GiB per gpu\nworkload{ # open\nbatch 4   tokens\n\n\n  phase decode output 256tokens\n    # end of workload\n}\nplacement {\nlayer 0..1 {gpu 0 : 0..3 , 5;gpu 1:4..7}\n}\nx 12 %\n\n# trailing\n';
  const want =
    '#top\n\nmodel mixtral-8x7b  #c1\ngpu h100 x 2\nreserve 16 GiB per gpu\nworkload {  # open\n  batch 4 tokens\n\n  phase decode output 256 tokens\n  # end of workload\n}\nplacement {\n  layer 0..1 {\n    gpu 0: 0..3, 5\n    gpu 1: 4..7\n  }\n}\nx 12%\n\n# trailing\n';
  assert.equal(fmt(messy), want);
  assert.equal(fmt(want), want);
});

test('empty blocks, CRLF files and empty files', () => {
  assert.equal(fmt('offload {\n}\n'), 'offload {}\n');
  assert.equal(fmt('model dbrx\r\ngpu h200 x 4\r\n'), 'model dbrx\r\ngpu h200 x 4\r\n');
  assert.equal(fmt(''), '');
  assert.equal(fmt('\n\n# only a comment'), '# only a comment\n');
});

test('unknown attached units stay attached so the meaning cannot change', () => {
  const t = 'model 8x7b\nreserve 5Gib\n';
  assert.deepEqual(meaning(fmt(t)), meaning(t));
  assert.equal(fmt(t), 'model 8x7b\nreserve 5 Gib\n');
});

test('text with syntax errors is refused with the line of the first error', () => {
  const r = formatText('model dbrx\nworkload {\n  batch 1\n');
  assert.ok('error' in r);
  assert.match(r.error, /line 2/);
  assert.ok('error' in formatText('reserve "open\n'));
});

const sources = fc.oneof(
  planText,
  fc.tuple(fc.constantFrom(...EXAMPLES.map((e) => e.text)), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([t, m]) => mutate(t, m)),
);

test('property: formatting is idempotent, keeps every comment and never changes the meaning', () => {
  let formatted = 0;
  fc.assert(
    fc.property(sources, (text) => {
      const r = formatText(text);
      if ('error' in r) {
        assert.ok(parse(text).diagnostics.some((d) => d.severity === 'error'));
        return;
      }
      formatted++;
      assert.equal(fmt(r.text), r.text);
      assert.deepEqual(meaning(r.text), meaning(text));
      assert.deepEqual(comments(r.text), comments(text));
      assert.deepEqual(parse(r.text).diagnostics, []);
    }),
    { numRuns: 400 },
  );
  assert.ok(formatted > 100, `only ${formatted} inputs were formattable`);
});
