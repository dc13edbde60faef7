// The capacity sweep on the worker pool (docs/cost-model.md §7.4), in two
// passes within its share of the budget: every point of the coarse grid
// (batches doubling) on a few representative layers, then, for each slot
// count whose batches cross the latency target, three batches between the
// last that meets it and the first that does not, started from the
// placements of those two. The answer is assembled in analysis/capacity.ts.
import type { Plan, PolicyName } from '../plan/types';
import type { Workload } from '../workload/types';
import type { CapacityResults } from '../protocol';
import type { Placement } from '../solve/types';
import type { WorkerPool } from './pool';
import { capacityGrid, gridCost, thinColumns, type CapacityGrid, type GridColumn } from './capacityGrid';
import { capacityResults } from './capacity';
import type { CapacityLayerOutcome } from './capacityLayer';
import { spacedLayers } from '../cost/batching';

/** Layers (evenly spaced) the capacity sweep solves every point on, at most and at least. */
const CAPACITY_LAYERS = 4;
const MIN_CAPACITY_LAYERS = 2;
/** Slot counts swept at least when the budget is short. */
const MIN_COLUMNS = 3;
/**
 * Pairs the step estimator walks per millisecond on one worker: measured
 * 1–3 × 10⁴ on the 2-core build machine (DeepSeek-V3 layer, 100k pairs in
 * 4–9 ms); the lower figure, so the sweep plans for a loaded machine.
 */
const PAIRS_PER_MS = 10_000;
/** Share of a layer's budget the fixed work (starting points, figures) may take; the rest searches. */
const FIXED_SHARE = 0.6;
/** Share of the capacity budget the coarse pass gets; the refinement gets the rest. */
const COARSE_SHARE = 0.65;
/** Batches tried between the last that meets the target and the first that misses it. */
const REFINE_STEPS = 3;

interface CapacityRun {
  plan: Plan;
  policy: PolicyName;
  pool: WorkerPool;
  /** Worker-milliseconds for the whole sweep (all layers, both passes). */
  budgetMs: number;
  tick: () => void;
}

/**
 * The grid and the layers it is solved on, fitted to the budget: as many
 * layers (up to 4) and slot counts as the points' fixed work allows within
 * FIXED_SHARE of the worker time, at least 2 layers and 3 slot counts.
 */
export function capacityPlan(plan: Plan, layers: number, budgetWorkerMs = Infinity): { grid: CapacityGrid; layers: number[] } {
  const full = capacityGrid(plan);
  if (full.columns.length === 0) return { grid: full, layers: [] };
  const k = plan.model.topK.value;
  const own = plan.hardware.slotsPerGpu[0];
  const fits = (columns: GridColumn[], n: number) => (gridCost(columns, k) * n * (1 + 0.5 * COARSE_SHARE)) / PAIRS_PER_MS <= budgetWorkerMs * FIXED_SHARE;
  let best: { columns: GridColumn[]; n: number } | undefined;
  for (let n = Math.min(CAPACITY_LAYERS, layers); n >= Math.min(MIN_CAPACITY_LAYERS, layers) && !best; n--) {
    for (let count = full.columns.length; count >= MIN_COLUMNS && !best; count--) {
      const columns = thinColumns(full, count, own);
      if (fits(columns, n)) best = { columns, n };
    }
  }
  const notes = [...full.notes];
  if (!best) {
    best = { columns: thinColumns(full, MIN_COLUMNS, own), n: Math.min(MIN_CAPACITY_LAYERS, layers) };
    notes.push(
      `the fewest points (${best.columns.length} slot counts on ${best.n} layers) take longer than the capacity share of the time budget: a longer \`time\` keeps the sweep within it`,
    );
  }
  if (best.columns.length < full.columns.length)
    notes.push(
      `${best.columns.length} of the ${full.columns.length} slot counts from ${full.slotRange![0]} to ${full.slotRange![1]} swept within the time budget`,
    );
  return { grid: { ...full, columns: best.columns, notes }, layers: spacedLayers(layers, best.n) };
}

export async function capacityStage(run: CapacityRun, workload: Workload, c: { grid: CapacityGrid; layers: number[] }): Promise<CapacityResults> {
  const started = performance.now();
  const L = workload.layers.length;
  const perLayer = run.budgetMs / Math.max(1, c.layers.length);
  const jobs = (columns: { slotsPerGpu: number; batches: number[] }[], budgetMs: number, warm?: (l: number) => Placement[][], moreGpus?: { perGpu: number }) =>
    Promise.all(
      c.layers.map((l, i) =>
        run.pool.run<CapacityLayerOutcome>({
          kind: 'capacity',
          plan: run.plan,
          dist: workload.layers[l],
          policy: run.policy,
          columns,
          budgetMs,
          warm: warm?.(i),
          moreGpus,
          sequence: run.plan.workload.phase.value === 'prefill' ? workload.sequence : undefined,
          layerIndex: l,
        }),
      ),
    );
  const coarse = await jobs(
    c.grid.columns.map((col) => ({ slotsPerGpu: col.slotsPerGpu, batches: col.batches })),
    Math.max(20, perLayer * COARSE_SHARE),
    undefined,
    run.plan.serve?.targetS !== undefined ? { perGpu: moreGpusPerGpu(run.plan, c.grid) } : undefined,
  );
  let grid = c.grid;
  let outs = coarse;
  const refine = refinement(run.plan, grid, outs, L);
  if (refine.some((r) => r.batches.length > 0)) {
    const fine = await jobs(
      refine.map((r) => ({ slotsPerGpu: r.slotsPerGpu, batches: r.batches })),
      Math.max(20, perLayer * (1 - COARSE_SHARE)),
      (i) => refine.map((r) => r.warm.map((b) => coarse[i].placements[r.column][b]).filter((p): p is Placement => p !== null)),
    );
    ({ grid, outs } = merge(grid, coarse, refine, fine));
  }
  run.tick();
  return capacityResults(run.plan, grid, outs, L, performance.now() - started);
}

/** Tokens per GPU of the twice-the-GPUs figure: one request (decode), the largest chunk swept (prefill). */
function moreGpusPerGpu(plan: Plan, grid: CapacityGrid): number {
  if (plan.workload.phase.value === 'decode') return 1;
  return Math.max(1, ...grid.columns.flatMap((c) => c.batches)) / plan.hardware.count;
}

interface Refinement {
  column: number;
  slotsPerGpu: number;
  batches: number[];
  /** Indices (in the coarse column) of the batches bracketing the target. */
  warm: number[];
}

/** For each column, batches between the last that meets the target and the first that misses it (geometric steps, whole tokens per GPU). */
function refinement(plan: Plan, grid: CapacityGrid, outs: CapacityLayerOutcome[], layers: number): Refinement[] {
  const r = capacityResults(plan, grid, outs, layers, 0);
  const G = plan.hardware.count;
  return grid.columns.map((col: GridColumn, column) => {
    const none: Refinement = { column, slotsPerGpu: col.slotsPerGpu, batches: [], warm: [] };
    if (r.target.us === null) return none;
    const pts = r.points.filter((p) => p.slotsPerGpu === col.slotsPerGpu);
    const meets = pts.filter((p) => p.meetsTarget);
    const misses = pts.filter((p) => !p.meetsTarget);
    if (meets.length === 0 || misses.length === 0) return none;
    const lo = Math.max(...meets.map((p) => p.batch));
    const above = misses.map((p) => p.batch).filter((b) => b > lo);
    if (above.length === 0) return none;
    const hi = Math.min(...above);
    const batches = new Set<number>();
    for (let i = 1; i <= REFINE_STEPS; i++) {
      const perGpu = Math.round((lo / G) * (hi / lo) ** (i / (REFINE_STEPS + 1)));
      const b = perGpu * G;
      if (b > lo && b < hi) batches.add(b);
    }
    return { column, slotsPerGpu: col.slotsPerGpu, batches: [...batches].sort((a, b) => a - b), warm: [col.batches.indexOf(lo), col.batches.indexOf(hi)] };
  });
}

/** The coarse and the refined points as one grid, batches ascending in every column. */
function merge(
  grid: CapacityGrid,
  coarse: CapacityLayerOutcome[],
  refine: Refinement[],
  fine: CapacityLayerOutcome[],
): { grid: CapacityGrid; outs: CapacityLayerOutcome[] } {
  const order = grid.columns.map((col, c) => {
    const all = [...col.batches.map((b, i) => ({ b, from: 'coarse' as const, i })), ...refine[c].batches.map((b, i) => ({ b, from: 'fine' as const, i }))];
    return all.sort((x, y) => x.b - y.b);
  });
  const columns = grid.columns.map((col, c) => ({ ...col, batches: order[c].map((x) => x.b) }));
  const outs = coarse.map((o, l) => ({
    ...o,
    us: order.map((col, c) => col.map((x) => (x.from === 'coarse' ? o.us[c][x.i] : fine[l].us[c][x.i]))),
    placements: order.map((col, c) => col.map((x) => (x.from === 'coarse' ? o.placements[c][x.i] : fine[l].placements[c][x.i]))),
    ms: o.ms + fine[l].ms,
    solved: o.solved + fine[l].solved,
    stopped: o.stopped + fine[l].stopped,
    notes: [...o.notes, ...fine[l].notes],
  }));
  return { grid: { ...grid, columns }, outs };
}
