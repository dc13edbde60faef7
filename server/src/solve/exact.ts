// Exact placement by branch and bound, for small instances.
//
// Experts are fixed one at a time (hottest first), each to a set of GPUs (its
// copies). A node's bound is Σ p(S)·max(⌈k/G⌉, T(S ∩ fixed)): T only grows as
// experts join a subset, so this never exceeds the E[T] of any completion.
// Children are tried in increasing bound order; the incumbent starts at the
// local-search answer, so pruning bites from the first node. GPU symmetry is
// broken: GPUs with equal slots and no constraint of their own are
// interchangeable, and among those not yet used only the lowest-numbered may
// be opened first. The search is exhaustive when it finishes, so the answer
// is then proved optimal; at the deadline it returns the incumbent, unproved.
import type { LayerDistribution } from '../workload/types';
import { SubsetMatcher, type CopyTable } from '../cost/matching';
import type { Instance } from './instance';
import type { Placement } from './types';

interface ExactOutcome {
  placement: Placement;
  value: number;
  proved: boolean;
  nodes: number;
  /** Why the search was not attempted or not finished, when it was not. */
  reason?: string;
}

/** Instances beyond these sizes are not attempted (the search would not finish). */
const EXACT_LIMITS = { experts: 40, gpus: 12 };

export function branchAndBound(
  inst: Instance,
  dist: LayerDistribution,
  incumbent: Placement,
  incumbentValue: number,
  deadline: number,
  signal?: AbortSignal,
): ExactOutcome {
  const { gpus: G, experts: n, capacity, allowed, pinned, maxCopies } = inst;
  if (n > EXACT_LIMITS.experts || G > EXACT_LIMITS.gpus) {
    return {
      placement: incumbent,
      value: incumbentValue,
      proved: false,
      nodes: 0,
      reason: `branch and bound is limited to ${EXACT_LIMITS.experts} experts and ${EXACT_LIMITS.gpus} GPUs (this layer: ${n} experts, ${G} GPUs)`,
    };
  }
  const { ids, weights, k, count } = dist;
  const total = dist.total;
  const t0 = Math.max(1, Math.ceil(k / Math.max(1, capacity.filter((c) => c > 0).length)));
  const table: CopyTable = { gpus: G, copies: new Int32Array(n * G), copyCount: new Int32Array(n) };
  const matcher = new SubsetMatcher(G, k);
  // expert → subsets
  const subsOf: number[][] = Array.from({ length: n }, () => []);
  for (let s = 0; s < count; s++) for (let j = 0; j < k; j++) subsOf[ids[s * k + j]].push(s);
  const load = new Float64Array(n);
  for (let s = 0; s < count; s++) for (let j = 0; j < k; j++) load[ids[s * k + j]] += weights[s];
  const order = Array.from({ length: n }, (_, e) => e).sort((a, b) => load[b] - load[a] || a - b);
  const partial = new Int32Array(count); // T(S ∩ fixed), 0 when none fixed
  let sum = t0 * total; // Σ w·max(t0, partial)
  const free = capacity.slice();
  const remainingSlots = () => free.reduce((a, b) => a + b, 0);

  // Symmetry classes: GPUs with equal capacity and no pin/forbid column.
  const cls = new Int32Array(G).fill(-1);
  for (let g = 0; g < G; g++) {
    let plain = true;
    for (let e = 0; e < n; e++) if (!allowed[e * G + g] || pinned[e * G + g]) plain = false;
    if (!plain) continue;
    for (let h = 0; h < g; h++) if (cls[h] >= 0 && capacity[h] === capacity[g]) { cls[g] = cls[h]; break; }
    if (cls[g] < 0) cls[g] = g;
  }
  const usedGpu = new Int32Array(G); // experts placed on g so far

  // Adding a copy never raises T, so some optimum is maximal (no copy can be
  // added). When no copy limit applies and every GPU has fewer slots than the
  // experts it may hold, a maximal placement fills every slot, so a GPU may
  // never keep more free slots than there are experts left that may use them.
  const allowedOn = new Int32Array(G);
  for (let g = 0; g < G; g++) for (let e = 0; e < n; e++) allowedOn[g] += allowed[e * G + g];
  const fillsAll = inst.replicas && Array.from(maxCopies).every((m) => m >= G) && capacity.every((c, g) => c < allowedOn[g]);
  const leftAllowed = new Int32Array(G); // experts not yet fixed that may sit on g
  for (let g = 0; g < G; g++) leftAllowed[g] = allowedOn[g];
  const slotsFillable = (): boolean => {
    if (!fillsAll) return true;
    for (let g = 0; g < G; g++) if (free[g] > leftAllowed[g]) return false;
    return true;
  };

  let best = incumbent;
  let bestValue = incumbentValue * total;
  const eps = 1e-9 * Math.max(1, total);
  let nodes = 0;
  let aborted = false;

  /** Applies copies of e on `set`, returns the undo log [subset, oldPartial]*. */
  const fix = (e: number, set: number[], log: number[]): void => {
    for (const g of set) {
      table.copies[e * G + table.copyCount[e]++] = g;
      free[g]--;
      usedGpu[g]++;
    }
    for (const s of subsOf[e]) {
      const t = matcher.time(ids, s * k, k, table, -1, 1, true);
      matcher.clear();
      const old = partial[s];
      if (t !== old) {
        log.push(s, old);
        sum += weights[s] * (Math.max(t0, t) - Math.max(t0, old));
        partial[s] = t;
      }
    }
  };
  const unfix = (e: number, set: number[], log: number[]): void => {
    for (let i = log.length - 2; i >= 0; i -= 2) {
      const s = log[i];
      const old = log[i + 1];
      sum += weights[s] * (Math.max(t0, old) - Math.max(t0, partial[s]));
      partial[s] = old;
    }
    table.copyCount[e] = 0;
    for (const g of set) {
      free[g]++;
      usedGpu[g]--;
    }
  };

  /** Copy sets for e: ⊇ pins, allowed, free, ≤ maxCopies, symmetry-broken. */
  const candidateSets = (e: number): number[][] => {
    const must: number[] = [];
    const opt: number[] = [];
    for (let g = 0; g < G; g++) {
      if (pinned[e * G + g]) must.push(g);
      else if (allowed[e * G + g] && free[g] > 0) opt.push(g);
    }
    for (const g of must) if (free[g] <= 0) return [];
    const out: number[][] = [];
    const limit = maxCopies[e];
    const m = opt.length;
    for (let mask = 0; mask < 1 << m; mask++) {
      let bits = 0;
      for (let x = mask; x; x &= x - 1) bits++;
      const size = must.length + bits;
      if (size === 0 || size > limit) continue;
      const set = must.slice();
      let ok = true;
      for (let i = 0; i < m; i++) {
        if (!(mask & (1 << i))) continue;
        const g = opt[i];
        // An unused GPU of a class may be opened only if every lower unused
        // GPU of that class is opened too.
        if (cls[g] >= 0 && usedGpu[g] === 0) {
          for (let h = 0; h < g; h++) {
            if (cls[h] === cls[g] && usedGpu[h] === 0 && !set.includes(h) && !(opt.includes(h) && mask & (1 << opt.indexOf(h)))) {
              ok = false;
              break;
            }
          }
          if (!ok) break;
        }
        set.push(g);
      }
      if (ok) out.push(set.sort((a, b) => a - b));
    }
    return out;
  };

  const recurse = (depth: number): void => {
    if (aborted) return;
    nodes++;
    // A node costs one re-match of the expert's subsets per candidate set, so
    // the clock is read at every node.
    if (performance.now() > deadline || signal?.aborted) {
      aborted = true;
      return;
    }
    if (depth === n) {
      if (sum < bestValue - eps) {
        bestValue = sum;
        best = Array.from({ length: G }, () => [] as number[]);
        for (let e = 0; e < n; e++) for (let c = 0; c < table.copyCount[e]; c++) best[table.copies[e * G + c]].push(e);
      }
      return;
    }
    const e = order[depth];
    const sets = candidateSets(e);
    const left = n - depth - 1;
    const children: { set: number[]; bound: number }[] = [];
    for (let g = 0; g < G; g++) leftAllowed[g] -= allowed[e * G + g];
    for (const set of sets) {
      if (remainingSlots() - set.length < left) continue;
      const log: number[] = [];
      fix(e, set, log);
      if (sum < bestValue - eps && slotsFillable()) children.push({ set, bound: sum });
      unfix(e, set, log);
    }
    children.sort((a, b) => a.bound - b.bound || b.set.length - a.set.length);
    for (const child of children) {
      if (child.bound >= bestValue - eps) break;
      const log: number[] = [];
      fix(e, child.set, log);
      recurse(depth + 1);
      unfix(e, child.set, log);
      if (aborted) break;
    }
    for (let g = 0; g < G; g++) leftAllowed[g] += allowed[e * G + g];
  };
  recurse(0);
  return {
    placement: best.map((es) => es.slice().sort((a, b) => a - b)),
    value: bestValue / total,
    proved: !aborted,
    nodes,
    reason: aborted ? 'time budget ran out before the search space was exhausted' : undefined,
  };
}
