// Per-layer analysis, run inside a worker: the chosen policy's placement, the
// baselines on the same slots, every policy's figure, the committed
// placement's E[T], the bound, loads and co-activated partners.
import type { Plan, PolicyName } from '../plan/types';
import type { LayerDistribution } from '../workload/types';
import type { LayerResult, PolicyFigure } from '../protocol';
import type { SolveConstraints, SolveInput, SolveResult } from '../solve/types';
import { solveLayerSync, SolveError } from '../solve/index';
import { EXACT_LIMITS } from '../solve/exact';
import { evaluateLayer, PlacementError } from '../cost/evaluate';
import type { LayerEvaluation } from '../cost/types';
import { topPartners } from '../workload/distribution';
import { layerLatencyUs } from './latency';
import { placementDigest } from '../solve/placementDigest';

export interface LayerJob {
  plan: Plan;
  dist: LayerDistribution;
  policy: PolicyName;
  budgetMs: number;
  /** Slots per GPU to use (the plan's unless a sweep or override changes them). */
  slotsPerGpu: number[];
}

export interface LayerOutcome {
  result: LayerResult;
  solver: { name: PolicyName; ms: number; optimal: boolean };
  notes: string[];
}

/** Constraints of the plan that apply to `layer`. */
export function constraintsFor(plan: Plan, layer: number): SolveConstraints {
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

/** A policy's figure; its latency from its own loads (or, without a placement, the chosen one's loads at its E[T]). */
function figure(plan: Plan, dist: LayerDistribution, r: SolveResult, fallback: { ev: LayerEvaluation; placement: number[][] }): PolicyFigure {
  const own = r.placement.length > 0;
  const ev = own ? (r.evaluation ?? evaluateLayer(dist, r.placement)) : { ...fallback.ev, expectedTime: r.expectedTime };
  return { policy: r.policy, expectedTime: r.expectedTime, latencyUs: layerLatencyUs(plan, ev, own ? r.placement : fallback.placement), ms: r.ms, optimal: r.optimal };
}

export function analyzeLayer(job: LayerJob): LayerOutcome {
  const { plan, dist, policy } = job;
  const notes: string[] = [];
  const mk = (budget: number) => solveInputFor(plan, dist, job.slotsPerGpu, budget);
  const baselineBudget = Math.max(1, job.budgetMs * 0.05);
  const contiguous = solveLayerSync('contiguous', mk(baselineBudget));
  const roundRobin = solveLayerSync('round-robin', mk(baselineBudget));
  const eplb = solveLayerSync('eplb', mk(baselineBudget));
  const figures: SolveResult[] = [contiguous, roundRobin, eplb];
  for (const r of figures) for (const n of r.notes ?? []) notes.push(`layer ${dist.layer}, ${r.policy}: ${n}`);
  let chosen: SolveResult;
  if (policy === 'contiguous' || policy === 'round-robin' || policy === 'eplb') {
    chosen = figures.find((r) => r.policy === policy)!;
  } else {
    chosen = solveLayerSync(policy, mk(job.budgetMs * 0.7));
    for (const n of chosen.notes ?? []) notes.push(`layer ${dist.layer}, ${policy}: ${n}`);
    figures.push(chosen);
  }
  // Greedy: search starts from it, so take its figure from there when complete.
  const greedyStage = chosen.stages?.find((s) => s.policy === 'greedy' && s.complete);
  if (greedyStage && policy === 'search') {
    figures.push({ policy: 'greedy', placement: [], expectedTime: greedyStage.expectedTime, optimal: false, ms: greedyStage.ms });
  } else if (policy === 'search' && chosen.stages?.some((s) => s.policy === 'greedy' && !s.complete)) {
    // Greedy did not finish within the search's larger share: on its own with
    // less time it would not either, and an unfinished greedy is no figure.
    notes.push(`layer ${dist.layer}, greedy: not shown; it did not finish within the search's share of the budget`);
  } else if (policy !== 'greedy' && dist.count * dist.k <= 400_000) {
    figures.push(solveLayerSync('greedy', mk(Math.max(1, job.budgetMs * 0.1))));
  }
  // A proof of optimality where branch and bound can finish quickly.
  if (policy === 'search' && chosen.optimal) {
    // search already ran the branch and bound to the end: that is exact's answer.
    figures.push({ ...chosen, policy: 'exact' });
  } else if (policy !== 'exact' && dist.experts <= 16 && job.slotsPerGpu.length <= 4) {
    const exact = solveLayerSync('exact', mk(Math.max(20, job.budgetMs * 0.15)));
    figures.push(exact);
    if (exact.expectedTime < chosen.expectedTime - 1e-12 && (policy === 'search' || policy === 'greedy')) {
      notes.push(`layer ${dist.layer}: exact search found a better placement than ${policy}; using it`);
      chosen = { ...exact, policy };
    } else if (exact.optimal && chosen.expectedTime <= exact.expectedTime + 1e-12) {
      chosen = { ...chosen, optimal: true };
    }
  }
  const ev = chosen.evaluation ?? evaluateLayer(dist, chosen.placement);
  const lowerBound = Math.max(...figures.map((r) => r.lowerBound ?? 0));
  const chosenFig = { ev, placement: chosen.placement };
  const policies: PolicyFigure[] = figures.map((r) => figure(plan, dist, r, chosenFig));
  const committed = plan.placement.committed.get(dist.layer);
  let committedExpectedTime: number | undefined;
  const committedDigest = committed ? placementDigest(committed.gpus) : undefined;
  if (committed) {
    try {
      const cev = evaluateLayer(dist, committed.gpus);
      committedExpectedTime = cev.expectedTime;
      policies.push({ policy: 'committed', expectedTime: committedExpectedTime, latencyUs: layerLatencyUs(plan, cev, committed.gpus) });
    } catch (e) {
      if (!(e instanceof PlacementError) && !(e instanceof SolveError)) throw e;
      notes.push(`layer ${dist.layer}: the committed placement cannot be evaluated: ${(e as Error).message}`);
    }
  }
  policies.push({ policy: 'lower-bound', expectedTime: lowerBound, latencyUs: layerLatencyUs(plan, { ...ev, expectedTime: lowerBound }, chosen.placement) });
  const result: LayerResult = {
    layer: dist.layer,
    placement: chosen.placement,
    expectedTime: chosen.expectedTime,
    lowerBound,
    baselines: { contiguous: contiguous.expectedTime, roundRobin: roundRobin.expectedTime, eplb: eplb.expectedTime },
    policies,
    latencyUs: layerLatencyUs(plan, ev, chosen.placement),
    gpuLoad: ev.gpuLoad,
    expertLoad: ev.expertLoad,
    tDistribution: ev.tDistribution,
    committedExpectedTime,
    committedDigest,
    partners: topPartners(dist),
  };
  return { result, solver: { name: policy, ms: chosen.ms, optimal: chosen.optimal }, notes };
}

/** Whether branch and bound is attempted at all for this size. */
export function exactAttempted(experts: number, gpus: number): boolean {
  return experts <= EXACT_LIMITS.experts && gpus <= EXACT_LIMITS.gpus;
}

export interface SweepJob {
  plan: Plan;
  dist: LayerDistribution;
  policy: PolicyName;
  slots: number[];
  budgetMs: number;
}

export interface SweepOutcome {
  /** Per slots value: [policy E[T], eplb E[T], bound]; NaN when infeasible. */
  points: [number, number, number][];
}

/** One layer's E[T] of the policy, EPLB and the bound, for each slots-per-GPU value. */
export function sweepLayer(job: SweepJob): SweepOutcome {
  const G = job.plan.hardware.count;
  const per = job.budgetMs / Math.max(1, job.slots.length);
  const policy = job.policy === 'exact' ? 'search' : job.policy;
  const points = job.slots.map((s): [number, number, number] => {
    const slots = new Array<number>(G).fill(s);
    try {
      const input = solveInputFor(job.plan, job.dist, slots, per);
      const e = solveLayerSync('eplb', input);
      const r = policy === 'eplb' ? e : solveLayerSync(policy, input);
      return [r.expectedTime, e.expectedTime, Math.max(r.lowerBound ?? 0, e.lowerBound ?? 0)];
    } catch (err) {
      if (err instanceof SolveError) return [NaN, NaN, NaN];
      throw err;
    }
  });
  return { points };
}
