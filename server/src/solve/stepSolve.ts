// The greedy, search and exact policies on the batched step-time objective.
// They start from the placements the analysis already has (the engines'
// baselines, one copy per expert, the E[T] optimum) evaluated on the
// search's own sampled batches; figures are reported on fresh batches
// (analysis/stepFigures.ts).
import type { StepEvaluator } from '../cost/step';
import type { Instance } from './instance';
import type { Placement } from './types';
import { stepGreedyCopies } from './stepGreedy';
import { stepLocalSearch } from './stepSearch';
import { exhaustiveSize, stepExhaustive } from './stepExhaustive';
import { coactivationPlacement } from './greedy';
import type { LayerDistribution } from '../workload/types';

export interface StepCandidate {
  /** What the placement is: a baseline's name, `one-copy`, `expected-time` (the E[T] optimum), … */
  name: string;
  placement: Placement;
}

interface StepSolveResult {
  placement: Placement;
  /** Objective on the search's own batches, seconds. */
  trainValue: number;
  /** The candidate the search started from (or `greedy`). */
  startedFrom: string;
  /** Proved optimal on the search's batches (exhaustive enumeration finished). */
  optimal: boolean;
  notes: string[];
  probes: number;
}

/** Experts × GPUs up to which the search starts with the greedy (Mixtral 16, DBRX 64; DeepSeek-V3 on 32 GPUs 8,192). */
const GREEDY_IN_SEARCH_LIMIT = 256;

/** Placements up to which `exact` enumerates every placement. */
const EXHAUSTIVE_LIMIT = 60_000;

export function solveStepLayer(
  policy: 'greedy' | 'search' | 'exact',
  inst: Instance,
  dist: LayerDistribution,
  load: readonly number[],
  ev: StepEvaluator,
  candidates: readonly StepCandidate[],
  opts: {
    start: number;
    deadline: number;
    signal?: AbortSignal;
    seed: number;
    /** The co-activation-aware first copies on these slots, when the caller already has them (sweeps solve many points on the same slots). */
    coactivation?: Placement;
  },
): StepSolveResult {
  const notes: string[] = [];
  let probes = 0;
  const scored = candidates.map((c) => {
    ev.setPlacement(c.placement);
    return { ...c, value: ev.value() };
  });
  // The search runs the greedy first only on small layers: at scale the
  // engines' full-replica placements start far closer than one copy per expert.
  const withGreedy = policy === 'greedy' || inst.experts * inst.gpus <= GREEDY_IN_SEARCH_LIMIT;
  const oneCopy = candidates.find((c) => c.name === 'one-copy');
  // Greedy from one copy per expert: the co-activation-aware first copies and
  // the load-balanced packing, whichever is faster on the batches. Without
  // the greedy, one copy per expert is among the candidates already, and the
  // co-activation copies (13 ms a DeepSeek-V3 layer) would be one more
  // placement with a copy per expert, far from the engines' at scale.
  const extra: (StepCandidate & { value: number })[] = [];
  if (withGreedy || !oneCopy) {
    const firstCopies: StepCandidate[] = [
      { name: 'co-activation', placement: opts.coactivation ?? coactivationPlacement({ ...inst, replicas: false }, dist, [...load]) },
    ];
    if (oneCopy) firstCopies.push(oneCopy);
    const greedyShare = policy === 'greedy' ? 1 : 0.3;
    const greedyDeadline = opts.start + (opts.deadline - opts.start) * greedyShare;
    let bestFirst = firstCopies[0];
    let bestFirstValue = Infinity;
    for (const c of firstCopies) {
      ev.setPlacement(c.placement);
      if (ev.value() < bestFirstValue) {
        bestFirstValue = ev.value();
        bestFirst = c;
      }
    }
    ev.setPlacement(bestFirst.placement);
    if (withGreedy) {
      const g = stepGreedyCopies(inst, ev, load, { deadline: greedyDeadline, signal: opts.signal });
      probes += g.probes;
      if (!g.finished) notes.push('the greedy copy insertion stopped at its share of the time budget');
    }
    const greedy = { name: withGreedy ? 'greedy' : bestFirst.name, placement: ev.placement(), value: ev.value() };
    if (policy === 'greedy')
      return {
        placement: greedy.placement,
        trainValue: greedy.value,
        startedFrom: bestFirst.name === 'co-activation' ? 'co-activation first copies' : bestFirst.name,
        optimal: false,
        notes,
        probes,
      };
    extra.push(greedy);
  }
  const pool = [...scored, ...extra].sort((a, b) => a.value - b.value);
  const start = pool[0];
  ev.setPlacement(start.placement);
  if (policy === 'exact') {
    const size = exhaustiveSize(inst, EXHAUSTIVE_LIMIT);
    if (size <= EXHAUSTIVE_LIMIT) {
      const x = stepExhaustive(inst, ev, { deadline: opts.deadline, signal: opts.signal });
      probes += x.leaves;
      if (x.complete && x.placement) {
        return { placement: x.placement, trainValue: x.value, startedFrom: 'every placement', optimal: true, notes, probes };
      }
      notes.push(`optimality not proved: the ${size.toLocaleString('en-US')} placements were not all evaluated within the time budget`);
      ev.setPlacement(x.placement && x.value < start.value ? x.placement : start.placement);
    } else {
      notes.push(
        `optimality not proved: ${Number.isFinite(size) ? `more than ${EXHAUSTIVE_LIMIT.toLocaleString('en-US')}` : 'too many'} placements to enumerate on the step-time objective; returned the search's placement`,
      );
    }
  }
  // From the best start first, then (time allowing, on small layers) from each other candidate.
  const restarts = pool.slice(1).map((c) => c.placement);
  const out = stepLocalSearch(inst, ev, { deadline: opts.deadline, signal: opts.signal, seed: opts.seed, restarts });
  probes += out.probes;
  return { placement: ev.placement(), trainValue: ev.value(), startedFrom: start.name, optimal: false, notes, probes };
}
