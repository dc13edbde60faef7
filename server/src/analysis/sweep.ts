// The memory sweep of one layer: E[T] of the policy, EPLB and the bound for
// each slots-per-GPU value, within the job's budget.
import type { PolicyName, Plan } from '../plan/types';
import type { LayerDistribution } from '../workload/types';
import { solveLayer, SolveError } from '../solve/index';
import { solveInputFor } from './solveInput';
import type { SweepPoint } from '../protocol';

export interface SweepJob {
  plan: Plan;
  dist: LayerDistribution;
  policy: PolicyName;
  slots: number[];
  budgetMs: number;
}

export interface SweepOutcome {
  /** Per slots value: [policy E[T], eplb E[T], bound]; NaN when infeasible, null when the budget ran out first. */
  points: ([number, number, number] | null)[];
  /** Time the job took, ms. */
  ms: number;
}

/**
 * One layer's E[T] of the policy, EPLB and the bound, for each slots-per-GPU
 * value. The plan's own value and the ends of the range come first, then the
 * middle by halving, so a budget that runs out leaves a coarse curve rather
 * than one end of it; each point gets an even share of the time left.
 */
export function sweepLayer(job: SweepJob): SweepOutcome {
  const started = performance.now();
  const deadline = started + job.budgetMs;
  const G = job.plan.hardware.count;
  const policy = job.policy === 'exact' ? 'search' : job.policy;
  const order = sweepOrder(job.slots, job.plan.hardware.slotsPerGpu[0]);
  const points: SweepOutcome['points'] = job.slots.map(() => null);
  order.forEach((i, done) => {
    const left = deadline - performance.now();
    // The first point always: a sweep with no point says nothing.
    if (done > 0 && left <= 0) return;
    const slots = new Array<number>(G).fill(job.slots[i]);
    try {
      const input = solveInputFor(job.plan, job.dist, slots, Math.max(1, left / (order.length - done)));
      const e = solveLayer('eplb', input);
      const r = policy === 'eplb' ? e : solveLayer(policy, input);
      points[i] = [r.expectedTime, e.expectedTime, Math.max(r.lowerBound ?? 0, e.lowerBound ?? 0)];
    } catch (err) {
      if (!(err instanceof SolveError)) throw err;
      points[i] = [NaN, NaN, NaN];
    }
  });
  return { points, ms: performance.now() - started };
}

/** Indices of `slots` (ascending) in the order they are solved: the plan's own value, the ends, then midpoints. */
export function sweepOrder(slots: readonly number[], own: number | undefined): number[] {
  const order: number[] = [];
  const seen = new Set<number>();
  const push = (i: number) => {
    if (i >= 0 && i < slots.length && !seen.has(i)) {
      seen.add(i);
      order.push(i);
    }
  };
  push(own === undefined ? -1 : slots.indexOf(own));
  push(0);
  push(slots.length - 1);
  // Breadth-first halving of the gaps between points already taken.
  let gaps: [number, number][] = [[0, slots.length - 1]];
  while (gaps.length > 0) {
    const next: [number, number][] = [];
    for (const [a, b] of gaps) {
      if (b - a < 2) continue;
      const m = (a + b) >> 1;
      push(m);
      next.push([a, m], [m, b]);
    }
    gaps = next;
  }
  for (let i = 0; i < slots.length; i++) push(i);
  return order;
}

/** The memory sweep's curve: each slot count's mean over the layers that reached it (all of them, or it is left out and said). */
export function sweepCurve(slots: number[], outs: SweepOutcome[]): { points: SweepPoint[]; note?: string } {
  const points: SweepPoint[] = [];
  let cut = 0;
  slots.forEach((s, i) => {
    // A slot count is shown only when every layer reached it: a mean over fewer layers would not compare.
    if (outs.some((o) => o.points[i] === null)) {
      cut++;
      return;
    }
    const rows = outs.map((o) => o.points[i]!).filter((r) => r.every(Number.isFinite));
    if (rows.length === 0) return;
    const mean = (j: number) => rows.reduce((a, r) => a + r[j], 0) / rows.length;
    points.push({ slotsPerGpu: s, expectedTime: mean(0), eplb: mean(1), lowerBound: mean(2) });
  });
  const note =
    cut > 0
      ? `memory sweep: ${slots.length - cut} of ${slots.length} slot counts reached on every layer within the time budget; a longer \`time\` sweeps them all`
      : undefined;
  return { points, note };
}
