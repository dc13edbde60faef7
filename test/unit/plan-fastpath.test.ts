// Re-reading only what changed (the incremental parse, the replay of kept
// layer statements, the reuse of clean committed layers) gives exactly what
// a fresh check of the same text gives: same plan, same diagnostics with the
// same fixes, at every step of random edits to committed layers full of
// mistakes, generated plans and the examples, and after edits elsewhere that
// change what a kept layer means.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkText } from '../../server/src/plan/check';
import { EXAMPLES } from './plan-arbitraries';
import { generatedPlan } from '../../bench/lsp.bench';
import type { ParseResult } from '../../server/src/language/parser';

const fileExists = (p: string) => p.endsWith('.jsonl');

/** Committed layers with duplicates, unknown ids, merged lines, constraints, replicas settings. */
const committedPlan: fc.Arbitrary<string> = fc
  .record({
    model: fc.constantFrom('mixtral-8x7b', 'dbrx', 'olmoe-1b-7b', 'custom { layers 4; experts 6; top-k 2; hidden 64; expert-ffn 64 }'),
    gpus: fc.integer({ min: 1, max: 5 }),
    slots: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
    options: fc.subarray([
      'replicas off',
      'max-copies 2',
      'pin expert 1 on gpu 0',
      'pin expert 3 on gpu 1 layer 1',
      'forbid gpu 1',
      'forbid expert 2 on gpu 0 layer 0',
      'forbid expert 0 on gpu 9',
    ]),
    offload: fc.boolean(),
    layers: fc.array(
      fc.record({
        head: fc.constantFrom('0', '1', '2', '0..1', '1..3', '40', 'x'),
        lines: fc.array(
          fc.record({
            gpu: fc.constantFrom('0', '1', '2', '3', '7', 'a', '1.5'),
            colon: fc.constantFrom(':', ':', ':', ''),
            ids: fc.array(fc.oneof(fc.integer({ min: 0, max: 17 }).map(String), fc.constantFrom('0..3', '4..7', '2..1', ',', '1.5', 'x', '3 GiB', '12..15')), {
              maxLength: 9,
            }),
          }),
          { maxLength: 6 },
        ),
      }),
      { maxLength: 4 },
    ),
  })
  .map((r) => {
    const out = [`model ${r.model}`, `gpu h100-sxm x ${r.gpus}`];
    if (r.slots !== undefined) out.push(`slots ${r.slots} per gpu`);
    out.push('placement {', '  policy greedy', ...r.options.map((o) => '  ' + o));
    for (const l of r.layers) {
      out.push(`  layer ${l.head} {`);
      for (const g of l.lines) out.push(`    gpu ${g.gpu}${g.colon} ${g.ids.join(' ')}`);
      out.push('  }');
    }
    out.push('}');
    if (r.offload) out.push('offload {', '  policy lru', '}');
    return out.join('\n') + '\n';
  });

test('property: a fresh check gives the same result twice on committed layers full of mistakes (nothing leaks between checks)', () => {
  fc.assert(
    fc.property(committedPlan, (t) => {
      const a = checkText(t, '/plans/p.moeplan', { fileExists });
      const b = checkText(t, '/plans/p.moeplan', { fileExists });
      assert.deepStrictEqual(b.diagnostics, a.diagnostics);
      assert.deepStrictEqual(b.plan, a.plan);
    }),
    { numRuns: 200 },
  );
});

/** An edit as typed in an editor: mostly inside one line (numbers, spaces, words), sometimes a line break. */
const typing = fc.record({
  line: fc.nat(),
  col: fc.nat(),
  del: fc.integer({ min: 0, max: 3 }),
  ins: fc.constantFrom('', '1', '7', ' ', '9 ', 'x', '..3', ':', ',', '#', '}', '\n'),
});

function typeInto(text: string, e: { line: number; col: number; del: number; ins: string }): string {
  const lines = text.split('\n');
  const l = e.line % lines.length;
  const c = e.col % (lines[l].length + 1);
  lines[l] = lines[l].slice(0, c) + e.ins + lines[l].slice(c + e.del);
  return lines.join('\n');
}

const smallCommitted = generatedPlan()
  .split('\n')
  .filter((line, i, all) => i < 60 || i >= all.length - 3)
  .join('\n');

test('property: editing a plan in steps (re-parsing and re-reading only what changed) gives the result of a fresh check at every step', () => {
  fc.assert(
    fc.property(
      fc.oneof(committedPlan, fc.constantFrom(smallCommitted, EXAMPLES[0].text, EXAMPLES[1].text)),
      fc.array(typing, { minLength: 1, maxLength: 6 }),
      (base, edits) => {
        let prevText = base;
        let prev: ParseResult = checkText(base, '/plans/p.moeplan', { fileExists }).parse;
        for (const e of edits) {
          const text = typeInto(prevText, e);
          const got = checkText(text, '/plans/p.moeplan', { fileExists }, { text: prevText, result: prev });
          const want = checkText(text, '/plans/p.moeplan', { fileExists });
          assert.deepStrictEqual(got.diagnostics, want.diagnostics);
          assert.deepStrictEqual(got.plan, want.plan);
          assert.deepStrictEqual(got.parse.document, want.parse.document);
          prevText = text;
          prev = got.parse;
        }
      },
    ),
    { numRuns: 250 },
  );
});

test('an edit elsewhere that changes what a kept layer means is seen (models, GPUs, slots, constraints, layer numbers)', () => {
  const base = [
    'model mixtral-8x7b',
    'gpu h100-sxm x 4',
    'slots 4 per gpu',
    'placement {',
    '  policy greedy',
    '  replicas on',
    '  max-copies 3',
    '  pin expert 1 on gpu 0',
    '  forbid expert 6 on gpu 3',
    '  layer 0 {',
    '    gpu 0: 0 1',
    '    gpu 1: 2 3',
    '    gpu 2: 4 5',
    '    gpu 3: 6 7',
    '  }',
    '  layer 1..2 {',
    '    gpu 0: 1 2',
    '    gpu 1: 3 4',
    '    gpu 2: 5 6',
    '    gpu 3: 7 0 1',
    '  }',
    '}',
    '',
  ].join('\n');
  const custom = base.replace('model mixtral-8x7b', 'model custom "tiny" {\n  layers 4\n  experts 8\n  top-k 2\n  hidden 64\n  expert-ffn 64\n}');
  const edits: [string, string][] = [
    ['x 4', 'x 3'],
    ['x 4', 'x 8'],
    ['slots 4', 'slots 1'],
    ['mixtral-8x7b', 'dbrx'],
    ['pin expert 1', 'pin expert 7'],
    ['forbid expert 6', 'forbid expert 7'],
    ['replicas on', 'replicas no'],
    ['layer 1..2', 'layer 1..1'],
    ['layer 0 {', 'layer 1 {'],
    ['max-copies 3', 'max-copies 1'],
  ];
  const step = (from: string, to: string, prev: ParseResult) => {
    const got = checkText(to, '/plans/p.moeplan', { fileExists }, { text: from, result: prev });
    const want = checkText(to, '/plans/p.moeplan', { fileExists });
    assert.deepStrictEqual(got.diagnostics, want.diagnostics, to);
    assert.deepStrictEqual(got.plan, want.plan, to);
    return got.parse;
  };
  for (const [text, a, b] of [...edits.map(([a, b]) => [base, a, b]), [custom, 'experts 8', 'experts 6'], [custom, 'experts 8', 'experts 9']]) {
    assert.ok(text.includes(a), a);
    const changed = text.replace(a, b);
    const first = checkText(text, '/plans/p.moeplan', { fileExists }).parse;
    const second = step(text, changed, first);
    step(changed, text, second);
  }
});
