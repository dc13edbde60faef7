// Figures derived from a plan and its results, shared by every feedback text.
import type { Plan } from '../plan/types';
import type { LayerResult, PlanResults, PolicyFigure } from '../protocol';
import { placementDigest } from '../solve/placementDigest';
import { objectiveName, objectiveValue } from './objective';

export function totalSlots(plan: Plan): number {
  return plan.hardware.slotsPerGpu.reduce((a, b) => a + b, 0);
}

/** The solver's figure on a layer (its policy's, or the best other by the objective). */
export function solverFigure(layer: LayerResult, results: PlanResults): PolicyFigure | undefined {
  const own = layer.policies.find((p) => p.policy === results.solver.name);
  if (own) return own;
  const objective = objectiveName(results);
  const candidates = layer.policies.filter((p) => p.policy !== 'committed' && p.policy !== 'lower-bound');
  return candidates.sort((a, b) => objectiveValue(a, objective) - objectiveValue(b, objective))[0];
}

/**
 * The committed placement's figure on a layer, as the plan's text stands
 * now: the evaluated one while the text still holds the placement that was
 * evaluated; the solver's own figure when the text now holds the solver's
 * placement (it was just applied); undefined when there is no committed
 * placement, or it was edited since the last solve (see `committedEdited`).
 */
export function committedFigure(layer: LayerResult, plan?: Plan): PolicyFigure | undefined {
  const c = layer.policies.find((p) => p.policy === 'committed');
  const evaluated =
    c ??
    (layer.committedExpectedTime === undefined ? undefined : { policy: 'committed', expectedTime: layer.committedExpectedTime, latencyUs: layer.latencyUs });
  if (!plan) return evaluated;
  const now = plan.placement.committed.get(layer.layer);
  if (!now) return undefined;
  const digest = placementDigest(now.gpus);
  if (evaluated && (layer.committedDigest === undefined || digest === layer.committedDigest)) return evaluated;
  if (digest === placementDigest(layer.placement)) return { policy: 'committed', expectedTime: layer.expectedTime, latencyUs: layer.latencyUs };
  return undefined;
}

/** Whether the plan commits a placement for the layer that the results have not evaluated (edited since the last solve). */
export function committedEdited(layer: LayerResult, plan: Plan): boolean {
  return plan.placement.committed.has(layer.layer) && committedFigure(layer, plan) === undefined;
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
    results.model.experts === plan.model.experts.value && results.hardware.gpus === plan.hardware.count && results.model.layers === plan.model.layers.value
  );
}
