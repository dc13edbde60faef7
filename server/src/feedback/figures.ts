// Figures derived from a plan and its results, shared by every feedback text.
import type { Plan } from '../plan/types';
import type { LayerResult, PlanResults, PolicyFigure } from '../protocol';

export function totalSlots(plan: Plan): number {
  return plan.hardware.slotsPerGpu.reduce((a, b) => a + b, 0);
}

/** The solver's E[T] on a layer (its policy's figure, or the best non-committed one). */
export function solverFigure(layer: LayerResult, results: PlanResults): PolicyFigure | undefined {
  const own = layer.policies.find((p) => p.policy === results.solver.name);
  if (own) return own;
  const candidates = layer.policies.filter((p) => p.policy !== 'committed' && p.policy !== 'lower-bound');
  return candidates.sort((a, b) => a.expectedTime - b.expectedTime)[0];
}

export function committedFigure(layer: LayerResult): PolicyFigure | undefined {
  const c = layer.policies.find((p) => p.policy === 'committed');
  if (c) return c;
  if (layer.committedExpectedTime === undefined) return undefined;
  return { policy: 'committed', expectedTime: layer.committedExpectedTime, latencyUs: layer.latencyUs };
}

/** Relative gain of `value` over `baseline` (positive = faster). */
export function gain(value: number, baseline: number): number {
  return baseline > 0 ? (baseline - value) / baseline : 0;
}

/** Copies of each expert in a placement: expert → GPUs holding it. */
export function copiesOf(placement: number[][], experts: number): number[][] {
  const where: number[][] = Array.from({ length: experts }, () => []);
  placement.forEach((list, gpu) => {
    for (const e of list) if (e >= 0 && e < experts) where[e]!.push(gpu);
  });
  return where;
}

export function layerResult(results: PlanResults, layer: number): LayerResult | undefined {
  return results.layers.find((l) => l.layer === layer);
}

/** Whether results still describe this plan's shape (experts, GPUs). */
export function resultsMatchPlan(plan: Plan, results: PlanResults): boolean {
  return (
    results.model.experts === plan.model.experts.value &&
    results.hardware.gpus === plan.hardware.count &&
    results.model.layers === plan.model.layers.value
  );
}
