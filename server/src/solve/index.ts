// solveLayer: one entry point for every placement policy. Every result is
// re-evaluated exactly over the full distribution and checked for validity.
import { POLICY, type PolicyName } from '../plan/vocabulary';
import { expectedTime, expertLoads } from '../cost/evaluate';
import { lowerBound } from '../cost/bounds';
import { instanceOf, placementProblems, SolveError, type Instance } from './instance';
import { contiguous, eplb, roundRobin } from './baselines';
import { greedyPlacement } from './greedy';
import { localSearch } from './search';
import { branchAndBound } from './exact';
import { integerProgram } from './ip';
import type { Placement, SolveInput, SolveResult } from './types';
import type { LayerDistribution } from '../workload/types';
import { placementDigest } from './placementDigest';

export { SolveError } from './instance';

/** Layers this small get a branch-and-bound proof inside `search` when time remains. */
const SEARCH_PROOF_LIMITS = { experts: 16, gpus: 4 };

/**
 * E[T] of placements already evaluated on a distribution (by digest): the
 * analysis solves the baselines first, and the search evaluates EPLB's
 * placement again as a starting point. A few entries per layer.
 */
const evaluated = new WeakMap<LayerDistribution, Map<string, number>>();

function rememberValue(dist: LayerDistribution, placement: Placement, value: number): void {
  let m = evaluated.get(dist);
  if (!m) evaluated.set(dist, (m = new Map()));
  if (m.size >= 16) m.clear();
  m.set(placementDigest(placement), value);
}

function valueOf(dist: LayerDistribution, placement: Placement): number {
  const known = evaluated.get(dist)?.get(placementDigest(placement));
  if (known !== undefined) return known;
  const value = expectedTime(dist, placement);
  rememberValue(dist, placement, value);
  return value;
}

/** Sorted copy of a placement (experts ascending per GPU). */
function tidy(p: Placement): Placement {
  return p.map((es) => es.slice().sort((a, b) => a - b));
}

export function solveLayer(policy: PolicyName, input: SolveInput): SolveResult {
  const start = performance.now();
  const inst = instanceOf(input);
  const load = expertLoads(input.dist);
  const bound = lowerBound({ dist: input.dist, capacity: inst.capacity, replicas: inst.replicas }).value;
  const deadline = start + Math.max(0, input.timeBudgetMs);
  let placement: Placement;
  let optimal = false;
  let provedBound: number | undefined;
  const notes: string[] = [];
  let stages: SolveResult['stages'];
  switch (policy) {
    case 'contiguous':
    case 'round-robin':
    case 'eplb': {
      const out = baseline(policy, inst, input, load);
      placement = out.placement;
      notes.push(...out.notes);
      break;
    }
    case 'greedy': {
      const { ev, finished } = greedyPlacement(inst, input.dist, { deadline, signal: input.signal });
      if (!finished) notes.push('time budget ran out during greedy insertion; the remaining slots were filled by load per copy');
      placement = ev.placement();
      break;
    }
    case 'search': {
      const out = searchPlacement(inst, input, load, start, deadline);
      placement = out.placement;
      notes.push(...out.notes);
      stages = out.stages;
      // Small layers: spend the time left proving (or improving) the answer.
      if (inst.experts <= SEARCH_PROOF_LIMITS.experts && inst.gpus <= SEARCH_PROOF_LIMITS.gpus && !input.signal?.aborted && performance.now() < deadline) {
        const value = expectedTime(input.dist, placement);
        if (value > bound + 1e-12) {
          const bb = branchAndBound(inst, input.dist, placement, value, deadline, input.signal);
          placement = bb.placement;
          optimal = bb.proved;
          if (bb.proved) provedBound = bb.value;
        }
      }
      break;
    }
    case 'exact': {
      // Incumbent from the search with part of the budget, then prove.
      const searchDeadline = start + Math.max(0, input.timeBudgetMs) * 0.2;
      const inc = searchPlacement(inst, input, load, start, searchDeadline);
      const incValue = expectedTime(input.dist, inc.placement);
      if (incValue <= bound + 1e-12) {
        placement = inc.placement;
        optimal = true;
        provedBound = incValue;
      } else {
        const bb = branchAndBound(inst, input.dist, inc.placement, incValue, deadline, input.signal);
        placement = bb.placement;
        optimal = bb.proved;
        if (bb.proved) provedBound = bb.value;
        else {
          // Tiny layers the branch and bound could not finish: the integer program.
          const left = deadline - performance.now();
          const ip = left > 50 && !input.signal?.aborted ? integerProgram(inst, input.dist, left) : undefined;
          if (ip && placementProblems(inst, ip.placement).length === 0) {
            const v = expectedTime(input.dist, ip.placement);
            if (v < bb.value - 1e-12) placement = ip.placement;
            if (ip.proved) {
              optimal = true;
              provedBound = Math.min(v, bb.value);
            }
          }
          if (!optimal) notes.push(`optimality not proved: ${bb.reason}; returned the best placement found`);
        }
      }
      break;
    }
    default: {
      // A policy added to the vocabulary without a case here is a type error.
      const unknown: never = policy;
      throw new SolveError(`unknown policy '${unknown as string}' (known: ${POLICY.words.join(', ')})`);
    }
  }
  placement = tidy(placement);
  const problems = placementProblems(inst, placement);
  if (problems.length > 0) {
    throw new SolveError(`${policy} produced an invalid placement for layer ${input.dist.layer}: ${problems.slice(0, 3).join('; ')}`);
  }
  // E[T] alone (memoised): the per-GPU loads and P(T = t) are wanted only for
  // the placement an analysis keeps, and cost twice as much.
  const value = valueOf(input.dist, placement);
  if (value <= bound + 1e-12) optimal = true;
  return {
    policy,
    placement,
    expectedTime: value,
    optimal,
    ms: performance.now() - start,
    lowerBound: Math.max(bound, provedBound ?? 0),
    notes: notes.length > 0 ? notes : undefined,
    stages,
  };
}

function baseline(policy: 'contiguous' | 'round-robin' | 'eplb', inst: Instance, input: SolveInput, load: number[]) {
  switch (policy) {
    case 'contiguous':
      return contiguous(inst, load);
    case 'round-robin':
      return roundRobin(inst, load);
    case 'eplb':
      return eplb(inst, load, input.gpusPerNode, input.groups);
  }
}

/**
 * Greedy, then local search from the better of greedy and EPLB — so the
 * answer is never worse than EPLB on the same slots.
 */
function searchPlacement(
  inst: Instance,
  input: SolveInput,
  load: number[],
  start: number,
  deadline: number,
): { placement: Placement; notes: string[]; stages: NonNullable<SolveResult['stages']> } {
  const notes: string[] = [];
  const budget = deadline - start;
  // At scale the greedy answer is most of the gain; give it most of the budget.
  const greedyDeadline = start + budget * 0.75;
  const { ev, finished } = greedyPlacement(inst, input.dist, { deadline: greedyDeadline, signal: input.signal });
  if (!finished) notes.push('greedy insertion hit its share of the time budget; filled the rest by load per copy');
  const greedyValue = ev.expectedTime();
  const stages: NonNullable<SolveResult['stages']> = [
    { policy: 'greedy', expectedTime: greedyValue, ms: performance.now() - start, complete: finished, placement: tidy(ev.placement()) },
  ];
  let eplbPlacement: Placement | undefined;
  try {
    eplbPlacement = eplb(inst, load, input.gpusPerNode, input.groups).placement;
  } catch {
    eplbPlacement = undefined;
  }
  if (eplbPlacement && placementProblems(inst, eplbPlacement).length === 0) {
    const eplbValue = valueOf(input.dist, eplbPlacement);
    if (eplbValue < greedyValue - 1e-12) ev.setPlacement(eplbPlacement);
  }
  input.onProgress?.({ expectedTime: ev.expectedTime(), elapsedMs: performance.now() - start, fraction: 0.4 });
  const outcome = localSearch(inst, ev, {
    deadline,
    signal: input.signal,
    seed: input.seed,
    startMs: start,
    budgetMs: budget,
    onProgress: input.onProgress,
    // Small layers get a branch-and-bound proof next; fewer kicks suffice.
    maxKicks: inst.experts <= SEARCH_PROOF_LIMITS.experts && inst.gpus <= SEARCH_PROOF_LIMITS.gpus ? 5 : undefined,
  });
  if (!outcome.converged && input.signal?.aborted) notes.push('cancelled; returned the best placement so far');
  return { placement: ev.placement(), notes, stages };
}
