// The capacity answer (docs/cost-model.md §7): from the µs per MoE layer of
// every (slots, batch) point on a few representative layers, the whole
// step (MoE layers from the step estimator + dense weights, KV cache and
// attention from cost/serving.ts), tokens per second, the Pareto front of
// throughput against latency, the recommended point (the best throughput
// within the target) and, when no point meets the target, what would.
import type { Plan } from '../plan/types';
import type { CapacityAdvice, CapacityPoint, CapacityResults } from '../protocol';
import { kvBytesPerRequest, memoryPerGpu } from '../plan/memory';
import { servingFigures, servingShapeOf, type ServingShape } from '../cost/serving';
import { applyOverrides } from './overrides';
import { DTYPE_BYTES } from '../plan/presets';
import type { CapacityGrid } from './capacityGrid';
import type { CapacityLayerOutcome } from './capacityLayer';
import { capacityAdviceText } from '../feedback/capacityText';

/** Slot counts tried when asking how many GPUs would hold one request: up to this many times the plan's. */
const MORE_GPUS_FACTOR = 8;

export function capacityResults(plan: Plan, grid: CapacityGrid, outcomes: readonly CapacityLayerOutcome[], layers: number, ms: number): CapacityResults {
  const shape = servingShapeOf(plan);
  const targetS = plan.serve?.targetS?.value;
  const G = plan.hardware.count;
  const E = plan.model.experts.value;
  const points: CapacityPoint[] = [];
  const latency = new Map<CapacityPoint, number>();
  grid.columns.forEach((column, c) => {
    column.batches.forEach((batch, b) => {
      const perLayer = outcomes.map((o) => o.us[c]?.[b]).filter((x): x is number => x !== undefined && Number.isFinite(x));
      if (perLayer.length === 0) return;
      const moeS = (mean(perLayer) * layers) / 1e6;
      const f = servingFigures(plan, shape, batch, moeS);
      const point: CapacityPoint = {
        slotsPerGpu: column.slotsPerGpu,
        batch,
        kvTokensPerGpu: column.kvTokens,
        usPerToken: f.stepS * 1e6,
        tokensPerSecond: f.tokensPerS,
        meetsTarget: targetS === undefined || f.latencyS <= targetS,
        moeUs: moeS * 1e6,
        attentionUs: (f.stepS - moeS) * 1e6,
        onFront: false,
      };
      if (shape.phase === 'prefill') point.ttftUs = f.latencyS * 1e6;
      latency.set(point, f.latencyS);
      points.push(point);
    });
  });
  markFront(points, (p) => latency.get(p)!);
  const better = (a: CapacityPoint, b: CapacityPoint) =>
    a.tokensPerSecond > b.tokensPerSecond ||
    (a.tokensPerSecond === b.tokensPerSecond && (a.slotsPerGpu < b.slotsPerGpu || (a.slotsPerGpu === b.slotsPerGpu && a.batch < b.batch)));
  const bestOf = (xs: CapacityPoint[]) =>
    xs.filter((p) => p.meetsTarget).reduce<CapacityPoint | null>((best, p) => (!best || better(p, best) ? p : best), null);
  const best = bestOf(points);
  const mem0 = memoryPerGpu(plan, 0);
  const requestsOf = (p: CapacityPoint) => (shape.phase === 'decode' ? Math.ceil(p.batch / G) : Math.ceil(Math.ceil(p.batch / G) / shape.context));
  const results: CapacityResults = {
    target: {
      us: targetS === undefined ? null : targetS * 1e6,
      metric: shape.phase === 'decode' ? 'time-per-output-token' : 'time-to-first-token',
      context: shape.context,
    },
    points,
    bySlots: grid.columns.map((column) => ({
      slotsPerGpu: column.slotsPerGpu,
      redundantExperts: column.slotsPerGpu * G - E,
      kvTokensPerGpu: column.kvTokens,
      requestsPerGpu: column.requestsPerGpu,
      best: bestOf(points.filter((p) => p.slotsPerGpu === column.slotsPerGpu)),
    })),
    memory: {
      totalBytes: mem0.totalBytes,
      denseBytes: mem0.denseBytes,
      sharedBytes: mem0.sharedBytes,
      activationBytes: mem0.activationBytes,
      slotBytes: mem0.slotBytes,
    },
    sampled: sampledText(grid, outcomes, layers, ms),
    notes: [...grid.notes, ...layerNotes(outcomes)],
  };
  if (best) {
    results.recommended = {
      slotsPerGpu: best.slotsPerGpu,
      batch: best.batch,
      usPerToken: best.usPerToken,
      tokensPerSecond: best.tokensPerSecond,
      redundantExperts: best.slotsPerGpu * G - E,
      requestsPerGpu: requestsOf(best),
    };
  } else if (targetS !== undefined || points.length === 0) {
    results.advice = adviceFor(plan, shape, points, latency, outcomes, layers, targetS ?? Infinity);
  }
  return results;
}

/**
 * Marks the points no other point beats: at least as much throughput at no
 * more latency, and better in one of them — or the same figures with fewer
 * slots (a slot the solver leaves empty changes nothing but the memory).
 */
function markFront(points: CapacityPoint[], latencyOf: (p: CapacityPoint) => number): void {
  const beats = (q: CapacityPoint, p: CapacityPoint) => {
    if (q.tokensPerSecond < p.tokensPerSecond || latencyOf(q) > latencyOf(p)) return false;
    if (q.tokensPerSecond > p.tokensPerSecond || latencyOf(q) < latencyOf(p)) return true;
    return q.slotsPerGpu < p.slotsPerGpu || (q.slotsPerGpu === p.slotsPerGpu && q.batch < p.batch);
  };
  for (const p of points) p.onFront = !points.some((q) => q !== p && beats(q, p));
}

/** The layers' notes, with the per-layer count of searches the budget stopped summed into one. */
function layerNotes(outcomes: readonly CapacityLayerOutcome[]): string[] {
  const stopped = outcomes.reduce((a, o) => a + o.stopped, 0);
  const solved = outcomes.reduce((a, o) => a + o.solved, 0);
  const out = outcomes.flatMap((o) => o.notes);
  if (stopped > 0) out.push(`${stopped} of ${solved} point solves stopped their search at their share of the time budget (a longer \`time\` searches further)`);
  return out;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function sampledText(grid: CapacityGrid, outcomes: readonly CapacityLayerOutcome[], layers: number, ms: number): string {
  const n = grid.columns.reduce((a, c) => a + c.batches.length, 0);
  const layerList = outcomes.map((o) => o.layer).join(', ');
  return (
    `${n} points (${grid.columns.length} slot counts × up to ${Math.max(0, ...grid.columns.map((c) => c.batches.length))} batches), ` +
    `each solved on ${outcomes.length} of ${layers} MoE layers (${layerList}; the others taken to cost their mean), ${(ms / 1000).toFixed(1)} s`
  );
}

/** What would meet the target: a looser target, a shorter context, more GPUs — each with its figure. */
function adviceFor(
  plan: Plan,
  shape: ServingShape,
  points: CapacityPoint[],
  latency: Map<CapacityPoint, number>,
  outcomes: readonly CapacityLayerOutcome[],
  layers: number,
  targetS: number,
): CapacityAdvice {
  const G = plan.hardware.count;
  let fastest: CapacityPoint | undefined;
  for (const p of points) if (!fastest || latency.get(p)! < latency.get(fastest)!) fastest = p;
  const advice: CapacityAdvice = {
    message: '',
    fastestUs: fastest ? latency.get(fastest)! * 1e6 : NaN,
    fastestSlots: fastest?.slotsPerGpu ?? NaN,
    fastestBatch: fastest?.batch ?? NaN,
  };
  if (fastest) {
    // The MoE part does not depend on the context; the rest shrinks with it.
    const moeS = fastest.moeUs / 1e6;
    const at = (context: number) => servingFigures(plan, { ...shape, context, output: Math.min(shape.output, context) }, fastest!.batch, moeS).latencyS;
    if (at(1) <= targetS) {
      let lo = 1;
      let hi = shape.context;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (at(mid) <= targetS) lo = mid;
        else hi = mid;
      }
      advice.shorterContext = lo;
    }
    // An FP8 cache: half the bytes per token, so half the cache read of the same point.
    if (plan.model.kv && plan.model.kv.dtype.value !== 'fp8') {
      const fp8: Plan = { ...plan, model: { ...plan.model, kv: halfCache(plan.model.kv) } };
      const us = servingFigures(fp8, shape, fastest.batch, moeS).latencyS * 1e6;
      if (us < advice.fastestUs * 0.99) advice.fp8Us = us;
    }
  } else {
    const context = longestContextThatFits(plan, Math.ceil(plan.model.experts.value / G));
    if (context > 0 && context < shape.context) advice.shorterContext = context;
  }
  const moreGpuUs = outcomes.map((o) => o.moreGpusUs).filter((x): x is number => x !== undefined && Number.isFinite(x));
  if (moreGpuUs.length > 0) {
    const gpus = 2 * G;
    const bigger = applyOverrides(plan, { gpus });
    const moeS = (mean(moreGpuUs) * layers) / 1e6;
    const perGpu = shape.phase === 'decode' ? 1 : Math.max(1, ...points.map((p) => p.batch)) / G;
    const f = servingFigures(bigger, { ...shape, gpus }, gpus * perGpu, moeS);
    advice.moreGpus = { gpus, latencyUs: f.latencyS * 1e6 };
  } else if (!fastest) {
    const gpus = gpusForOneRequest(plan);
    if (gpus !== undefined) advice.moreGpus = { gpus, latencyUs: NaN };
  }
  advice.message = capacityAdviceText(plan, shape, targetS, advice);
  return advice;
}

/** The same cache in FP8: one byte a value. */
function halfCache(kv: NonNullable<Plan['model']['kv']>): NonNullable<Plan['model']['kv']> {
  const f = 1 / DTYPE_BYTES[kv.dtype.value];
  return {
    ...kv,
    dtype: { value: 'fp8', source: 'what-if: fp8' },
    bytesPerTokenLayer: kv.bytesPerTokenLayer * f,
    bytesPerToken: { value: kv.bytesPerToken.value * f, source: 'what-if: fp8' },
  };
}

/** The longest context whose KV cache fits beside `slots` slots per GPU (0 when none does). */
function longestContextThatFits(plan: Plan, slots: number): number {
  const kv = plan.model.kv;
  if (!kv) return 0;
  const room = memoryPerGpu(plan, slots).kvBytes;
  if (room <= 0) return 0;
  let lo = 0;
  let hi = 1 << 24;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (kvBytesPerRequest(kv, mid) <= room) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** The fewest GPUs (up to 8× the plan's) whose one copy of every expert leaves room for one request. */
function gpusForOneRequest(plan: Plan): number | undefined {
  const kv = plan.model.kv;
  if (!kv) return undefined;
  const need = kvBytesPerRequest(kv, servingShapeOf(plan).context);
  for (let gpus = plan.hardware.count + 1; gpus <= MORE_GPUS_FACTOR * plan.hardware.count; gpus++) {
    if (memoryPerGpu(plan, Math.ceil(plan.model.experts.value / gpus)).kvBytes >= need) return gpus;
  }
  return undefined;
}
