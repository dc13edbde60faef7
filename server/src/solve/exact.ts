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
  const { gpus: G, experts: n } = inst;
  if (n > EXACT_LIMITS.experts || G > EXACT_LIMITS.gpus) {
    return {
      placement: incumbent,
      value: incumbentValue,
      proved: false,
      nodes: 0,
      reason: `branch and bound is limited to ${EXACT_LIMITS.experts} experts and ${EXACT_LIMITS.gpus} GPUs (this layer: ${n} experts, ${G} GPUs)`,
    };
  }
  const search = new Search(inst, dist, incumbent, incumbentValue * dist.total, deadline, signal);
  search.recurse(0);
  return {
    placement: search.best.map((es) => es.slice().sort((a, b) => a - b)),
    value: search.bestValue / dist.total,
    proved: !search.aborted,
    nodes: search.nodes,
    reason: search.aborted ? 'time budget ran out before the search space was exhausted' : undefined,
  };
}

/**
 * Symmetry classes: GPUs with equal capacity and no pin/forbid column share
 * the class of the lowest such GPU; -1 for a GPU with constraints of its own.
 */
function symmetryClasses(inst: Instance): Int32Array {
  const { gpus: G, experts: n, capacity, allowed, pinned } = inst;
  const cls = new Int32Array(G).fill(-1);
  for (let g = 0; g < G; g++) {
    let plain = true;
    for (let e = 0; e < n; e++) if (!allowed[e * G + g] || pinned[e * G + g]) plain = false;
    if (!plain) continue;
    for (let h = 0; h < g; h++)
      if (cls[h] >= 0 && capacity[h] === capacity[g]) {
        cls[g] = cls[h];
        break;
      }
    if (cls[g] < 0) cls[g] = g;
  }
  return cls;
}

/** The search's state: the partial placement, T(S ∩ fixed) per subset and the running bound. */
class Search {
  private readonly G: number;
  private readonly n: number;
  private readonly k: number;
  private readonly ids: Int32Array;
  private readonly weights: Float64Array;
  private readonly t0: number;
  private readonly table: CopyTable;
  private readonly matcher: SubsetMatcher;
  /** expert → the subsets holding it. */
  private readonly subsOf: number[][];
  /** Experts in the order they are fixed: hottest first. */
  private readonly order: number[];
  /** T(S ∩ fixed), 0 when none fixed. */
  private readonly partial: Int32Array;
  /** Σ w·max(t0, partial): the bound of the current node (times the total weight). */
  private sum: number;
  private readonly free: number[];
  private readonly cls: Int32Array;
  /** Experts placed on each GPU so far. */
  private readonly usedGpu: Int32Array;
  /** Whether every optimum may be taken to fill every slot (see slotsFillable). */
  private readonly fillsAll: boolean;
  /** Experts not yet fixed that may sit on each GPU. */
  private readonly leftAllowed: Int32Array;
  private readonly eps: number;
  best: Placement;
  bestValue: number;
  nodes = 0;
  aborted = false;

  constructor(
    private readonly inst: Instance,
    dist: LayerDistribution,
    incumbent: Placement,
    incumbentTotal: number,
    private readonly deadline: number,
    private readonly signal?: AbortSignal,
  ) {
    const { gpus: G, experts: n, capacity, allowed, maxCopies } = inst;
    const { ids, weights, k, count } = dist;
    this.G = G;
    this.n = n;
    this.k = k;
    this.ids = ids;
    this.weights = weights;
    this.t0 = Math.max(1, Math.ceil(k / Math.max(1, capacity.filter((c) => c > 0).length)));
    this.table = { gpus: G, copies: new Int32Array(n * G), copyCount: new Int32Array(n) };
    this.matcher = new SubsetMatcher(G, k);
    this.subsOf = Array.from({ length: n }, () => []);
    for (let s = 0; s < count; s++) for (let j = 0; j < k; j++) this.subsOf[ids[s * k + j]].push(s);
    const load = new Float64Array(n);
    for (let s = 0; s < count; s++) for (let j = 0; j < k; j++) load[ids[s * k + j]] += weights[s];
    this.order = Array.from({ length: n }, (_, e) => e).sort((a, b) => load[b] - load[a] || a - b);
    this.partial = new Int32Array(count);
    this.sum = this.t0 * dist.total;
    this.free = capacity.slice();
    this.cls = symmetryClasses(inst);
    this.usedGpu = new Int32Array(G);
    // Adding a copy never raises T, so some optimum is maximal (no copy can be
    // added). When no copy limit applies and every GPU has fewer slots than the
    // experts it may hold, a maximal placement fills every slot, so a GPU may
    // never keep more free slots than there are experts left that may use them.
    const allowedOn = new Int32Array(G);
    for (let g = 0; g < G; g++) for (let e = 0; e < n; e++) allowedOn[g] += allowed[e * G + g];
    this.fillsAll = inst.replicas && Array.from(maxCopies).every((m) => m >= G) && capacity.every((c, g) => c < allowedOn[g]);
    this.leftAllowed = Int32Array.from(allowedOn);
    this.best = incumbent;
    this.bestValue = incumbentTotal;
    this.eps = 1e-9 * Math.max(1, dist.total);
  }

  private remainingSlots(): number {
    return this.free.reduce((a, b) => a + b, 0);
  }

  private slotsFillable(): boolean {
    if (!this.fillsAll) return true;
    for (let g = 0; g < this.G; g++) if (this.free[g] > this.leftAllowed[g]) return false;
    return true;
  }

  /** Applies copies of e on `set`; `log` receives the undo log [subset, oldPartial]*. */
  private fix(e: number, set: number[], log: number[]): void {
    const { G, k, ids, table, matcher, partial, weights, t0 } = this;
    for (const g of set) {
      table.copies[e * G + table.copyCount[e]++] = g;
      this.free[g]--;
      this.usedGpu[g]++;
    }
    for (const s of this.subsOf[e]) {
      const t = matcher.time(ids, s * k, k, table, -1, 1, true);
      matcher.clear();
      const old = partial[s];
      if (t !== old) {
        log.push(s, old);
        this.sum += weights[s] * (Math.max(t0, t) - Math.max(t0, old));
        partial[s] = t;
      }
    }
  }

  private unfix(e: number, set: number[], log: number[]): void {
    const { partial, weights, t0 } = this;
    for (let i = log.length - 2; i >= 0; i -= 2) {
      const s = log[i];
      const old = log[i + 1];
      this.sum += weights[s] * (Math.max(t0, old) - Math.max(t0, partial[s]));
      partial[s] = old;
    }
    this.table.copyCount[e] = 0;
    for (const g of set) {
      this.free[g]++;
      this.usedGpu[g]--;
    }
  }

  /** Copy sets for e: ⊇ pins, allowed, free, ≤ maxCopies, symmetry-broken. */
  private candidateSets(e: number): number[][] {
    const { G, free, cls, usedGpu } = this;
    const { allowed, pinned, maxCopies } = this.inst;
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
  }

  /** The current placement becomes the incumbent when it beats it. */
  private leaf(): void {
    if (!(this.sum < this.bestValue - this.eps)) return;
    const { G, n, table } = this;
    this.bestValue = this.sum;
    this.best = Array.from({ length: G }, () => [] as number[]);
    for (let e = 0; e < n; e++) for (let c = 0; c < table.copyCount[e]; c++) this.best[table.copies[e * G + c]].push(e);
  }

  recurse(depth: number): void {
    if (this.aborted) return;
    this.nodes++;
    // A node costs one re-match of the expert's subsets per candidate set, so
    // the clock is read at every node.
    if (performance.now() > this.deadline || this.signal?.aborted) {
      this.aborted = true;
      return;
    }
    if (depth === this.n) return this.leaf();
    const { G, eps, leftAllowed } = this;
    const { allowed } = this.inst;
    const e = this.order[depth];
    const sets = this.candidateSets(e);
    const left = this.n - depth - 1;
    const children: { set: number[]; bound: number }[] = [];
    for (let g = 0; g < G; g++) leftAllowed[g] -= allowed[e * G + g];
    for (const set of sets) {
      if (this.remainingSlots() - set.length < left) continue;
      const log: number[] = [];
      this.fix(e, set, log);
      if (this.sum < this.bestValue - eps && this.slotsFillable()) children.push({ set, bound: this.sum });
      this.unfix(e, set, log);
    }
    children.sort((a, b) => a.bound - b.bound || b.set.length - a.set.length);
    for (const child of children) {
      if (child.bound >= this.bestValue - eps) break;
      const log: number[] = [];
      this.fix(e, child.set, log);
      this.recurse(depth + 1);
      this.unfix(e, child.set, log);
      if (this.aborted) break;
    }
    for (let g = 0; g < G; g++) leftAllowed[g] += allowed[e * G + g];
  }
}
