// One layer of the capacity sweep, run inside a worker: for every (slots,
// batch) point of the grid, the placement for that point under the plan's
// policy (the searching policies on the batch-aware step objective) and its
// µs per MoE layer on fresh batches — the same estimator and the same
// figures as the layer analysis (analysis/stepFigures.ts).
//
// Work is reused between neighbouring points: the sampled batches of a batch
// size are built once and shared by every slot count (common random
// numbers), and each point's search starts from the best of EPLB on its
// slots, one copy per expert, the placement of the next smaller batch with
// the same slots and the placement of the same batch with one slot count
// fewer.
import type { Plan, PolicyName } from '../plan/types';
import type { LayerDistribution, TokenSequence } from '../workload/types';
import type { Placement } from '../solve/types';
import { instanceOf, placementProblems, SolveError, type Instance } from '../solve/instance';
import { contiguous, eplb, oneCopyPerExpert, roundRobin } from '../solve/baselines';
import { solveStepLayer, type StepCandidate } from '../solve/stepSolve';
import { coactivationPlacement } from '../solve/greedy';
import { expertLoads } from '../cost/evaluate';
import type { StepEvaluator } from '../cost/step';
import { solveInputFor } from './solveInput';
import { LayerStepContext, layerSequenceOf } from './stepFigures';
import { applyOverrides } from './overrides';

export interface CapacityLayerJob {
  plan: Plan;
  dist: LayerDistribution;
  policy: PolicyName;
  /** Slot counts and, for each, its batches (tokens per step over all GPUs). */
  columns: { slotsPerGpu: number; batches: number[] }[];
  /** Placements already found for each column (an earlier pass), tried as starting points at every batch. */
  warm?: Placement[][];
  budgetMs: number;
  /** Also time one copy per expert on twice the GPUs at this many tokens per GPU (the infeasible-target advice). */
  moreGpus?: { perGpu: number };
  sequence?: TokenSequence;
  layerIndex?: number;
}

export interface CapacityLayerOutcome {
  layer: number;
  /** µs per MoE layer, [column][batch], on fresh batches; NaN where the constraints allow no placement. */
  us: number[][];
  /** The placements, same shape (for tests and the recommended point). */
  placements: (Placement | null)[][];
  moreGpusUs?: number;
  /** Points solved, and how many of those searches the time budget stopped. */
  solved: number;
  stopped: number;
  ms: number;
  notes: string[];
}

const SEARCHING: readonly PolicyName[] = ['greedy', 'search', 'exact'];

export function capacityLayer(job: CapacityLayerJob): CapacityLayerOutcome {
  const started = performance.now();
  const { plan, dist } = job;
  const notes: string[] = [];
  const G = plan.hardware.count;
  const sequence = layerSequenceOf(plan, job.sequence, job.layerIndex);
  const load = expertLoads(dist);
  const contexts = new Map<number, { step: LayerStepContext; train?: StepEvaluator }>();
  const contextOf = (batch: number) => {
    let c = contexts.get(batch);
    if (!c) {
      const atBatch: Plan = { ...plan, workload: { ...plan.workload, batch: { value: batch, source: 'capacity sweep' } } };
      c = { step: new LayerStepContext(atBatch, dist, sequence) };
      contexts.set(batch, c);
    }
    return c;
  };
  const total = job.columns.reduce((a, c) => a + c.batches.length, 0);
  let done = 0;
  const deadline = started + job.budgetMs;
  const searching = SEARCHING.includes(job.policy);
  // The sampled batches of every batch size first (shared by all slot counts), so
  // the search time left is known when the points share it out.
  for (const batch of new Set(job.columns.flatMap((c) => c.batches))) {
    const ctx = contextOf(batch);
    if (searching) ctx.train = ctx.step.train();
    ctx.step.evalSamplesOf();
  }
  let unfinished = 0;
  const us: number[][] = [];
  const placements: (Placement | null)[][] = [];
  let previous: (Placement | null)[] | undefined;
  let previousBatches: number[] = [];
  for (const column of job.columns) {
    const row: number[] = [];
    const rowPlacements: (Placement | null)[] = [];
    let inst: Instance | undefined;
    let fixed: Placement | undefined;
    let coactivation: Placement | undefined;
    const candidates: StepCandidate[] = [];
    const c = job.columns.indexOf(column);
    try {
      const input = solveInputFor(plan, dist, new Array<number>(G).fill(column.slotsPerGpu), job.budgetMs);
      inst = instanceOf(input);
      const e = eplb(inst, load, input.gpusPerNode, input.groups).placement;
      candidates.push({ name: 'eplb', placement: e });
      const one = oneCopyPerExpert(inst, load, input.gpusPerNode, input.groups).placement;
      if (placementProblems(inst, one).length === 0) candidates.push({ name: 'one-copy', placement: one });
      if (!searching)
        fixed = job.policy === 'contiguous' ? contiguous(inst, load).placement : job.policy === 'round-robin' ? roundRobin(inst, load).placement : e;
      else coactivation = coactivationPlacement({ ...inst, replicas: false }, dist, [...load]);
      for (const w of job.warm?.[c] ?? []) if (placementProblems(inst, w).length === 0) candidates.push({ name: 'the coarser sweep', placement: w });
    } catch (err) {
      if (!(err instanceof SolveError)) throw err;
      notes.push(`${column.slotsPerGpu} slots per GPU: ${err.message}`);
    }
    let prevBatch: Placement | undefined;
    for (const batch of column.batches) {
      done++;
      if (!inst) {
        row.push(NaN);
        rowPlacements.push(null);
        continue;
      }
      const ctx = contextOf(batch);
      let placement: Placement;
      if (fixed) placement = fixed;
      else {
        const pool = [...candidates];
        if (prevBatch) pool.push({ name: 'the next smaller batch', placement: prevBatch });
        const fewer = previous?.[previousBatches.indexOf(batch)];
        if (fewer) pool.push({ name: 'one slot fewer', placement: fewer });
        // This point's share of the time left.
        const now = performance.now();
        const share = Math.max(1, (deadline - now) / Math.max(1, total - done + 1));
        ctx.train ??= ctx.step.train();
        const r = solveStepLayer(job.policy as 'greedy' | 'search' | 'exact', inst, dist, load, ctx.train, pool, {
          start: now,
          deadline: now + share,
          seed: (plan.placement.seed + dist.layer * 7919 + batch) >>> 0,
          coactivation,
        });
        if (r.notes.length > 0) unfinished++;
        placement = r.placement.map((g) => g.slice().sort((a, b) => a - b));
        const problems = placementProblems(inst, placement);
        if (problems.length > 0)
          throw new SolveError(
            `${job.policy} produced an invalid placement for layer ${dist.layer} at ${column.slotsPerGpu} slots: ${problems.slice(0, 3).join('; ')}`,
          );
      }
      row.push(ctx.step.figure(placement).us);
      rowPlacements.push(placement);
      prevBatch = placement;
    }
    us.push(row);
    placements.push(rowPlacements);
    previous = rowPlacements;
    previousBatches = column.batches;
  }
  const out: CapacityLayerOutcome = {
    layer: dist.layer,
    us,
    placements,
    solved: searching ? total : 0,
    stopped: unfinished,
    ms: performance.now() - started,
    notes,
  };
  if (job.moreGpus) out.moreGpusUs = moreGpusFigure(plan, dist, sequence, load, job.moreGpus.perGpu);
  return out;
}

/**
 * One copy per expert (EPLB's packing) on twice the GPUs, `perGpu` tokens
 * per GPU (decode: one request; prefill: the largest chunk swept): what
 * doubling the hardware would do for the fastest point. NaN when the
 * constraints do not carry over.
 */
function moreGpusFigure(plan: Plan, dist: LayerDistribution, sequence: ReturnType<typeof layerSequenceOf>, load: number[], perGpu: number): number {
  const gpus = 2 * plan.hardware.count;
  const slots = Math.ceil(plan.model.experts.value / gpus);
  const bigger = applyOverrides(plan, { gpus, slots, batch: gpus * perGpu });
  try {
    const input = solveInputFor(bigger, dist, new Array<number>(gpus).fill(slots), 1);
    const inst = instanceOf(input);
    const placement = oneCopyPerExpert(inst, load, input.gpusPerNode, input.groups).placement;
    return new LayerStepContext(bigger, dist, sequence).figure(placement).us;
  } catch (err) {
    if (err instanceof SolveError) return NaN;
    throw err;
  }
}
