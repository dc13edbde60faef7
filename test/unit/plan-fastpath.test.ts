// The resolver's fast path for committed layers gives exactly what the
// resolver gave before it (kept verbatim in plan-reference/): same plan,
// same diagnostics with the same fixes, on the examples, the benchmark plan,
// generated plans, mutated plans and committed layers full of mistakes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkText } from '../../server/src/plan/check';
import { checkText as referenceCheckText } from './plan-reference/check';
import { EXAMPLES, mutate, mutation, planText } from './plan-arbitraries';
import { generatePlan } from '../../bench/parse.bench';

const fileExists = (p: string) => p.endsWith('.jsonl');

function same(text: string, file = '/plans/p.moeplan'): void {
  const got = checkText(text, file, { fileExists });
  const want = referenceCheckText(text, file, { fileExists });
  assert.deepStrictEqual(got.diagnostics, want.diagnostics);
  assert.deepStrictEqual(got.plan, want.plan);
  assert.deepStrictEqual(got.parse.document, want.parse.document);
}

/** Committed layers with duplicates, unknown ids, merged lines, constraints, replicas settings. */
const committedPlan: fc.Arbitrary<string> = fc
  .record({
    model: fc.constantFrom('mixtral-8x7b', 'dbrx', 'olmoe-1b-7b', 'custom { layers 4; experts 6; top-k 2; hidden 64; expert-ffn 64 }'),
    gpus: fc.integer({ min: 1, max: 5 }),
    slots: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
    options: fc.subarray(['replicas off', 'max-copies 2', 'pin expert 1 on gpu 0', 'pin expert 3 on gpu 1 layer 1', 'forbid gpu 1', 'forbid expert 2 on gpu 0 layer 0', 'forbid expert 0 on gpu 9']),
    offload: fc.boolean(),
    layers: fc.array(
      fc.record({
        head: fc.constantFrom('0', '1', '2', '0..1', '1..3', '40', 'x'),
        lines: fc.array(
          fc.record({
            gpu: fc.constantFrom('0', '1', '2', '3', '7', 'a', '1.5'),
            colon: fc.constantFrom(':', ':', ':', ''),
            ids: fc.array(fc.oneof(fc.integer({ min: 0, max: 17 }).map(String), fc.constantFrom('0..3', '4..7', '2..1', ',', '1.5', 'x', '3 GiB', '12..15')), { maxLength: 9 }),
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

test('fast path matches the reference on the examples and the benchmark plan', () => {
  for (const e of EXAMPLES) same(e.text, e.path);
  same(generatePlan().text);
});

test('property: same plan and diagnostics as the reference on committed layers full of mistakes', () => {
  fc.assert(fc.property(committedPlan, (t) => same(t)), { numRuns: 400 });
});

test('property: same plan and diagnostics as the reference on generated and mutated plans', () => {
  fc.assert(
    fc.property(
      fc.oneof(planText, fc.tuple(fc.constantFrom(...EXAMPLES.map((e) => e.text)), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([t, m]) => mutate(t, m))),
      (t) => same(t),
    ),
    { numRuns: 150 },
  );
});
