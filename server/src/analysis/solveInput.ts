// The solver's input for one layer of a plan: its distribution, the GPUs'
// slots, and the plan's constraints that apply to that layer.
import type { Plan } from '../plan/types';
import type { LayerDistribution } from '../workload/types';
import type { SolveConstraints, SolveInput } from '../solve/types';

/** Constraints of the plan that apply to `layer`. */
function constraintsFor(plan: Plan, layer: number): SolveConstraints {
  const p = plan.placement;
  return {
    pins: p.pins.filter((x) => x.layer === undefined || x.layer === layer).map((x) => ({ expert: x.expert, gpu: x.gpu })),
    forbids: p.forbids.filter((x) => x.layer === undefined || x.layer === layer).map((x) => ({ gpu: x.gpu, expert: x.expert })),
    maxCopies: p.maxCopies,
    replicas: p.replicas,
  };
}

export function solveInputFor(plan: Plan, dist: LayerDistribution, slotsPerGpu: number[], budgetMs: number): SolveInput {
  return {
    dist,
    gpus: slotsPerGpu.length,
    slotsPerGpu,
    gpusPerNode: plan.hardware.gpusPerNode,
    groups: plan.model.groups?.count,
    constraints: constraintsFor(plan, dist.layer),
    // Per-layer seed: reproducible, but layers do not all make the same random choices.
    seed: (plan.placement.seed + dist.layer * 7919) >>> 0,
    timeBudgetMs: budgetMs,
  };
}
