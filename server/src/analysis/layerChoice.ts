// One layer's choice under the plan's objective, and the job a worker gets.
//
// - expected-time (or latency at batch 1 under balanced dispatch, where the
//   step's expert time is exactly E[T] reads): the E[T] solvers decide, as in
//   Beaumont et al., with their proofs;
// - latency: the baselines, one copy per expert and the E[T] optimum are the
//   candidates; the policy searches the step-time objective on its own
//   sampled batches, starting from the best of them.
//
// Every placement is then timed on fresh batches (analysis/stepFigures.ts),
// and the policy's answer is never worse than any candidate there: when one
// is faster, it is used and a note says so.
import type { MixRule, Plan, PolicyName } from '../plan/types';
import type { LayerDistribution, TokenSequence } from '../workload/types';
import type { FigureName, LayerResult } from '../protocol';
import type { SolveResult } from '../solve/types';
import { solveLayer, SolveError } from '../solve/index';
import { instanceOf, placementProblems, type Instance } from '../solve/instance';
import { oneCopyPerExpert } from '../solve/baselines';
import { solveStepLayer, type StepCandidate } from '../solve/stepSolve';
import { evaluateLayer, expectedTime, expertLoads } from '../cost/evaluate';
import { solveInputFor } from './solveInput';
import * as show from '../display';
import { LayerStepContext, layerSequenceOf, type StepFigure } from './stepFigures';

export { solveInputFor } from './solveInput';

export interface LayerJob {
  plan: Plan;
  dist: LayerDistribution;
  policy: PolicyName;
  budgetMs: number;
  /** Slots per GPU to use (the plan's unless a sweep or override changes them). */
  slotsPerGpu: number[];
  /** The workload's token order (shared memory), for prefill chunks. */
  sequence?: TokenSequence;
  /** This layer's index among the workload's layers (the sequence's layer axis). */
  layerIndex?: number;
  /** This layer's planning and held-out parts, for the held-out figure (workload/split.ts). */
  split?: LayerSplit;
  /** The workloads mixed into `dist`, when the plan names several. */
  parts?: LayerPart[];
  /** How the parts make one objective (default mean). */
  mix?: MixRule;
  /** A tight budget for the instance: no E[T]-optimum candidate under the latency objective. */
  lean?: boolean;
}

export interface LayerSplit {
  planning: LayerDistribution;
  heldOut: LayerDistribution;
}

/** One workload of a mixture, on this layer. */
export interface LayerPart {
  name: string;
  share: number;
  dist: LayerDistribution;
  split?: LayerSplit;
}

export interface LayerOutcome {
  result: LayerResult;
  solver: { name: PolicyName; ms: number; optimal: boolean };
  notes: string[];
}

const SEARCHING: readonly PolicyName[] = ['greedy', 'search', 'exact'];
/** Share of a layer's budget the E[T] optimum gets when it is only a candidate. */
const EXPECTED_TIME_SHARE = 0.25;

/** Whether E[T] decides the placement: its own objective, or batch 1 under balanced dispatch. */
function expectedTimeDecides(plan: Plan): boolean {
  return plan.placement.objective.value === 'expected-time' || (plan.workload.batch.value <= 1 && plan.placement.dispatch.value === 'balanced');
}

export interface Entry {
  name: FigureName;
  placement: number[][];
  expectedTime: number;
  ms?: number;
  optimal?: boolean;
  step?: StepFigure;
}

/** What the policy chose on one layer's distribution, with every candidate it was compared with. */
export interface Choice {
  chosen: SolveResult;
  /** The chosen placement on the fresh batches. */
  chosenStep: StepFigure;
  /** Baselines, one copy, E[T] optimum, …: each with its fresh-batch figure. */
  entries: Entry[];
  contiguous: SolveResult;
  roundRobin: SolveResult;
  eplb: SolveResult;
  etBound: number;
  step: LayerStepContext;
  startedFrom?: string;
  stepOptimal: boolean;
  inst: Instance;
  searching: boolean;
  etDecides: boolean;
}

export type Note = (who: string, text: string) => void;

/** The objective's figure of an entry: µs on the fresh batches (latency) or E[T]. */
function objectiveOf(plan: Plan, x: { expectedTime: number; step?: StepFigure }): number {
  return plan.placement.objective.value === 'latency' ? x.step!.us : x.expectedTime;
}

/**
 * The policy's placement for one layer's distribution within `budgetMs` (the
 * baselines and the fresh-batch figures are paid on top):
 * the engines' baselines, one copy per expert and (latency) the E[T]
 * optimum as candidates, the policy's search, and the guarantee that the
 * answer is no slower on the fresh batches than any candidate.
 */
export function chooseOnLayer(job: LayerJob, budgetMs: number, note: Note, opts: { lean?: boolean } = {}): Choice {
  const { plan, dist, policy } = job;
  const started = performance.now();
  const mk = (budget: number) => solveInputFor(plan, dist, job.slotsPerGpu, budget);
  const etDecides = expectedTimeDecides(plan);
  const searching = SEARCHING.includes(policy);

  // The engines' baselines and one copy per expert.
  const baselineBudget = Math.max(1, budgetMs * 0.05);
  const contiguous = solveLayer('contiguous', mk(baselineBudget));
  const roundRobin = solveLayer('round-robin', mk(baselineBudget));
  const eplb = solveLayer('eplb', mk(baselineBudget));
  for (const r of [contiguous, roundRobin, eplb]) for (const n of r.notes ?? []) note(r.policy, n);
  const input = mk(budgetMs);
  const inst = instanceOf(input);
  const load = expertLoads(dist);
  const oneCopy = oneCopyPerExpert(inst, load, input.gpusPerNode, input.groups).placement.map((g) => g.slice().sort((a, b) => a - b));
  const entries: Entry[] = [contiguous, roundRobin, eplb].map(entryOf);
  if (placementProblems(inst, oneCopy).length === 0) entries.push({ name: 'one-copy', placement: oneCopy, expectedTime: expectedTime(dist, oneCopy) });

  // E[T]: the decision itself, or the E[T] optimum as one more candidate.
  let chosen: SolveResult = policy === 'contiguous' ? contiguous : policy === 'round-robin' ? roundRobin : eplb;
  let etBound = Math.max(...[contiguous, roundRobin, eplb].map((r) => r.lowerBound ?? 0));
  if (searching && etDecides) {
    const r = expectedTimeSolve({ ...job, budgetMs }, mk, note);
    chosen = r.chosen;
    entries.push(...r.extra.map(entryOf));
    etBound = Math.max(etBound, r.bound);
  } else if (searching && !job.lean) {
    const opt = solveLayer('search', mk(budgetMs * EXPECTED_TIME_SHARE));
    etBound = Math.max(etBound, opt.lowerBound ?? 0);
    entries.push({ ...entryOf(opt), name: 'expected-time-optimum' });
  }

  // The step-time objective: search it on the search's own batches.
  const step = new LayerStepContext(plan, dist, layerSequenceOf(plan, job.sequence, job.layerIndex));
  let startedFrom: string | undefined;
  let stepOptimal = false;
  if (searching && !etDecides) {
    const candidates: StepCandidate[] = entries.map((e) => ({ name: e.name, placement: e.placement }));
    const t0 = performance.now();
    const deadline = started + budgetMs * 0.9;
    const r = solveStepLayer(policy as 'greedy' | 'search' | 'exact', inst, dist, load, step.train(), candidates, {
      start: t0,
      deadline: Math.max(t0 + 1, deadline),
      seed: input.seed,
    });
    for (const n of r.notes) note(policy, n);
    startedFrom = r.startedFrom;
    stepOptimal = r.optimal;
    const placement = r.placement.map((g) => g.slice().sort((a, b) => a - b));
    const problems = placementProblems(inst, placement);
    if (problems.length > 0) throw new SolveError(`${policy} produced an invalid placement for layer ${dist.layer}: ${problems.slice(0, 3).join('; ')}`);
    const ev = evaluateLayer(dist, placement);
    chosen = { policy, placement, expectedTime: ev.expectedTime, optimal: r.optimal, ms: performance.now() - started, evaluation: ev, lowerBound: etBound };
  }

  // Fresh batches: every placement's figure, and the guarantee. Lean (a
  // solve whose candidates are not shown), only what the guarantee reads.
  // A lean solve (the held-out estimate, a workload's own best) skips the
  // guarantee on fresh batches: its search started from the best candidate
  // on its own batches, and no candidate's figure is shown.
  if (!opts.lean) for (const e of entries) e.step = step.figure(e.placement);
  let chosenStep = step.figure(chosen.placement);
  if (searching && !opts.lean) {
    const own = { expectedTime: chosen.expectedTime, step: chosenStep };
    let best: Entry | undefined;
    for (const e of entries) if (objectiveOf(plan, e) < objectiveOf(plan, best ?? own) - 1e-9 * Math.max(1, objectiveOf(plan, own))) best = e;
    if (best) {
      const text = (x: number) => (plan.placement.objective.value === 'latency' ? show.micros(x) : `E[T] ${show.expectedTime(x)}`);
      const [a, b] = [text(objectiveOf(plan, best)), text(objectiveOf(plan, own))];
      const gap = objectiveOf(plan, own) - objectiveOf(plan, best);
      const by = a === b ? `both ${a} as shown, ${gap.toPrecision(2)}${plan.placement.objective.value === 'latency' ? ' µs' : ''} apart` : `${a} vs ${b}`;
      note(policy, `${best.name} is faster on the fresh batches than ${policy}'s placement (${by}); using it`);
      chosen = { ...chosen, placement: best.placement, expectedTime: best.expectedTime, evaluation: undefined, optimal: false };
      chosenStep = best.step ?? step.figure(best.placement);
      startedFrom = best.name;
    }
  }
  return { chosen, chosenStep, entries, contiguous, roundRobin, eplb, etBound, step, startedFrom, stepOptimal, inst, searching, etDecides };
}

function entryOf(r: SolveResult): Entry {
  return { name: r.policy, placement: r.placement, expectedTime: r.expectedTime, ms: r.ms, optimal: r.optimal };
}

/**
 * E[T] decides: the policy's placement, its greedy stage's figure, and a
 * branch-and-bound proof on small layers.
 */
function expectedTimeSolve(
  job: LayerJob,
  mk: (budget: number) => ReturnType<typeof solveInputFor>,
  note: Note,
): { chosen: SolveResult; extra: SolveResult[]; bound: number } {
  const { dist, policy } = job;
  const extra: SolveResult[] = [];
  let chosen = solveLayer(policy, mk(job.budgetMs * 0.7));
  for (const n of chosen.notes ?? []) note(policy, n);
  // Greedy: search starts from it, so take its figure from there when complete.
  const greedyStage = chosen.stages?.find((s) => s.policy === 'greedy');
  if (policy === 'search' && greedyStage) {
    if (greedyStage.complete && greedyStage.placement) {
      extra.push({ policy: 'greedy', placement: greedyStage.placement, expectedTime: greedyStage.expectedTime, optimal: false, ms: greedyStage.ms });
    } else {
      // An unfinished greedy is no figure, and on its own with less time it would not finish either.
      note('greedy', "not shown; it did not finish within the search's share of the budget");
    }
  } else if (policy !== 'greedy' && dist.count * dist.k <= 400_000) {
    extra.push(solveLayer('greedy', mk(Math.max(1, job.budgetMs * 0.1))));
  }
  if (policy === 'search' && chosen.optimal) {
    // search already ran the branch and bound to the end: that is exact's answer.
    extra.push({ ...chosen, policy: 'exact' });
  } else if (policy !== 'exact' && dist.experts <= 16 && job.slotsPerGpu.length <= 4) {
    const exact = solveLayer('exact', mk(Math.max(20, job.budgetMs * 0.15)));
    extra.push(exact);
    if (exact.expectedTime < chosen.expectedTime - 1e-12 && (policy === 'search' || policy === 'greedy')) {
      note('', `exact search found a better placement than ${policy}; using it`);
      chosen = { ...exact, policy };
    } else if (exact.optimal && chosen.expectedTime <= exact.expectedTime + 1e-12) {
      chosen = { ...chosen, optimal: true };
    }
  }
  const bound = Math.max(chosen.lowerBound ?? 0, ...extra.map((r) => r.lowerBound ?? 0));
  return { chosen, extra, bound };
}
