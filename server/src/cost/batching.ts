// Throughput against latency as the batch grows: the step time of the chosen
// placements at each batch size, under each dispatch rule, from the same
// step estimator the objective uses (cost/step). A token waits for its whole
// step, so its latency per step is the step time; throughput is B / step.
import type { DispatchRule, Plan } from '../plan/types';
import { DISPATCH } from '../plan/vocabulary';
import type { Workload } from '../workload/types';
import type { BatchPoint } from '../protocol';
import { buildStepSamples, StepEvaluator, stepCostsOf } from './step';
import { costHardwareOf, costModelOf } from './latency';
import { deriveSeed } from '../workload/random';

const DEFAULT_BATCHES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

/** Layers timed per batch size at most; the others are taken to cost their average. */
const DEFAULT_MAX_LAYERS = 8;
/** (token, expert) pairs drawn per layer and batch size. */
const SWEEP_PAIRS = 8_192;
/**
 * Distinct subsets up to which batch 1 is enumerated rather than sampled, as
 * for the search's own batches: enumerating DeepSeek-V3's 20,000 subsets took
 * 85 ms a layer, half of the whole sweep.
 */
const SWEEP_ENUMERATE_UP_TO = 4_096;

/** `count` evenly spaced layer indices out of `layers` (all when count ≥ layers). */
export function spacedLayers(layers: number, count: number): number[] {
  if (count >= layers) return Array.from({ length: layers }, (_, l) => l);
  return Array.from({ length: count }, (_, i) => Math.floor(((i + 0.5) * layers) / count));
}

/**
 * Step µs (all MoE layers) for each batch size and dispatch rule, with the
 * given per-layer placements (layer → GPU → experts). `planPoint`, when given,
 * is the plan's own figure at its batch under its rule (Σ of the layers'
 * figures): it replaces the sweep's estimate there so both read the same.
 */
export function planBatchSweep(
  plan: Plan,
  workload: Workload,
  placements: readonly (readonly (readonly number[])[])[],
  batches: readonly number[] = DEFAULT_BATCHES,
  opts: { maxLayers?: number; planPoint?: { batch: number; stepUs: number } } = {},
): BatchPoint[] {
  const costs = stepCostsOf(costModelOf(plan.model), costHardwareOf(plan.hardware));
  const L = workload.layers.length;
  const timed = spacedLayers(L, opts.maxLayers ?? DEFAULT_MAX_LAYERS).filter((l) => (placements[l]?.length ?? 0) > 0);
  const scale = timed.length > 0 ? L / timed.length : 0;
  const sequence = plan.workload.phase.value === 'prefill' ? workload.sequence : undefined;
  const rule = plan.placement.dispatch.value;
  // Up to twice the plan's batch (at least 512): the curve around the plan, not far beyond it.
  const most = Math.max(512, 2 * plan.workload.batch.value);
  const points = [...new Set([...batches.filter((b) => b <= most), plan.workload.batch.value])].filter((b) => b >= 1).sort((a, b) => a - b);
  return points.map((B) => {
    const byDispatch = { static: 0, random: 0, balanced: 0 } as Record<DispatchRule, number>;
    for (const l of timed) {
      const dist = workload.layers[l];
      const samples = buildStepSamples(dist, {
        batch: B,
        gpus: costs.gpus,
        seed: deriveSeed(plan.placement.seed, 3),
        pairs: SWEEP_PAIRS,
        minBatches: 2,
        enumerateUpTo: SWEEP_ENUMERATE_UP_TO,
        sequence: sequence ? { tokens: sequence.tokens, ids: sequence.ids, stride: sequence.layers, offset: l } : undefined,
      });
      for (const r of DISPATCH.words) {
        const ev = new StepEvaluator(samples, costs, r, deriveSeed(plan.placement.seed, dist.layer, 0xd15));
        ev.setPlacement(placements[l]);
        byDispatch[r] += ev.value() * scale * 1e6;
      }
    }
    if (opts.planPoint && opts.planPoint.batch === B) byDispatch[rule] = opts.planPoint.stepUs;
    const stepUs = byDispatch[rule];
    return { batch: B, stepUs, latencyUsPerToken: stepUs, tokensPerS: stepUs > 0 ? (B / stepUs) * 1e6 : 0, byDispatch };
  });
}
