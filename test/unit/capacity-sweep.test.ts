// The capacity sweep end to end (worker pool, both passes): on random small
// instances every point's placement is the best of every placement on its
// slots for the search's own batches (brute force), and the recommendation
// is the best throughput within the target over the grid; an infeasible
// target gives MP810 with figures that check out; the Mixtral example's
// answer is consistent with its memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkText } from '../../server/src/plan/check';
import { analyzePlan } from '../../server/src/analysis/index';
import { loadWorkload } from '../../server/src/workload/load';
import { LayerStepContext } from '../../server/src/analysis/stepFigures';
import { servingFigures, servingShapeOf } from '../../server/src/cost/serving';
import { memoryPerGpu } from '../../server/src/plan/memory';
import { solverDiagnostics } from '../../server/src/feedback/diagnostics';
import type { Plan } from '../../server/src/plan/types';
import type { CapacityPoint, PlanResults } from '../../server/src/protocol';

const dir = mkdtempSync(join(tmpdir(), 'moeplan-capacity-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function planOf(text: string, name = 'p.moeplan'): Plan {
  const file = join(dir, name);
  writeFileSync(file, text);
  const r = checkText(text, file);
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message),
    [],
  );
  assert.ok(r.plan);
  return r.plan;
}

interface Tiny {
  experts: number;
  topK: number;
  seed: number;
  skew: number;
  dispatch: 'static' | 'random' | 'balanced';
  /** Requests of the context the fewest slots leave room for. */
  requests: number;
}

// 2 layers of 64 × 64 BF16 experts (24,576 B; a slot is 49,152 B over both
// layers), one KV head of dim 8 (64 B per token over 2 layers), context 64
// tokens (4,096 B per request), no dense weights, no activations: memory for
// the fewest slots + 2 and `requests` requests, so 3 slot counts are swept.
function tinyText(t: Tiny, target?: string): string {
  const min = Math.ceil(t.experts / 2);
  const memory = (min + 2) * 49_152 + t.requests * 4096;
  return `model custom {
  layers 2
  experts ${t.experts}
  top-k ${t.topK}
  hidden 64
  expert-ffn 64
  heads 1
  kv-heads 1
  head-dim 8
}
gpu custom x 2 {
  memory ${memory} B
  bandwidth 2 GB/s
  compute 1 TFLOPS
}
slots ${min} per gpu
link nvlink 1 GB/s 1 us
workload {
  synthetic tokens 400 seed ${t.seed} skew ${t.skew} concentration 0.5 topics 3
  phase decode output 16 tokens
}
placement {
  policy exact 20 s
  dispatch ${t.dispatch}
  seed ${t.seed}
}
serve {
  context 64 tokens
  activations 0 B
${target ? `  target ${target}\n` : ''}}
`;
}

/** Every placement with at most `slots` experts per GPU and every expert placed (each expert any non-empty set of the 2 GPUs). */
function everyPlacement(experts: number, slots: number): number[][][] {
  const out: number[][][] = [];
  const walk = (e: number, gpus: number[][]) => {
    if (e === experts) {
      out.push(gpus.map((g) => g.slice()));
      return;
    }
    for (const mask of [1, 2, 3]) {
      const on = [0, 1].filter((g) => (mask >> g) & 1);
      if (on.some((g) => gpus[g].length >= slots)) continue;
      for (const g of on) gpus[g].push(e);
      walk(e + 1, gpus);
      for (const g of on) gpus[g].pop();
    }
  };
  walk(0, [[], []]);
  return out;
}

/**
 * A point by brute force: on each layer, every placement on the search's own
 * batches; the reported figure is that of a best one there (several may tie:
 * the range of their fresh-batch figures).
 */
function bruteForce(plan: Plan, dists: Awaited<ReturnType<typeof loadWorkload>>['layers'], slots: number, batch: number): { lo: number; hi: number } {
  const atBatch: Plan = { ...plan, workload: { ...plan.workload, batch: { value: batch, source: 'test' } } };
  const all = everyPlacement(plan.model.experts.value, slots);
  let lo = 0;
  let hi = 0;
  for (const dist of dists) {
    const ctx = new LayerStepContext(atBatch, dist, undefined);
    const ev = ctx.train();
    const values = all.map((p) => {
      ev.setPlacement(p);
      return ev.value();
    });
    const min = Math.min(...values);
    const figures = all.filter((_, i) => values[i] <= min + 1e-12 * Math.abs(min)).map((p) => ctx.figure(p).us);
    lo += Math.min(...figures);
    hi += Math.max(...figures);
  }
  return { lo: lo / 1e6, hi: hi / 1e6 };
}

const latencyOf = (p: CapacityPoint) => p.ttftUs ?? p.usPerToken;

test('random small instances: every point is the brute-force best placement on its slots, the recommendation the best throughput within the target', async () => {
  const runs: Tiny[] = fc.sample(
    fc.record({
      experts: fc.integer({ min: 3, max: 5 }),
      topK: fc.integer({ min: 1, max: 2 }),
      seed: fc.integer({ min: 1, max: 1000 }),
      skew: fc.double({ min: 0, max: 1.5, noNaN: true }),
      dispatch: fc.constantFrom<Tiny['dispatch']>('static', 'random', 'balanced'),
      requests: fc.integer({ min: 3, max: 12 }),
    }),
    { numRuns: 3, seed: 20261203 },
  );
  for (const t of runs) {
    // First without a target, to put one between the fastest and the slowest point.
    const open = planOf(tinyText(t));
    const free = await analyzePlan(open, { workers: 2 });
    const cap0 = free.capacity!;
    assert.ok(cap0.points.length >= 4, `${cap0.points.length} points`);
    assert.equal(cap0.recommended?.tokensPerSecond, Math.max(...cap0.points.map((p) => p.tokensPerSecond)), 'no target: the most throughput');
    const sorted = cap0.points.map(latencyOf).sort((a, b) => a - b);
    const targetUs = sorted[Math.floor(sorted.length / 2)];
    const plan = planOf(tinyText(t, `${targetUs.toFixed(3)} us`), 'target.moeplan');
    const r = await analyzePlan(plan, { workers: 2 });
    const cap = r.capacity!;
    const workload = await loadWorkload(plan, {});
    const shape = servingShapeOf(plan);
    let bestLo = -Infinity;
    let bestHi = -Infinity;
    for (const p of cap.points) {
      const moe = bruteForce(plan, workload.layers, p.slotsPerGpu, p.batch);
      const fast = servingFigures(plan, shape, p.batch, moe.lo);
      const slow = servingFigures(plan, shape, p.batch, moe.hi);
      const label = `${JSON.stringify(t)} slots ${p.slotsPerGpu} batch ${p.batch}`;
      assert.ok(
        p.usPerToken >= fast.stepS * 1e6 * (1 - 1e-9) && p.usPerToken <= slow.stepS * 1e6 * (1 + 1e-9),
        `${label}: ${p.usPerToken} not in [${fast.stepS * 1e6}, ${slow.stepS * 1e6}]`,
      );
      const target = cap.target.us! / 1e6;
      if (fast.latencyS <= target) bestHi = Math.max(bestHi, fast.tokensPerS);
      if (slow.latencyS <= target) bestLo = Math.max(bestLo, slow.tokensPerS);
      // The point's KV room is the memory model's.
      assert.equal(p.kvTokensPerGpu, memoryPerGpu(plan, p.slotsPerGpu).kvTokens);
    }
    const rec = cap.recommended;
    assert.ok(rec, 'a target between the fastest and the slowest point is met by some point');
    assert.ok(rec.tokensPerSecond >= bestLo * (1 - 1e-9) && rec.tokensPerSecond <= bestHi * (1 + 1e-9), `${rec.tokensPerSecond} not in [${bestLo}, ${bestHi}]`);
    const within = cap.points.filter((p) => p.meetsTarget);
    assert.equal(rec.tokensPerSecond, Math.max(...within.map((p) => p.tokensPerSecond)));
    for (const p of cap.points) assert.equal(p.meetsTarget, latencyOf(p) <= cap.target.us!);
    // The front: no point beats a front point on both figures.
    for (const p of cap.points.filter((x) => x.onFront)) {
      assert.ok(!cap.points.some((q) => q.tokensPerSecond > p.tokensPerSecond && latencyOf(q) < latencyOf(p)));
    }
  }
});

test('an infeasible target: no recommendation, MP810 with the fastest point, a context and twice the GPUs that check out', async () => {
  const t: Tiny = { experts: 4, topK: 2, seed: 7, skew: 1, dispatch: 'static', requests: 6 };
  const plan = planOf(tinyText(t, '1 us'), 'tight.moeplan');
  const r: PlanResults = await analyzePlan(plan, { workers: 2 });
  const cap = r.capacity!;
  assert.equal(cap.recommended, undefined);
  assert.ok(cap.points.every((p) => !p.meetsTarget));
  const a = cap.advice!;
  const fastest = Math.min(...cap.points.map(latencyOf));
  assert.equal(a.fastestUs, fastest);
  assert.match(a.message, /No slots and batch meet 1 µs per token: the fastest point \(\d+ slots per GPU, batch \d+\) takes /);
  assert.ok(a.moreGpus && a.moreGpus.gpus === 4 && Number.isFinite(a.moreGpus.latencyUs), JSON.stringify(a.moreGpus));
  assert.match(a.message, /4 GPUs \(one copy per expert, one request each\) would take about/);
  // Even a one-token context cannot bring the fastest point to 1 µs here.
  assert.equal(a.shorterContext, undefined);
  const d = solverDiagnostics(plan, { ...r, uri: plan.file }, { slowerThresholdPct: 5 }).find((x) => x.code === 'MP810');
  assert.ok(d, 'MP810');
  assert.equal(d.message, a.message);
  assert.equal(d.range.start.line, plan.serve!.targetS!.range!.start.line);

  // A target the fastest point misses only through its context: the advised context meets it, one token more does not.
  const f = cap.points.reduce((x, y) => (latencyOf(y) < latencyOf(x) ? y : x));
  const shape = servingShapeOf(plan);
  const moeS = f.moeUs / 1e6;
  const at = (context: number) => servingFigures(plan, { ...shape, context, output: Math.min(shape.output, context) }, f.batch, moeS).latencyS;
  const tight = (at(16) * 1e6).toFixed(3);
  const plan2 = planOf(tinyText(t, `${tight} us`), 'context.moeplan');
  const r2 = await analyzePlan(plan2, { workers: 2 });
  const a2 = r2.capacity!.advice;
  if (a2) {
    assert.ok(a2.shorterContext !== undefined && a2.shorterContext < 64, JSON.stringify(a2));
    assert.match(a2.message, new RegExp(`a context of ${a2.shorterContext} tokens instead of 64 would meet`));
  } else {
    // The refined batches found a point within the target.
    assert.ok(r2.capacity!.recommended);
  }
});

test('no slot count leaves room for one request: advice names the context that fits and the GPUs that would', async () => {
  const t: Tiny = { experts: 4, topK: 2, seed: 3, skew: 1, dispatch: 'static', requests: 1 };
  // 4,096 B per request of 64 tokens; ask for 4 × 64 tokens with the memory of one.
  const text = tinyText(t, '1 ms')
    .replace('context 64 tokens', 'context 256 tokens')
    .replace(/memory \d+ B/, `memory ${2 * 49_152 + 4096} B`);
  const plan = planOf(text, 'full.moeplan');
  const r = await analyzePlan(plan, { workers: 2 });
  const cap = r.capacity!;
  assert.equal(cap.points.length, 0);
  assert.equal(cap.recommended, undefined);
  assert.match(
    cap.advice!.message,
    /Even one copy of every expert \(2 slots per GPU\) leaves no KV room for one request of 256 tokens; a context of at most 64 tokens would fit/,
  );
  assert.equal(cap.advice!.shorterContext, 64);
  // 3 GPUs: 2 slots each still (⌈4/3⌉), no; 4 GPUs: 1 slot each leaves 3 slots' worth for the cache.
  assert.equal(cap.advice!.moreGpus?.gpus, 4);
});
