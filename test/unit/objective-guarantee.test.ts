// The default policy on the latency objective, layer by layer: never slower
// than the baselines, one copy per expert and the E[T] optimum on the same
// fresh batches; and at batch 1 under balanced dispatch, the E[T] solvers'
// own answer (the proofs stay).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { analyzeLayer } from '../../server/src/analysis/layer';
import { checkText } from '../../server/src/plan/check';
import type { Plan } from '../../server/src/plan/types';
import { generateSynthetic } from '../../server/src/workload/synthetic';

function planOf(text: string): Plan {
  const r = checkText(text, '/tmp/guarantee.moeplan');
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(
    errors.map((d) => d.message),
    [],
  );
  return r.plan!;
}

const caseArb = fc.record({
  experts: fc.constantFrom(8, 16),
  k: fc.constantFrom(2, 4),
  gpus: fc.constantFrom(2, 4),
  extraSlots: fc.integer({ min: 0, max: 3 }),
  batch: fc.constantFrom(1, 4, 32, 256),
  dispatch: fc.constantFrom('static', 'random', 'balanced'),
  nodes: fc.constantFrom(1, 2),
  seed: fc.integer({ min: 1, max: 10_000 }),
  skew: fc.constantFrom(0.5, 1.2),
});

test('the default policy is never slower than any baseline, one copy per expert or the E[T] optimum (random instances)', () => {
  fc.assert(
    fc.property(caseArb, (c) => {
      const slots = Math.ceil(c.experts / c.gpus) + c.extraSlots;
      const plan = planOf(`model custom "R" {
  layers 1
  experts ${c.experts}
  top-k ${c.k}
  hidden 2048
  expert-ffn 1024
}
gpu h100 x ${c.gpus} in ${c.nodes} nodes
slots ${slots} per gpu
workload {
  synthetic tokens 2000 seed ${c.seed} skew ${c.skew} concentration 0.6 topics 4
  batch ${c.batch} tokens
}
placement {
  dispatch ${c.dispatch}
}
`);
      const w = generateSynthetic(
        { kind: 'synthetic', tokens: 2000, seed: c.seed, skew: c.skew, concentration: 0.6, topics: 4 },
        { layers: 1, experts: c.experts, topK: c.k },
      );
      const out = analyzeLayer({ plan, dist: w.layers[0], policy: 'search', budgetMs: 60, slotsPerGpu: plan.hardware.slotsPerGpu });
      const l = out.result;
      for (const name of ['contiguous', 'round-robin', 'eplb', 'one-copy'] as const) {
        const f = l.policies.find((p) => p.policy === name);
        assert.ok(f, name);
        assert.ok(l.latencyUs <= f.latencyUs + 1e-9, `${name}: ${l.latencyUs} > ${f.latencyUs}`);
      }
      const et = l.policies.find((p) => p.policy === 'expected-time-optimum');
      if (et) assert.ok(l.latencyUs <= et.latencyUs + 1e-9);
      assert.ok(l.lowerBoundUs <= l.latencyUs + 1e-9);
      assert.equal(
        l.freeSlots.reduce((a, b) => a + b, 0),
        c.gpus * slots - l.placement.reduce((a, g) => a + g.length, 0),
      );
    }),
    { numRuns: 40 },
  );
});

test('batch 1 with balanced dispatch gives the E[T] solvers’ answer, proofs included (Mixtral-like layers)', () => {
  const base = (objective: string) =>
    planOf(`model mixtral-8x7b
gpu h100-sxm x 2
slots 5 per gpu
workload {
  synthetic tokens 20000 seed 7 skew 1.0 concentration 0.6 topics 16
  batch 1 tokens
}
placement {
  objective ${objective}
  dispatch balanced
}
`);
  const latency = base('latency');
  const expected = base('expected-time');
  const w = generateSynthetic({ kind: 'synthetic', tokens: 20000, seed: 7, skew: 1, concentration: 0.6, topics: 16 }, { layers: 4, experts: 8, topK: 2 });
  for (const dist of w.layers) {
    const a = analyzeLayer({ plan: latency, dist, policy: 'search', budgetMs: 400, slotsPerGpu: [5, 5] });
    const b = analyzeLayer({ plan: expected, dist, policy: 'search', budgetMs: 400, slotsPerGpu: [5, 5] });
    assert.equal(a.result.expectedTime, b.result.expectedTime, `layer ${dist.layer}`);
    assert.deepEqual(a.result.placement, b.result.placement);
    assert.equal(a.solver.optimal, b.solver.optimal);
    assert.ok(b.solver.optimal, `layer ${dist.layer}: proved optimal`);
    // The objective's expert time at batch 1 is E[T] expert reads (exact enumeration).
    assert.ok(a.result.latencyParts.computeUs > 0);
  }
});
