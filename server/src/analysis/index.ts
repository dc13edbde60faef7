// The pipeline from a Plan to PlanResults. Everything heavy — loading the
// workload, solving layers, sweeps — runs on worker threads (a pool of
// min(cores, layers)); the calling thread only queues jobs and assembles the
// answer, so it never blocks for more than a few milliseconds. cancel()
// terminates the workers.
import { availableParallelism } from 'node:os';
import * as show from '../display';
import type { DriftSpec, ObjectiveName, Plan, PolicyName } from '../plan/types';
import type { DriftReport, PlanResults, SweepPoint } from '../protocol';
import type { ReadProgress, Workload } from '../workload/types';
import { applyOverrides, type PlanOverrides } from './overrides';
import { WorkerPool, WorkerJobError } from './pool';
import type { LayerOutcome } from './layer';
import { sweepCurve, type SweepOutcome } from './sweep';
import type { PlanExtras } from './extras';
import { POLICY } from '../plan/vocabulary';
import { needsPaging } from '../cost/paging/simulate';
import { ownerSlotsForPaging } from '../cost/paging/forAnalysis';
import { sharedWorkloadCache, workloadKey, type WorkloadCache } from './workloadCache';
import { assembleResults, layersBudgetNote } from './assemble';
import { pagingStage } from './pagingStage';
import { capacityPlan, capacityStage } from './capacityStage';
import { layerRobustInputs } from './robustInputs';
import { mixOf } from '../plan/workloadSources';
import { committedLayerCount, driftReport, noCommittedPlacement } from './drift';
import { JobClock } from './jobClock';
import { partedSyntheticSource, partRanges, type SyntheticPart } from '../workload/syntheticParts';

export type { PlanOverrides } from './overrides';

export interface AnalysisProgress {
  done: number;
  total: number;
  /** Mean E[T] and µs per layer over the layers solved so far, and the objective they answer. */
  expectedTime?: number;
  latencyUs?: number;
  objective?: ObjectiveName;
  /** While the trace is read (done and total are 0 then). */
  reading?: ReadProgress;
}

interface AnalysisOptions {
  /** Policy to run (default: the plan's). */
  policy?: PolicyName;
  /** Wall-clock budget for the whole analysis, ms (default: the plan's). */
  timeBudgetMs?: number;
  /**
   * When the budget's clock started, on performance.now()'s clock (default:
   * when the analysis starts). A command passes 0, its process's start, so
   * the plan's `time` bounds the command's whole run.
   */
  startedAt?: number;
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
  /** Held-out figures when the workload can be split (default true). */
  heldOut?: boolean;
  /** Run the plan's own drift gate (its `drift` line) after the figures (default true). */
  drift?: boolean;
  /**
   * Workloads reused between analyses with the same workload settings
   * (default: one cache per process); false to always load.
   */
  workloadCache?: WorkloadCache | false;
}

/** Why an analysis failed: the workload, the constraints, cancellation, or a bug. */
export class AnalysisError extends Error {
  constructor(
    readonly kind: 'workload' | 'solve' | 'cancelled' | 'internal',
    message: string,
  ) {
    super(message);
  }
}

interface AnalysisHandle {
  result: Promise<PlanResults>;
  cancel(): void;
}

/** Share of the budget kept for the memory sweep when sweeps are on. */
const SWEEP_SHARE = 0.2;
/** Share of the budget kept for the capacity sweep when the plan has a `serve` block. */
const CAPACITY_SHARE = 0.25;
/** Layers sampled (evenly spaced) for the memory sweep. */
const SWEEP_LAYERS = 4;
/** Least time a layer's solve is given, ms. */
const MIN_LAYER_BUDGET_MS = 20;
/** Least time a memory-sweep job is given, ms. */
const MIN_SWEEP_BUDGET_MS = 20;
/**
 * Time kept at the end of the budget for assembling and printing the results
 * and stopping the workers, ms: 3% of the budget, within 50–500 ms (a
 * DeepSeek-V3 solve spends about 70 ms after its last job).
 */
function finishReserveMs(budget: number): number {
  return Math.min(500, Math.max(50, 0.03 * budget));
}
/** Points of the memory sweep at most. */
const SWEEP_POINTS = 8;

/** What every stage of one analysis shares. */
interface Run {
  plan: Plan;
  policy: PolicyName;
  pool: WorkerPool;
  workers: number;
  started: number;
  budget: number;
  sweeps: boolean;
  /** The capacity sweep runs (a `serve` block, sweeps on). */
  capacity: boolean;
  /** Held-out figures (a share of each layer's budget) when the workload can be split. */
  heldOut: boolean;
  /** Layers run only the policy's solve and its comparisons (the budget is tight for the instance). */
  lean?: boolean;
  progress: { done: number; total: number; sumT: number; sumUs: number; report(): void };
}

export function startAnalysis(plan: Plan, options: AnalysisOptions = {}): AnalysisHandle {
  return startRun(plan, options, async (run, cancelled) => {
    const workload = await loadStage(run, options);
    const results = await analyzeWorkload(run, workload, options.version, cancelled);
    // The plan's own drift gate, after the figures (a second solve, on the newer trace).
    const drift = run.plan.workload.drift;
    if (drift && options.drift !== false && committedLayerCount(run.plan) > 0 && !cancelled()) results.drift = await driftStage(run, drift, options);
    return results;
  });
}

interface DriftHandle {
  result: Promise<DriftReport>;
  cancel(): void;
}

/**
 * The drift gate alone (`moeplan check PLAN --trace NEW`): the committed
 * placement on `drift`'s trace against a fresh solve on it, with the plan's
 * budget (or options.timeBudgetMs).
 */
export function startDriftCheck(plan: Plan, drift: DriftSpec, options: AnalysisOptions = {}): DriftHandle {
  if (committedLayerCount(plan) === 0) {
    const result = Promise.reject(new AnalysisError('solve', noCommittedPlacement(plan)));
    result.catch(() => undefined);
    return { result, cancel() {} };
  }
  return startRun(plan, options, (run) => driftStage(run, drift, options));
}

/** One analysis run: a worker pool, the budget's clock, progress, cancellation. */
function startRun<T>(plan: Plan, options: AnalysisOptions, body: (run: Run, cancelled: () => boolean) => Promise<T>): { result: Promise<T>; cancel(): void } {
  let pool: WorkerPool | undefined;
  let cancelled = false;
  const result = (async () => {
    const p = applyOverrides(plan, options.overrides);
    const policy = options.policy ?? p.placement.policy.value;
    if (!POLICY.has(policy)) throw new AnalysisError('solve', `unknown policy '${policy}' (known: ${POLICY.words.join(', ')})`);
    const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), p.model.layers.value));
    if (cancelled) throw new AnalysisError('cancelled', 'analysis cancelled');
    pool = takePool(workers);
    const run: Run = {
      plan: p,
      policy,
      pool,
      workers,
      started: Math.min(performance.now(), options.startedAt ?? Infinity),
      budget: Math.max(10, options.timeBudgetMs ?? p.placement.timeBudgetMs.value),
      sweeps: options.sweeps ?? true,
      capacity: (options.sweeps ?? true) && p.serve !== undefined,
      heldOut: options.heldOut ?? true,
      progress: {
        done: 0,
        total: 0,
        sumT: 0,
        sumUs: 0,
        report() {
          const solved = Math.min(this.done, p.model.layers.value);
          options.onProgress?.({
            done: this.done,
            total: this.total,
            expectedTime: solved > 0 && this.sumT > 0 ? this.sumT / solved : undefined,
            latencyUs: solved > 0 && this.sumUs > 0 ? this.sumUs / solved : undefined,
            objective: p.placement.objective.value,
          });
        },
      },
    };
    return body(run, () => cancelled);
  })();
  const wrapped = result
    .catch((e: unknown) => {
      throw toAnalysisError(e, cancelled);
    })
    .finally(() => {
      if (pool) parkPool(pool);
    });
  return {
    result: wrapped,
    cancel() {
      cancelled = true;
      pool?.terminate();
    },
  };
}

/**
 * Workers kept warm between analyses: the language server analyses on every
 * save, and starting two workers (loading the bundle in each) is a few
 * hundred milliseconds of a 1 s budget. Cancellation still terminates them.
 */
let parked: WorkerPool | undefined;

function takePool(size: number): WorkerPool {
  const warm = parked;
  parked = undefined;
  if (warm && warm.size === size && warm.reusable) {
    warm.unpark();
    return warm;
  }
  warm?.close();
  return new WorkerPool(size);
}

function parkPool(pool: WorkerPool): void {
  if (!pool.reusable || parked === pool) {
    if (parked !== pool) pool.close();
    return;
  }
  parked?.close();
  pool.park();
  parked = pool;
}

/** The newer trace read and solved afresh (same budget, no sweeps, no held-out split); the committed placement scored beside. */
async function driftStage(run: Run, drift: DriftSpec, options: AnalysisOptions): Promise<DriftReport> {
  const plan = applyOverrides(run.plan, { traces: [{ path: drift.absPath, format: drift.format, files: drift.files }] });
  const shown: Plan = {
    ...plan,
    workload: { ...plan.workload, sources: plan.workload.sources?.map((s) => (s.kind === 'trace' ? { ...s, path: drift.path } : s)) },
  };
  shown.workload.source = shown.workload.sources?.[0];
  const dRun: Run = { ...run, plan: shown, started: performance.now(), sweeps: false, capacity: false, heldOut: false };
  const workload = await loadStage(dRun, options);
  run.progress.total += workload.layers.length;
  const outcomes = await layersStage(dRun, workload);
  return driftReport(
    run.plan,
    drift,
    run.budget,
    outcomes.map((o) => o.result),
    workload.description,
  );
}

export function analyzePlan(plan: Plan, options: AnalysisOptions = {}): Promise<PlanResults> {
  return startAnalysis(plan, options).result;
}

/** The workload, from the cache when its settings are unchanged. */
async function loadStage(run: Run, options: AnalysisOptions): Promise<Workload> {
  const cache = options.workloadCache ?? sharedWorkloadCache;
  const key = cache ? await workloadKey(run.plan, options.maxTraceBytes) : undefined;
  let workload = key !== undefined && cache ? cache.get(key) : undefined;
  if (!workload) {
    const syntheticParts = await syntheticPartsStage(run);
    workload = await run.pool.run<Workload>(
      { kind: 'load', plan: run.plan, maxTraceBytes: options.maxTraceBytes, readProgressEveryMs: options.readProgressEveryMs, syntheticParts },
      (reading) => options.onProgress?.({ done: 0, total: 0, reading }),
    );
    if (key !== undefined && cache) cache.set(key, workload);
  }
  return workload;
}

/** A large synthetic workload generated in parts on every worker (the load job puts them together), or undefined. */
async function syntheticPartsStage(run: Run): Promise<SyntheticPart[] | undefined> {
  const spec = run.workers > 1 ? partedSyntheticSource(run.plan) : undefined;
  if (!spec) return undefined;
  const ranges = partRanges(run.plan.model.layers.value, run.workers);
  return Promise.all(ranges.map(([from, to]) => run.pool.run<SyntheticPart>({ kind: 'synthetic-part', plan: run.plan, spec, from, to })));
}

/**
 * Milliseconds per (expert × GPU) below which a layer's budget is too small
 * for the extras: the held-out solve, the E[T]-optimum candidate and the
 * sweeps. The baselines and the fresh-batch figures alone cost about this
 * much per layer (DeepSeek-V3 on 512 GPUs: 256 × 512 pairs, ≈ 0.7 s per
 * layer on one core), so below it only the policy's own solve runs.
 */
const TIGHT_MS_PER_EXPERT_GPU = 0.005;

/** Why the budget is too small for the extras, or undefined when it is not. */
function tightBudgetReason(run: Run, layers: number): string | undefined {
  const perLayerMs = (run.budget * run.workers) / Math.max(1, layers);
  const experts = run.plan.model.experts.value;
  const gpus = run.plan.hardware.count;
  const needMs = experts * gpus * TIGHT_MS_PER_EXPERT_GPU;
  if (perLayerMs >= needMs) return undefined;
  const needS = (needMs * layers) / run.workers / 1000;
  return (
    `the time budget (${show.seconds(run.budget / 1000)}) leaves ${show.millis(perLayerMs)} per layer on ${run.workers} workers, too little for ${experts} experts on ${gpus} GPUs; ` +
    `the held-out solve, the E[T]-optimum candidate and the sweeps were skipped (about ${show.seconds(needS)} would allow them)`
  );
}

async function analyzeWorkload(run: Run, workload: Workload, version: number | undefined, cancelled: () => boolean): Promise<PlanResults> {
  const L = workload.layers.length;
  const tight = tightBudgetReason(run, L);
  if (tight) {
    run.heldOut = false;
    run.sweeps = false;
    run.capacity = false;
    run.lean = true;
  }
  const { plan: p, policy, sweeps } = run;
  const sweepLayers = sweeps ? pickLayers(L, SWEEP_LAYERS) : [];
  const capacity = run.capacity ? capacityPlan(run.plan, L, run.budget * CAPACITY_SHARE * run.workers) : undefined;
  // Paging (docs/paging.md): when the slots cannot hold every expert, the solver
  // gives each expert an owner GPU and the replay decides what stays resident.
  const paging = needsPaging(p);
  run.progress.total = L + sweepLayers.length + (sweeps ? 1 : 0) + (paging ? 1 : 0) + (capacity ? 1 : 0);
  const outcomes = await layersStage(run, workload);
  const layerMs = performance.now() - run.started;
  const placements = outcomes.map((o) => o.result.placement);
  const pagingJob = paging ? pagingStage(run.pool, p, workload, placements).finally(() => tick(run)) : undefined;
  const perToken = outcomes.reduce((a, o) => a + o.result.latencyUs, 0);
  // What is left of the budget, shared by the memory and capacity sweeps in
  // proportion to their shares (they run at once on the pool).
  const leftMs = Math.max(0, run.started + run.budget - finishReserveMs(run.budget) - performance.now());
  const sweepShare = capacity ? SWEEP_SHARE / (SWEEP_SHARE + CAPACITY_SHARE) : 1;
  const [extras, memorySweep, capacityOut] = await Promise.all([
    // Offload comparison always (a formula); the batch sweep with the sweeps. First in the queue: it is short and bounded.
    run.pool
      .run<PlanExtras>({
        kind: 'extras',
        plan: p,
        workload,
        placements,
        policy,
        batchSweep: sweeps,
        planPoint: { batch: p.workload.batch.value, stepUs: perToken },
      })
      .then((x) => {
        if (sweeps) tick(run);
        return x;
      }),
    memorySweepStage(run, workload, sweepLayers, run.workers * sweepShare),
    capacity
      ? capacityStage(
          {
            plan: p,
            policy,
            pool: run.pool,
            budgetMs: Math.min(run.budget * CAPACITY_SHARE, leftMs * (1 - sweepShare)) * run.workers,
            tick: () => tick(run),
          },
          workload,
          capacity,
        )
      : undefined,
  ]);
  const results = assembleResults(p, workload, outcomes, policy, layerMs, memorySweep.points, extras, version);
  if (memorySweep.note) results.notes.push(memorySweep.note);
  if (tight) {
    results.notes.push(tight);
    if (workload.split) results.heldOutMissing = 'the time budget was too small for a held-out solve (see the notes)';
  }
  if (capacityOut) results.capacity = capacityOut;
  if (layerMs > run.budget * 1.5 && !cancelled()) results.notes.push(layersBudgetNote(layerMs, run.budget, workload));
  if (pagingJob) (await pagingJob).apply(results);
  return results;
}

function tick(run: Run): void {
  run.progress.done++;
  run.progress.report();
}

/**
 * Every layer on the pool. Each layer's budget is set when a worker takes it:
 * its share of the time left before the layers' deadline, so start-up and
 * layers that overran are paid back by the ones after them.
 */
function layersStage(run: Run, workload: Workload): Promise<LayerOutcome[]> {
  const { plan: p, policy, workers: size } = run;
  const L = workload.layers.length;
  const layersDeadline = run.started + run.budget * (1 - (run.sweeps ? SWEEP_SHARE : 0) - (run.capacity ? CAPACITY_SHARE : 0)) - finishReserveMs(run.budget);
  const ownerSlots = ownerSlotsForPaging(p);
  const clock = new JobClock(layersDeadline, size, L, MIN_LAYER_BUDGET_MS);
  return Promise.all(
    workload.layers.map((dist, layerIndex) => {
      let budgetMs = 0;
      return run.pool
        .run<LayerOutcome>(() => {
          budgetMs = clock.take();
          return {
            kind: 'layer',
            plan: p,
            dist,
            policy,
            budgetMs,
            slotsPerGpu: ownerSlots ?? p.hardware.slotsPerGpu,
            sequence: p.workload.phase.value === 'prefill' ? workload.sequence : undefined,
            layerIndex,
            lean: run.lean,
            ...layerRobustInputs(workload, layerIndex, mixOf(p.workload), run.heldOut),
          };
        })
        .then((o) => {
          clock.done(budgetMs, o.solver.ms);
          run.progress.sumT += o.result.expectedTime;
          run.progress.sumUs += o.result.latencyUs;
          tick(run);
          return o;
        });
    }),
  );
}

/**
 * The memory sweep on a few layers, within what is left of the budget: each
 * job's budget is set when a worker takes it, and a job stops at its
 * deadline (sweep.ts), so a slot count some layer did not reach is left out
 * and said.
 */
async function memorySweepStage(run: Run, workload: Workload, sweepLayers: number[], workers: number): Promise<{ points: SweepPoint[]; note?: string }> {
  if (!run.sweeps) return { points: [] };
  const slotValues = sweepSlots(run.plan);
  const clock = new JobClock(run.started + run.budget - finishReserveMs(run.budget), workers, sweepLayers.length, MIN_SWEEP_BUDGET_MS, 1);
  const outs = await Promise.all(
    sweepLayers.map((l) => {
      let budgetMs = 0;
      return run.pool
        .run<SweepOutcome>(() => {
          budgetMs = clock.take();
          return { kind: 'sweep', plan: run.plan, dist: workload.layers[l], policy: run.policy, slots: slotValues, budgetMs };
        })
        .then((o) => {
          clock.done(budgetMs, o.ms);
          tick(run);
          return o;
        });
    }),
  );
  return sweepCurve(slotValues, outs);
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
