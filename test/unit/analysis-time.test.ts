// Keeping an analysis within its time: budgets net of the work they do not
// bound, the memory sweep cut at its deadline, and the synthetic workload
// generated in parts on several workers (identical to one go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkText } from '../../server/src/plan/check';
import { loadWorkload } from '../../server/src/workload/load';
import { partRanges, syntheticPart } from '../../server/src/workload/syntheticParts';
import { sourcesOf } from '../../server/src/plan/workloadSources';
import { WorkloadError, type LayerDistribution } from '../../server/src/workload/types';
import type { SyntheticSpec } from '../../server/src/plan/types';
import { JobClock } from '../../server/src/analysis/jobClock';
import { sweepCurve, sweepLayer, sweepOrder } from '../../server/src/analysis/sweep';
import { analyzePlan } from '../../server/src/analysis/index';

function planOf(text: string) {
  const checked = checkText(text, '/tmp/time-test.moeplan');
  assert.ok(checked.plan, checked.diagnostics.map((d) => d.message).join('; '));
  return checked.plan;
}

const grouped = (tokens: number, extra = '') =>
  planOf(`model custom {
  layers 5
  experts 32
  top-k 4
  hidden 1024
  expert-ffn 2048
  groups 4 top 2
}
gpu h100-sxm x 4
slots 10 per gpu
workload {
  synthetic tokens ${tokens} seed 5 skew 1.1 concentration 0.6 topics 6${extra}
  batch 16 tokens
}
placement {
  policy search
  time 2 s
}
`);

function sameDist(a: LayerDistribution, b: LayerDistribution, what: string): void {
  assert.equal(a.count, b.count, `${what}: count`);
  assert.equal(a.total, b.total, `${what}: total`);
  assert.deepEqual(Array.from(a.ids.subarray(0, a.count * a.k)), Array.from(b.ids.subarray(0, b.count * b.k)), `${what}: ids`);
  assert.deepEqual(Array.from(a.weights.subarray(0, a.count)), Array.from(b.weights.subarray(0, b.count)), `${what}: weights`);
}

test('a synthetic workload generated in parts (uneven, out of order) equals the one generated in one go, split included', async () => {
  const plan = grouped(3000);
  const spec = sourcesOf(plan.workload)[0] as SyntheticSpec;
  const whole = await loadWorkload(plan);
  const parts = [syntheticPart(plan, spec, 3, 5), syntheticPart(plan, spec, 0, 1), syntheticPart(plan, spec, 1, 3)];
  const parted = await loadWorkload(plan, { syntheticParts: parts });
  assert.equal(parted.description, whole.description);
  assert.deepEqual(parted.notes, whole.notes);
  assert.equal(parted.layers.length, 5);
  for (let l = 0; l < 5; l++) {
    sameDist(parted.layers[l], whole.layers[l], `layer ${l}`);
    sameDist(parted.split!.planning[l], whole.split!.planning[l], `planning ${l}`);
    sameDist(parted.split!.heldOut[l], whole.split!.heldOut[l], `held out ${l}`);
  }
  assert.equal(parted.split!.description, whole.split!.description);
  assert.deepEqual(Array.from(parted.sequence!.ids), Array.from(whole.sequence!.ids));
  // The parts' arrays are shared memory: they pass between threads without a copy.
  assert.ok(parts[0].orders[0].buffer instanceof SharedArrayBuffer);
});

test('a part that leaves out a layer is refused, and a bad synthetic line names the plan line', async () => {
  const plan = grouped(2000);
  const spec = sourcesOf(plan.workload)[0] as SyntheticSpec;
  await assert.rejects(loadWorkload(plan, { syntheticParts: [syntheticPart(plan, spec, 0, 4)] }), /layer 4 was not generated/);
  const bad: SyntheticSpec = { ...spec, concentration: 2 };
  assert.throws(
    () => syntheticPart(plan, bad, 0, 2),
    (e: unknown) => e instanceof WorkloadError && /concentration/.test(e.message) && e.line === 12,
  );
});

test('part ranges cover every layer once, as evenly as can be', () => {
  assert.deepEqual(partRanges(58, 2), [
    [0, 29],
    [29, 58],
  ]);
  assert.deepEqual(partRanges(5, 3), [
    [0, 1],
    [1, 3],
    [3, 5],
  ]);
  assert.deepEqual(partRanges(2, 8), [
    [0, 1],
    [1, 2],
  ]);
});

test('job budgets: half a share before any job has ended, then the share less the measured unbounded work', () => {
  let t = 0;
  const clock = new JobClock(1000, 2, 10, 5, 0.5, () => t);
  // 1000 ms × 2 workers over (10 + 1) slots, half of it.
  assert.ok(Math.abs(clock.take() - 1000 / 11) < 1e-9);
  t = 200;
  clock.done(90, 190);
  assert.equal(clock.unboundedMs, 100);
  // 800 ms × 2 workers over 9 jobs not started + the other in flight, less 100 ms.
  assert.ok(Math.abs(clock.take() - ((800 * 2) / 10 - 100)) < 1e-9);
  // Past the deadline: the least budget.
  t = 2000;
  assert.equal(clock.take(), 5);
});

test('a queue of jobs with unbounded work ends near the deadline, not a third past it', () => {
  // Two workers; every job costs 60 ms beyond its budget (the first two 300 ms: cold code).
  for (const jobs of [8, 30, 100]) {
    const deadline = 4000;
    let t = 0;
    const clock = new JobClock(deadline, 2, jobs, 1, 0.5, () => t);
    const free = [0, 0];
    let end = 0;
    for (let j = 0; j < jobs; j++) {
      const w = free[0] <= free[1] ? 0 : 1;
      t = free[w];
      const budget = clock.take();
      const took = budget + (j < 2 ? 300 : 60);
      free[w] = t + took;
      end = Math.max(end, free[w]);
      // A job's end is reported when it ends; the simulation reports it at once (the estimate is then a little early).
      clock.done(budget, took);
    }
    assert.ok(end <= deadline + 60 + 1, `${jobs} jobs end at ${end.toFixed(0)} ms against ${deadline}`);
    assert.ok(end >= deadline * 0.8, `${jobs} jobs leave too much time: end at ${end.toFixed(0)} ms`);
  }
});

test("memory sweep order: the plan's slot count, the ends, then midpoints; every index once", () => {
  const slots = [8, 9, 10, 11, 13, 14, 15, 16];
  const order = sweepOrder(slots, 9);
  assert.deepEqual(order.slice(0, 4), [1, 0, 7, 3]);
  assert.deepEqual(
    [...order].sort((a, b) => a - b),
    [0, 1, 2, 3, 4, 5, 6, 7],
  );
  assert.deepEqual(sweepOrder([4], 7), [0]);
});

test('a memory-sweep job out of time keeps its first point and leaves the others unreached; the curve says so', async () => {
  const plan = grouped(2000);
  const w = await loadWorkload(plan);
  const slots = [8, 9, 10, 12, 16];
  const out = sweepLayer({ plan, dist: w.layers[0], policy: 'search', slots, budgetMs: 0 });
  assert.ok(Array.isArray(out.points[2]), 'the plan has 10 slots per GPU: its point is solved first');
  assert.ok(out.points.filter((p) => p === null).length >= 1);
  assert.ok(out.ms >= 0);
  const full = sweepLayer({ plan, dist: w.layers[1], policy: 'search', slots, budgetMs: 10_000 });
  assert.ok(full.points.every((p) => p !== null));
  const curve = sweepCurve(slots, [out, full]);
  const reached = slots.filter((_, i) => out.points[i] !== null);
  assert.deepEqual(
    curve.points.map((p) => p.slotsPerGpu),
    reached,
  );
  assert.match(curve.note!, new RegExp(`${reached.length} of ${slots.length} slot counts`));
  assert.equal(sweepCurve(slots, [full]).note, undefined);
});

test('an analysis whose clock started earlier (a command counting from its process start) ends within the budget left', async () => {
  const plan = grouped(4000);
  const budget = 3000;
  const t0 = performance.now();
  // Two thirds of the budget already spent: the layers, the memory sweep and the batch sweep get the rest.
  const r = await analyzePlan(plan, { timeBudgetMs: budget, startedAt: t0 - 2000, workloadCache: false });
  const took = performance.now() - t0;
  assert.equal(r.layers.length, 5);
  assert.ok(r.memorySweep.length >= 1, 'the memory sweep keeps at least its first point');
  // Generous: what no layer's budget bounds (a few ms here) and a loaded machine.
  assert.ok(took < 1000 + 1500, `took ${took.toFixed(0)} ms with 1000 ms left`);
});
