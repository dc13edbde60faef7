// Per-layer analysis, run inside a worker: the policy's choice
// (layerChoice.ts, through robust.ts when the plan mixes workloads), the
// committed placement's figures, the bound, and the held-out estimate.
import type { FigureName, LayerResult, PolicyFigure } from '../protocol';
import { SolveError } from '../solve/index';
import { evaluateLayer, PlacementError } from '../cost/evaluate';
import { topPartners } from '../workload/distribution';
import { placementDigest } from '../solve/placementDigest';
import { decideLayer, heldOutLayer, layerBudgetShares } from './robust';
import { type LayerJob, type LayerOutcome, type Note } from './layerChoice';
export * from './layerChoice';

export function analyzeLayer(job: LayerJob): LayerOutcome {
  const { plan, dist, policy } = job;
  const started = performance.now();
  const notes: string[] = [];
  const note: Note = (who, n) => notes.push(`layer ${dist.layer}${who ? `, ${who}` : ''}: ${n}`);
  const shares = layerBudgetShares(job);
  const decided = decideLayer(job, job.budgetMs * shares.main, note);
  const c = decided.choice;
  const { chosen, chosenStep, entries, contiguous, roundRobin, eplb, etBound, step, startedFrom, stepOptimal, searching, etDecides } = c;

  const ev = chosen.evaluation ?? evaluateLayer(dist, chosen.placement);
  const figures: PolicyFigure[] = entries.map((e) => ({ policy: e.name, expectedTime: e.expectedTime, latencyUs: e.step!.us, ms: e.ms, optimal: e.optimal }));
  if (searching && !etDecides)
    figures.push({ policy, expectedTime: ev.expectedTime, latencyUs: chosenStep.us, ms: performance.now() - started, optimal: stepOptimal });
  else if (searching && !figures.some((f) => f.policy === policy))
    figures.push({ policy, expectedTime: ev.expectedTime, latencyUs: chosenStep.us, ms: chosen.ms, optimal: chosen.optimal });

  // The committed placement, when the plan has one for this layer.
  const committed = plan.placement.committed.get(dist.layer);
  let committedExpectedTime: number | undefined;
  if (committed) {
    try {
      const cev = evaluateLayer(dist, committed.gpus);
      committedExpectedTime = cev.expectedTime;
      figures.push({ policy: 'committed', expectedTime: committedExpectedTime, latencyUs: step.figure(committed.gpus).us });
    } catch (e) {
      if (!(e instanceof PlacementError) && !(e instanceof SolveError)) throw e;
      note('', `the committed placement cannot be evaluated: ${(e as Error).message}`);
    }
  }
  const lowerBoundUs = step.boundUs(job.slotsPerGpu, etBound);
  figures.push({ policy: 'lower-bound', expectedTime: etBound, latencyUs: lowerBoundUs });
  const us = (name: FigureName) => entries.find((e) => e.name === name)?.step?.us ?? NaN;
  const etOpt = entries.find((e) => e.name === 'expected-time-optimum');
  const result: LayerResult = {
    layer: dist.layer,
    placement: chosen.placement,
    expectedTime: ev.expectedTime,
    lowerBound: etBound,
    baselines: { contiguous: contiguous.expectedTime, roundRobin: roundRobin.expectedTime, eplb: eplb.expectedTime },
    policies: figures,
    latencyUs: chosenStep.us,
    latencyParts: { computeUs: chosenStep.computeUs, dispatchUs: chosenStep.dispatchUs, combineUs: chosenStep.combineUs },
    lowerBoundUs,
    baselinesUs: {
      contiguous: us('contiguous'),
      roundRobin: us('round-robin'),
      eplb: us('eplb'),
      oneCopy: us('one-copy'),
      ...(etOpt ? { expectedTimeOptimum: etOpt.step!.us } : {}),
    },
    freeSlots: job.slotsPerGpu.map((s, g) => Math.max(0, s - (chosen.placement[g]?.length ?? 0))),
    startedFrom,
    gpuLoad: chosenStep.gpuLoad,
    expertLoad: ev.expertLoad,
    tDistribution: ev.tDistribution,
    committedExpectedTime,
    committedDigest: committed ? placementDigest(committed.gpus) : undefined,
    partners: topPartners(dist),
  };
  if (decided.workloads) result.workloads = decided.workloads;
  if (job.split) result.heldOut = heldOutLayer(job, job.budgetMs * shares.heldOut);
  const optimal = etDecides ? chosen.optimal : stepOptimal && startedFrom === 'every placement';
  return { result, solver: { name: policy, ms: performance.now() - started, optimal }, notes };
}
