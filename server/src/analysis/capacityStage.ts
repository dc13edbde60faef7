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
import { capacityGrid, type CapacityGrid, type GridColumn } from './capacityGrid';
import { capacityResults } from './capacity';
import type { CapacityLayerOutcome } from './capacityLayer';
import { spacedLayers } from '../cost/batching';

/** Layers (evenly spaced) the capacity sweep solves every point on. */
export const CAPACITY_LAYERS = 4;
/** Share of the capacity budget the coarse pass gets; the refinement gets the rest. */
const COARSE_SHARE = 0.65;
/** Batches tried between the last that meets the target and the first that misses it. */
const REFINE_STEPS = 3;

export interface CapacityRun {
  plan: Plan;
  policy: PolicyName;
  pool: WorkerPool;
  /** Worker-milliseconds for the whole sweep (all layers, both passes). */
  budgetMs: number;
  tick: () => void;
}

export function capacityPlan(plan: Plan, layers: number): { grid: CapacityGrid; layers: number[] } {
  const grid = capacityGrid(plan);
  return { grid, layers: grid.columns.length > 0 ? spacedLayers(layers, CAPACITY_LAYERS) : [] };
}

export async function capacityStage(run: CapacityRun, workload: Workload, c: { grid: CapacityGrid; layers: number[] }): Promise<CapacityResults> {
  const started = performance.now();
  const L = workload.layers.length;
  const perLayer = run.budgetMs / Math.max(1, c.layers.length);
  const jobs = (columns: { slotsPerGpu: number; batches: number[] }[], budgetMs: number, warm?: (l: number) => Placement[][], moreGpus = false) =>
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
    run.plan.serve?.targetS !== undefined,
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
function merge(grid: CapacityGrid, coarse: CapacityLayerOutcome[], refine: Refinement[], fine: CapacityLayerOutcome[]): { grid: CapacityGrid; outs: CapacityLayerOutcome[] } {
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
