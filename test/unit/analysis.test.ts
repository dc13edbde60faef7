// The analysis pipeline: results per layer are valid and consistent, work runs
// off the calling thread, cancellation stops it, workload errors are clear.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkText } from '../../server/src/plan/check';
import { analyzePlan, startAnalysis, AnalysisError, sweepSlots, pickLayers } from '../../server/src/analysis/index';
import type { Plan } from '../../server/src/plan/types';

const dir = mkdtempSync(join(tmpdir(), 'moeplan-analysis-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function planOf(text: string, name = 'p.moeplan'): Plan {
  const file = join(dir, name);
  writeFileSync(file, text);
  const r = checkText(text, file);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(
    errors.map((d) => d.message),
    [],
  );
  assert.ok(r.plan);
  return r.plan;
}

const MIXTRAL = `model mixtral-8x7b
gpu h100-sxm x 2
reserve 16 GiB per gpu
workload {
  synthetic tokens 3000 seed 5 skew 1.0 concentration 0.6 topics 8
  batch 16 tokens
}
placement {
  policy search 1 s
  seed 2
  pin expert 3 on gpu 1
  layer 0 {
    gpu 0: 0..3 5
    gpu 1: 1 4..7
  }
}
`;

const BIG = `model dbrx
gpu h100-sxm x 4
workload {
  synthetic tokens 15000 seed 9 skew 1.2 concentration 0.5 topics 16
}
placement {
  policy search 60 s
}
`;

test('analyzePlan: every layer valid, never slower than any baseline on the objective, bounds below, committed layer evaluated', async () => {
  const plan = planOf(MIXTRAL);
  const r = await analyzePlan(plan, { timeBudgetMs: 1500 });
  assert.equal(r.layers.length, 32);
  const slots = plan.hardware.slotsPerGpu;
  for (const l of r.layers) {
    l.placement.forEach((es, g) => {
      assert.ok(es.length <= slots[g], `layer ${l.layer} GPU ${g} over capacity`);
      assert.equal(new Set(es).size, es.length);
    });
    for (let e = 0; e < 8; e++)
      assert.ok(
        l.placement.some((es) => es.includes(e)),
        `layer ${l.layer}: expert ${e} missing`,
      );
    assert.ok(l.placement[1].includes(3), 'pin honoured');
    // The objective (latency by default): never slower than a baseline on the same fresh batches.
    for (const b of ['contiguous', 'round-robin', 'eplb', 'one-copy', 'expected-time-optimum'] as const) {
      const f = l.policies.find((p) => p.policy === b);
      assert.ok(f, `layer ${l.layer}: ${b} figure`);
      assert.ok(l.latencyUs <= f.latencyUs + 1e-9, `layer ${l.layer}: ${l.latencyUs} µs vs ${b} ${f.latencyUs} µs`);
    }
    assert.ok(l.lowerBoundUs <= l.latencyUs + 1e-9);
    assert.ok(l.lowerBound <= l.expectedTime + 1e-12);
    assert.ok(Math.abs(l.tDistribution.reduce((a, p, t) => a + p * t, 0) - l.expectedTime) < 1e-9);
    assert.ok(Math.abs(l.expertLoad.reduce((a, b) => a + b, 0) - 2) < 1e-9);
    assert.ok(l.policies.some((p) => p.policy === 'eplb'));
  }
  assert.ok(r.layers[0].committedExpectedTime !== undefined);
  assert.equal(r.layers[1].committedExpectedTime, undefined);
  assert.ok(r.memorySweep.length >= 2);
  for (const pt of r.memorySweep) assert.ok(pt.expectedTime <= pt.eplb + 1e-12 && pt.lowerBound <= pt.expectedTime + 1e-9);
  // More memory never hurts the bound side of the sweep.
  const mean = r.layers.reduce((a, l) => a + l.expectedTime, 0) / r.layers.length;
  assert.ok(Math.abs(r.expectedTime - mean) < 1e-12);
});

test('the calling thread stays responsive while layers are solved', async () => {
  const plan = planOf(BIG, 'big.moeplan');
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const r = await analyzePlan(plan, { timeBudgetMs: 2000, sweeps: false });
  const wall = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  clearInterval(timer);
  h.disable();
  assert.equal(r.layers.length, 40);
  // Solving took most of the budget on worker threads, while this thread was
  // mostly idle (event-loop utilisation is the share of wall time it spent
  // running callbacks) and kept ticking. The machine may be shared, so the
  // delay figure is generous: OS scheduling counts in it too.
  assert.ok(wall > 500, `analysis too short to measure (${wall} ms)`);
  assert.ok(elu.utilization < 0.25, `main thread busy ${(elu.utilization * 100).toFixed(0)}% of the time`);
  assert.ok(ticks > wall / 10 / 5, `timer ran ${ticks} times in ${wall.toFixed(0)} ms`);
  assert.ok(h.percentile(50) / 1e6 < 50, `median event-loop delay ${(h.percentile(50) / 1e6).toFixed(1)} ms`);
});

test('cancel() stops a long analysis promptly, mid-solve', async () => {
  const plan = planOf(BIG, 'big2.moeplan');
  let cancelledAt = 0;
  let progressAfterCancel = 0;
  const h = startAnalysis(plan, {
    timeBudgetMs: 40_000,
    onProgress: (p) => {
      if (cancelledAt) progressAfterCancel++;
      else if (p.done >= 1) {
        cancelledAt = performance.now();
        h.cancel();
      }
    },
  });
  await assert.rejects(h.result, (e: unknown) => e instanceof AnalysisError && e.kind === 'cancelled');
  assert.ok(cancelledAt > 0, 'no layer finished before the rejection');
  assert.ok(performance.now() - cancelledAt < 3000, 'cancellation took too long');
  assert.equal(progressAfterCancel, 0);
});

test('a missing trace is a workload error naming the file', async () => {
  const plan = planOf(MIXTRAL, 'm.moeplan');
  await assert.rejects(
    analyzePlan(plan, { overrides: { tracePath: join(dir, 'nope.jsonl') }, sweeps: false, timeBudgetMs: 200 }),
    (e: unknown) => e instanceof AnalysisError && e.kind === 'workload' && /nope\.jsonl/.test(e.message),
  );
});

test('overrides change GPUs and slots', async () => {
  const plan = planOf(MIXTRAL, 'o.moeplan');
  const r = await analyzePlan(plan, { overrides: { gpus: 4, slots: 3 }, sweeps: false, timeBudgetMs: 500 });
  assert.equal(r.hardware.gpus, 4);
  assert.deepEqual(r.hardware.slotsPerGpu, [3, 3, 3, 3]);
  for (const l of r.layers) {
    assert.equal(l.placement.length, 4);
    assert.ok(l.placement.every((es) => es.length <= 3));
  }
});

test('sweep helpers', () => {
  assert.deepEqual(pickLayers(32, 4), [0, 10, 21, 31]);
  assert.deepEqual(pickLayers(3, 4), [0, 1, 2]);
  const plan = planOf(MIXTRAL, 's.moeplan');
  assert.deepEqual(sweepSlots(plan), [4, 5, 6, 7, 8]);
});
