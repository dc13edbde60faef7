// The pipeline from a Plan to PlanResults. Everything heavy — loading the
// workload, solving layers, sweeps — runs on worker threads (a pool of
// min(cores, layers)); the calling thread only queues jobs and assembles the
// answer, so it never blocks for more than a few milliseconds. cancel()
// terminates the workers.
import { availableParallelism } from 'node:os';
import type { Plan, PolicyName } from '../plan/types';
import { DEFAULTS } from '../plan/defaults';
import type { PlanResults, SweepPoint, LayerResult } from '../protocol';
import type { ReadProgress, Workload } from '../workload/types';
import { applyOverrides, type PlanOverrides } from './overrides';
import { WorkerPool, WorkerJobError } from './pool';
import type { LayerOutcome, SweepOutcome } from './layer';
import type { PlanExtras } from './extras';
import { POLICY } from '../plan/vocabulary';
import { LATENCY_MODEL_AVAILABLE } from './latency';
import { needsPaging } from '../cost/paging/simulate';
import { ownerSlotsForPaging, type PagingForResults } from '../cost/paging/forAnalysis';
import { sharedWorkloadCache, workloadKey, type WorkloadCache } from './workloadCache';
import { groupLayerNotes } from './layerNotes';

export type { PlanOverrides } from './overrides';

export interface AnalysisProgress {
  done: number;
  total: number;
  /** Mean E[T] over the layers solved so far. */
  expectedTime?: number;
  /** While the trace is read (done and total are 0 then). */
  reading?: ReadProgress;
}

export interface AnalysisOptions {
  /** Policy to run (default: the plan's). */
  policy?: PolicyName;
  /** Wall-clock budget for the whole analysis, ms (default: the plan's). */
  timeBudgetMs?: number;
  overrides?: PlanOverrides;
  /** Memory sweep, batch sweep and offload comparison (default true). */
  sweeps?: boolean;
  onProgress?: (p: AnalysisProgress) => void;
  /** Least time between two trace-read progress reports, ms (default 250; tests use 0). */
  readProgressEveryMs?: number;
  /** Refuse trace files larger than this. */
  maxTraceBytes?: number;
  /** Worker threads (default min(cores, layers)). */
  workers?: number;
  /** Document version, copied into the results. */
  version?: number;
  /**
   * Workloads reused between analyses with the same workload settings
   * (default: one cache per process); false to always load.
   */
  workloadCache?: WorkloadCache | false;
}

/** Why an analysis failed: the workload, the constraints, cancellation, or a bug. */
export class AnalysisError extends Error {
  constructor(readonly kind: 'workload' | 'solve' | 'cancelled' | 'internal', message: string) {
    super(message);
  }
}

export interface AnalysisHandle {
  result: Promise<PlanResults>;
  cancel(): void;
}

/** Share of the budget kept for the memory sweep when sweeps are on. */
const SWEEP_SHARE = 0.2;
/** Layers sampled (evenly spaced) for the memory sweep. */
const SWEEP_LAYERS = 4;
/** Least time a layer's solve is given, ms. */
const MIN_LAYER_BUDGET_MS = 20;
/** Points of the memory sweep at most. */
const SWEEP_POINTS = 8;

export function startAnalysis(plan: Plan, options: AnalysisOptions = {}): AnalysisHandle {
  let pool: WorkerPool | undefined;
  let cancelled = false;
  const result = (async () => {
    const p = applyOverrides(plan, options.overrides);
    const policy = options.policy ?? p.placement.policy.value;
    if (!POLICY.has(policy)) throw new AnalysisError('solve', `unknown policy '${policy}' (known: ${POLICY.words.join(', ')})`);
    const layers = p.model.layers.value;
    const size = Math.max(1, Math.min(options.workers ?? availableParallelism(), layers));
    if (cancelled) throw new AnalysisError('cancelled', 'analysis cancelled');
    pool = new WorkerPool(size);
    const started = performance.now();
    const budget = Math.max(10, options.timeBudgetMs ?? p.placement.timeBudgetMs.value);
    const sweeps = options.sweeps ?? true;
    const cache = options.workloadCache ?? sharedWorkloadCache;
    const key = cache ? await workloadKey(p, options.maxTraceBytes) : undefined;
    let workload = key !== undefined && cache ? cache.get(key) : undefined;
    if (!workload) {
      workload = await pool.run<Workload>({ kind: 'load', plan: p, maxTraceBytes: options.maxTraceBytes, readProgressEveryMs: options.readProgressEveryMs }, (reading) =>
        options.onProgress?.({ done: 0, total: 0, reading }),
      );
      if (key !== undefined && cache) cache.set(key, workload);
    }
    const L = workload.layers.length;
    const sweepLayers = sweeps ? pickLayers(L, SWEEP_LAYERS) : [];
    const slotValues = sweeps ? sweepSlots(p) : [];
    // Paging (docs/paging.md): when the slots cannot hold every expert, the solver
    // gives each expert an owner GPU and the replay decides what stays resident.
    const paging = needsPaging(p);
    const ownerSlots = ownerSlotsForPaging(p);
    const total = L + sweepLayers.length + (sweeps ? 1 : 0) + (paging ? 1 : 0);
    let done = 0;
    let sumT = 0;
    const progress = () => options.onProgress?.({ done, total, expectedTime: done > 0 && sumT > 0 ? sumT / Math.min(done, L) : undefined });
    // Each layer's budget is set when a worker takes it: its share of the time
    // left before the layers' deadline, so start-up and layers that overran
    // are paid back by the ones after them.
    const layersDeadline = started + budget * (sweeps ? 1 - SWEEP_SHARE : 1);
    let notStarted = L;
    const layerBudget = () => {
      // Time left × workers / (layers not started + the others in flight).
      const share = ((layersDeadline - performance.now()) * size) / Math.max(1, notStarted + size - 1);
      notStarted--;
      return Math.max(MIN_LAYER_BUDGET_MS, share);
    };
    const outcomes = await Promise.all(
      workload.layers.map((dist) =>
        pool!
          .run<LayerOutcome>(() => ({ kind: 'layer', plan: p, dist, policy, budgetMs: layerBudget(), slotsPerGpu: ownerSlots ?? p.hardware.slotsPerGpu }))
          .then((o) => {
            done++;
            sumT += o.result.expectedTime;
            progress();
            return o;
          }),
      ),
    );
    const layerMs = performance.now() - started;
    const pagingJob = paging
      ? pool
          .run<PagingForResults>({ kind: 'paging', plan: p, workload, placements: outcomes.map((o) => o.result.placement) })
          .catch((e: unknown): PagingForResults => {
            // A paging setting the replay refuses is a note, not a failed analysis.
            if (e instanceof WorkerJobError && e.kind === 'PagingError') return { perLayer: [], overall: {}, notes: [`paging not simulated: ${e.message}`], ms: 0 };
            throw e;
          })
          .then((x) => {
            done++;
            progress();
            return x;
          })
      : undefined;
    const sweepBudget = Math.max(20, (budget * SWEEP_SHARE * size) / Math.max(1, sweepLayers.length));
    const [sweepOut, extras] = await Promise.all([
      Promise.all(
        sweepLayers.map((l) =>
          pool!.run<SweepOutcome>({ kind: 'sweep', plan: p, dist: workload.layers[l], policy, slots: slotValues, budgetMs: sweepBudget }).then((o) => {
            done++;
            progress();
            return o;
          }),
        ),
      ),
      // Offload comparison always (a formula); the batch sweep with the sweeps.
      pool.run<PlanExtras>({ kind: 'extras', plan: p, workload, placements: outcomes.map((o) => o.result.placement), policy, batchSweep: sweeps }).then((x) => {
        if (sweeps) {
          done++;
          progress();
        }
        return x;
      }),
    ]);
    const memorySweep: SweepPoint[] = sweeps ? sweepPoints(slotValues, sweepOut) : [];
    const results = assemble(p, workload, outcomes, policy, layerMs, memorySweep, extras, options.version);
    if (layerMs > budget * 1.5 && !cancelled) {
      // The budget bounds the search; the baselines and the exact evaluations
      // around it are paid in full, so say so when they dominate.
      results.notes.push(
        `the layers took ${(layerMs / 1000).toFixed(1)} s against a ${(budget / 1000).toFixed(1)} s budget: ` +
          `the baselines and the exact E[T] of each placement (${workload.layers[0]?.count.toLocaleString('en-US') ?? 0} subsets in layer ${workload.layers[0]?.layer ?? 0}) ` +
          `are computed in full whatever the budget; keep fewer subsets (max-subsets) to go faster`,
      );
    }
    if (pagingJob) {
      const pg = await pagingJob;
      pg.perLayer.forEach((figures, l) => {
        if (results.layers[l]) results.layers[l].paging = figures;
      });
      if (Object.keys(pg.overall).length > 0) {
        results.paging = pg.overall;
        results.pagingPolicy = p.offload?.policy ?? DEFAULTS.offloadPolicy;
      }
      if (ownerSlots) {
        results.notes.push(
          `paging: ${p.hardware.slotsPerGpu.join('/')} slots per GPU cannot hold ${p.model.experts.value} experts; ` +
            `the placement gives each expert an owner GPU (${ownerSlots[0]} per GPU) that pages it from host memory`,
        );
      }
      results.notes.push(...pg.notes);
    }
    return results;
  })();
  const wrapped = result
    .catch((e: unknown) => {
      throw toAnalysisError(e, cancelled);
    })
    .finally(() => pool?.close());
  return {
    result: wrapped,
    cancel() {
      cancelled = true;
      pool?.terminate();
    },
  };
}

export function analyzePlan(plan: Plan, options: AnalysisOptions = {}): Promise<PlanResults> {
  return startAnalysis(plan, options).result;
}

function toAnalysisError(e: unknown, cancelled: boolean): AnalysisError {
  if (e instanceof AnalysisError) return e;
  if (cancelled) return new AnalysisError('cancelled', 'analysis cancelled');
  if (e instanceof WorkerJobError) {
    if (e.kind === 'cancelled') return new AnalysisError('cancelled', e.message);
    if (e.kind === 'WorkloadError') return new AnalysisError('workload', e.message);
    if (e.kind === 'SolveError' || e.kind === 'PlacementError') return new AnalysisError('solve', e.message);
    return new AnalysisError('internal', e.message);
  }
  return new AnalysisError('internal', e instanceof Error ? e.message : String(e));
}

/** Up to `count` layer indices, evenly spaced, first and last included. */
export function pickLayers(layers: number, count: number): number[] {
  if (layers <= count) return Array.from({ length: layers }, (_, i) => i);
  const out = new Set<number>();
  for (let i = 0; i < count; i++) out.add(Math.round((i * (layers - 1)) / (count - 1)));
  return [...out].sort((a, b) => a - b);
}

/** Slots per GPU from the least that fits every expert to about twice that (and the plan's own). */
export function sweepSlots(plan: Plan): number[] {
  const n = plan.model.experts.value;
  const G = plan.hardware.count;
  const min = Math.ceil(n / G);
  const own = plan.hardware.slotsPerGpu[0] ?? min;
  const max = Math.max(2 * min, own, min + 1);
  const values = new Set<number>();
  if (max - min + 1 <= SWEEP_POINTS) for (let s = min; s <= max; s++) values.add(s);
  else for (let i = 0; i < SWEEP_POINTS; i++) values.add(Math.round(min + ((max - min) * i) / (SWEEP_POINTS - 1)));
  if (own >= min) values.add(own);
  return [...values].sort((a, b) => a - b);
}

function sweepPoints(slots: number[], outs: SweepOutcome[]): SweepPoint[] {
  const points: SweepPoint[] = [];
  slots.forEach((s, i) => {
    const rows = outs.map((o) => o.points[i]).filter((r) => r.every(Number.isFinite));
    if (rows.length === 0) return;
    const mean = (j: number) => rows.reduce((a, r) => a + r[j], 0) / rows.length;
    points.push({ slotsPerGpu: s, expectedTime: mean(0), eplb: mean(1), lowerBound: mean(2) });
  });
  return points;
}

function mean(xs: number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

function assemble(
  plan: Plan,
  workload: Workload,
  outcomes: LayerOutcome[],
  policy: PolicyName,
  layerMs: number,
  memorySweep: SweepPoint[],
  extras: PlanExtras,
  version: number | undefined,
): PlanResults {
  const layers: LayerResult[] = outcomes.map((o) => o.result);
  const notes = [...workload.notes];
  notes.push(...groupLayerNotes(outcomes.flatMap((o) => o.notes)));
  if (!LATENCY_MODEL_AVAILABLE) notes.push('latency in µs is not computed yet (latency model pending)');
  if (memorySweep.length === 0) notes.push('sweeps were skipped: no memory or batch sweep');
  notes.push(...extras.notes);
  const phase = plan.workload.phase.value;
  return {
    uri: plan.file,
    version,
    model: {
      name: plan.model.name,
      layers: plan.model.layers.value,
      experts: plan.model.experts.value,
      topK: plan.model.topK.value,
      bytesPerExpert: plan.model.bytesPerExpert.value,
    },
    hardware: { gpu: plan.hardware.gpu.name, gpus: plan.hardware.count, nodes: plan.hardware.nodes, slotsPerGpu: plan.hardware.slotsPerGpu },
    workload: { description: workload.description, notes: workload.notes, batch: plan.workload.batch.value, phase },
    layers,
    expectedTime: mean(layers.map((l) => l.expectedTime)),
    lowerBound: mean(layers.map((l) => l.lowerBound)),
    baselines: {
      contiguous: mean(layers.map((l) => l.baselines.contiguous)),
      roundRobin: mean(layers.map((l) => l.baselines.roundRobin)),
      eplb: mean(layers.map((l) => l.baselines.eplb)),
    },
    latencyUsPerToken: layers.reduce((a, l) => a + l.latencyUs, 0),
    solver: { name: policy, ms: layerMs, optimal: outcomes.every((o) => o.solver.optimal) },
    memorySweep,
    batchSweep: extras.batchSweep,
    offload: extras.offload,
    notes,
  };
}
