// E[T] of a placement over a layer's full empirical subset distribution, and
// an incremental evaluator for local search: the expert → subsets index lets a
// move re-match only the subsets that contain a changed expert.
import type { LayerDistribution } from '../workload/types';
import type { LayerEvaluation } from './types';
import { SubsetMatcher, copyTableOf, masksOf, type CopyTable } from './matching';

/** A placement that cannot serve the workload (an expert without a copy, a bad id). */
export class PlacementError extends Error {
  // Set, not inferred: worker failures are told apart by name, and minified bundles rename classes.
  override name = 'PlacementError';
}

const routedCache = new WeakMap<LayerDistribution, Uint8Array>();

/** routed[e] = 1 when some token activates expert e (memoised per distribution). */
function routedExperts(dist: LayerDistribution): Uint8Array {
  let seen = routedCache.get(dist);
  if (!seen) {
    seen = new Uint8Array(dist.experts);
    const ids = dist.ids;
    for (let i = 0; i < dist.count * dist.k; i++) seen[ids[i]] = 1;
    routedCache.set(dist, seen);
  }
  return seen;
}

/** Experts of the distribution that have no copy in `table` (empty when complete). */
function missingExperts(dist: LayerDistribution, table: CopyTable): number[] {
  const seen = routedExperts(dist);
  const out: number[] = [];
  for (let e = 0; e < dist.experts; e++) if (seen[e] && table.copyCount[e] === 0) out.push(e);
  return out;
}

function tableFor(dist: LayerDistribution, placement: number[][]): CopyTable {
  let table: CopyTable;
  try {
    table = copyTableOf(placement, dist.experts);
  } catch (e) {
    throw new PlacementError((e as Error).message);
  }
  const missing = missingExperts(dist, table);
  if (missing.length > 0) {
    const list = missing.slice(0, 10).join(', ') + (missing.length > 10 ? `, … (${missing.length} in all)` : '');
    throw new PlacementError(
      `layer ${dist.layer}: expert${missing.length > 1 ? 's' : ''} ${list} ha${missing.length > 1 ? 've' : 's'} no copy on any GPU but tokens route to ${missing.length > 1 ? 'them' : 'it'}`,
    );
  }
  return table;
}

/** ⌈k / G⌉: no GPU can serve fewer than this many experts of a k-subset. */
function startTime(k: number, gpus: number): number {
  return Math.max(1, Math.ceil(k / Math.max(1, gpus)));
}

/** Exact E[T] (expert-time units) of `placement` over the full distribution. */
export function expectedTime(dist: LayerDistribution, placement: number[][]): number {
  if (dist.count === 0 || dist.total <= 0) return 0;
  const table = tableFor(dist, placement);
  const m = new SubsetMatcher(table.gpus, dist.k);
  const { ids, weights, k } = dist;
  const t0 = startTime(k, usedGpus(table));
  let sum = 0;
  for (let s = 0; s < dist.count; s += CHUNK) {
    sum = addWeightedTimes(sum, m, ids, weights, k, table, t0, s, Math.min(dist.count, s + CHUNK));
  }
  return sum / dist.total;
}

/**
 * Subsets run in chunks, each a call: V8 runs a long loop entered once
 * through on-stack replacement, which keeps its running sum boxed and ran
 * the first evaluations 2–3× slower. The sum is carried through, so the
 * result is bit-identical to one loop.
 */
const CHUNK = 4096;

function addWeightedTimes(
  sum: number,
  m: SubsetMatcher,
  ids: Int32Array,
  weights: Float64Array,
  k: number,
  table: CopyTable,
  t0: number,
  s0: number,
  s1: number,
): number {
  for (let s = s0, off = s0 * k; s < s1; s++, off += k) sum += weights[s] * m.timeOf(ids, off, k, table, t0);
  return sum;
}

function usedGpus(table: CopyTable): number {
  const used = new Uint8Array(table.gpus);
  for (let e = 0; e < table.copyCount.length; e++) {
    for (let c = 0; c < table.copyCount[e]; c++) used[table.copies[e * table.gpus + c]] = 1;
  }
  let n = 0;
  for (const u of used) n += u;
  return n;
}

const loadCache = new WeakMap<LayerDistribution, number[]>();

/** Expected activations of each expert per token (sums to k); memoised per distribution. */
export function expertLoads(dist: LayerDistribution): number[] {
  const hit = loadCache.get(dist);
  if (hit) return hit.slice();
  const out = computeExpertLoads(dist);
  loadCache.set(dist, out);
  return out.slice();
}

function computeExpertLoads(dist: LayerDistribution): number[] {
  const load = new Float64Array(dist.experts);
  const { ids, weights, k } = dist;
  for (let s = 0, off = 0; s < dist.count; s++, off += k) {
    for (let j = 0; j < k; j++) load[ids[off + j]] += weights[s];
  }
  const inv = dist.total > 0 ? 1 / dist.total : 0;
  return Array.from(load, (x) => x * inv);
}

/**
 * E[T], P(T = t), the expected experts each GPU serves per token under the
 * optimal matching the evaluator finds (ties broken by copy order), and the
 * expected activations per expert.
 */
export function evaluateLayer(dist: LayerDistribution, placement: number[][]): LayerEvaluation {
  const gpus = placement.length;
  const gpuLoad = new Float64Array(gpus);
  const tMass: number[] = [0];
  if (dist.count === 0 || dist.total <= 0) {
    return { expectedTime: 0, tDistribution: [1], gpuLoad: Array.from(gpuLoad), expertLoad: expertLoads(dist) };
  }
  const table = tableFor(dist, placement);
  const m = new SubsetMatcher(gpus, dist.k);
  const { ids, weights, k } = dist;
  const t0 = startTime(k, usedGpus(table));
  let sum = 0;
  for (let s = 0, off = 0; s < dist.count; s++, off += k) {
    const w = weights[s];
    const t = m.time(ids, off, k, table, -1, t0);
    sum += w * t;
    while (tMass.length <= t) tMass.push(0);
    tMass[t] += w;
    for (let j = 0; j < m.size; j++) gpuLoad[m.gpuOf[j]] += w;
    m.clear();
  }
  const inv = 1 / dist.total;
  return {
    // As expectedTime() divides: the same placement gets the same figure, to the last bit.
    expectedTime: sum / dist.total,
    tDistribution: tMass.map((x) => x * inv),
    gpuLoad: Array.from(gpuLoad, (x) => x * inv),
    expertLoad: expertLoads(dist),
  };
}

/**
 * Placement state with per-subset T kept up to date. Mutations (`addCopy`,
 * `removeCopy`) change the copy table only; `probe(experts)` re-matches the
 * subsets touching those experts and returns the change of Σ w·T; `commit()`
 * keeps it. Undo a probed move by applying the inverse mutations (no commit).
 */
export class LayerEvaluator {
  readonly gpus: number;
  readonly experts: number;
  readonly k: number;
  readonly table: CopyTable;
  /** T(S) per subset for the committed placement. */
  readonly times: Uint8Array;
  /** Σ w·T(S) for the committed placement. */
  weightedSum = 0;
  readonly matcher: SubsetMatcher;
  /** expert → subsets containing it (CSR). */
  readonly subStart: Int32Array;
  readonly subList: Int32Array;
  /** ⌈k/G⌉, the smallest T any subset can have. */
  readonly floorT: number;
  private readonly mark: Int32Array;
  private markStamp = 0;
  private readonly pendingIdx: Int32Array;
  private readonly pendingT: Uint8Array;
  private pendingLen = 0;
  private pendingDelta = 0;

  constructor(
    readonly dist: LayerDistribution,
    gpus: number,
  ) {
    this.gpus = gpus;
    this.experts = dist.experts;
    this.k = dist.k;
    this.table = { gpus, copies: new Int32Array(Math.max(1, dist.experts * gpus)), copyCount: new Int32Array(dist.experts) };
    this.table.masks = masksOf(this.table);
    this.times = new Uint8Array(dist.count);
    this.matcher = new SubsetMatcher(gpus, dist.k);
    this.floorT = startTime(dist.k, gpus);
    const { ids, k, count } = dist;
    const deg = new Int32Array(dist.experts + 1);
    for (let i = 0; i < count * k; i++) deg[ids[i] + 1]++;
    for (let e = 0; e < dist.experts; e++) deg[e + 1] += deg[e];
    this.subStart = deg;
    this.subList = new Int32Array(count * k);
    const fill = deg.slice(0, dist.experts);
    for (let s = 0, off = 0; s < count; s++, off += k) {
      for (let j = 0; j < k; j++) this.subList[fill[ids[off + j]]++] = s;
    }
    this.mark = new Int32Array(count);
    this.pendingIdx = new Int32Array(count);
    this.pendingT = new Uint8Array(count);
  }

  /** Replaces the whole placement and evaluates every subset. */
  setPlacement(placement: number[][]): void {
    const t = copyTableOf(placement, this.experts);
    if (t.gpus !== this.gpus) throw new PlacementError(`placement has ${t.gpus} GPUs, expected ${this.gpus}`);
    this.table.copies.set(t.copies);
    this.table.copyCount.set(t.copyCount);
    if (this.table.masks && t.masks) this.table.masks.set(t.masks);
    this.recomputeAll();
  }

  recomputeAll(): void {
    let sum = 0;
    // In chunks (see addWeightedTimes), the sum carried through.
    for (let s = 0; s < this.dist.count; s += CHUNK) sum = this.recompute(sum, s, Math.min(this.dist.count, s + CHUNK));
    this.weightedSum = sum;
    this.pendingLen = 0;
  }

  private recompute(sum: number, s0: number, s1: number): number {
    const { ids, weights, k } = this.dist;
    for (let s = s0, off = s0 * k; s < s1; s++, off += k) {
      const t = this.matcher.timeOf(ids, off, k, this.table, this.floorT);
      this.times[s] = t < 0 ? 255 : t;
      sum += weights[s] * (t < 0 ? Infinity : t);
    }
    return sum;
  }

  /** E[T] of the committed placement. */
  expectedTime(): number {
    return this.dist.total > 0 ? this.weightedSum / this.dist.total : 0;
  }

  has(e: number, g: number): boolean {
    const { copies, copyCount, gpus } = this.table;
    for (let c = 0; c < copyCount[e]; c++) if (copies[e * gpus + c] === g) return true;
    return false;
  }

  copiesOf(e: number): number {
    return this.table.copyCount[e];
  }

  addCopy(e: number, g: number): void {
    const { copies, copyCount, gpus } = this.table;
    copies[e * gpus + copyCount[e]++] = g;
    if (this.table.masks) this.table.masks[e] |= 1 << g;
  }

  removeCopy(e: number, g: number): void {
    const { copies, copyCount, gpus } = this.table;
    const base = e * gpus;
    const n = copyCount[e];
    for (let c = 0; c < n; c++) {
      if (copies[base + c] === g) {
        // Keep copy order stable (determinism): shift the rest down.
        for (let d = c; d < n - 1; d++) copies[base + d] = copies[base + d + 1];
        copyCount[e] = n - 1;
        if (this.table.masks) this.table.masks[e] &= ~(1 << g);
        return;
      }
    }
    throw new Error(`expert ${e} has no copy on GPU ${g}`);
  }

  /**
   * Change of Σ w·T if the current (mutated) copy table were committed,
   * re-matching only subsets that contain one of `changed`. Returns +Infinity
   * when some expert lost its last copy. `stopAbove`: give up early (returning
   * a value > stopAbove) once the partial delta cannot come back below it —
   * valid only for moves that cannot decrease T (pure removals); pass
   * Infinity otherwise.
   */
  probe(changed: ArrayLike<number>, stopAbove = Infinity): number {
    const { ids, weights, k } = this.dist;
    const stamp = ++this.markStamp;
    let delta = 0;
    let len = 0;
    for (let i = 0; i < changed.length; i++) {
      const e = changed[i];
      if (this.table.copyCount[e] === 0 && this.subStart[e + 1] > this.subStart[e]) {
        this.pendingLen = 0;
        return Infinity;
      }
      for (let p = this.subStart[e]; p < this.subStart[e + 1]; p++) {
        const s = this.subList[p];
        if (this.mark[s] === stamp) continue;
        this.mark[s] = stamp;
        const t = this.matcher.timeOf(ids, s * k, k, this.table, this.floorT);
        const old = this.times[s];
        if (t !== old) {
          delta += weights[s] * (t - old);
          this.pendingIdx[len] = s;
          this.pendingT[len] = t;
          len++;
          if (delta > stopAbove) {
            this.pendingLen = 0;
            return delta;
          }
        }
      }
    }
    this.pendingLen = len;
    this.pendingDelta = delta;
    return delta;
  }

  /** Keeps the last probe's subset times. */
  commit(): void {
    for (let i = 0; i < this.pendingLen; i++) this.times[this.pendingIdx[i]] = this.pendingT[i];
    this.weightedSum += this.pendingDelta;
    this.pendingLen = 0;
    this.pendingDelta = 0;
  }

  /** GPU → experts of the current copy table (sorted). */
  placement(): number[][] {
    const out: number[][] = Array.from({ length: this.gpus }, () => []);
    const { copies, copyCount, gpus } = this.table;
    for (let e = 0; e < this.experts; e++) {
      for (let c = 0; c < copyCount[e]; c++) out[copies[e * gpus + c]].push(e);
    }
    return out;
  }

  /**
   * Exact decrease of Σ w·T from adding one copy of expert e, for every GPU
   * at once: gains[g] (0 where e already has a copy). A new copy lowers a
   * subset's T by at most one, and lowers it exactly when S∖{e} fits within
   * T−1 and g can shed one expert of S towards spare capacity.
   */
  additionGains(e: number, gains: Float64Array, scratch: Uint8Array): void {
    gains.fill(0);
    const { ids, weights, k } = this.dist;
    const m = this.matcher;
    for (let p = this.subStart[e]; p < this.subStart[e + 1]; p++) {
      const s = this.subList[p];
      const T = this.times[s];
      if (T <= this.floorT) continue;
      const off = s * k;
      let local = 0;
      while (ids[off + local] !== e) local++;
      const t = m.time(ids, off, k, this.table, local, 1);
      if (t <= T - 1) {
        m.relievableGpus(T - 1, scratch);
        const w = weights[s];
        for (let g = 0; g < this.gpus; g++) if (scratch[g]) gains[g] += w;
      }
      m.clear();
    }
    const { copies, copyCount, gpus } = this.table;
    for (let c = 0; c < copyCount[e]; c++) gains[copies[e * gpus + c]] = 0;
  }

  /** Upper bound on any addition gain of e: the mass of its subsets above ⌈k/G⌉. */
  additionGainBound(e: number): number {
    let ub = 0;
    const { weights } = this.dist;
    for (let p = this.subStart[e]; p < this.subStart[e + 1]; p++) {
      const s = this.subList[p];
      if (this.times[s] > this.floorT) ub += weights[s];
    }
    return ub;
  }
}
