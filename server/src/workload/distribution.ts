// Building and querying per-layer subset distributions.
//
// A layer's routing is kept exactly: every distinct subset of k experts with
// its weight (token count). Subsets are stored sorted in a flat Int32Array and
// merged through an open-addressing hash table keyed on the k ids, so memory
// grows with the number of distinct subsets, not with the number of tokens.
import type { LayerDistribution } from './types';

const EMPTY = -1;

/** Hash of k ids starting at ids[off] (murmur3-style word mixing, then finalised). */
function hashIds(ids: Int32Array, off: number, k: number): number {
  let h = 0x9747b28c | 0;
  for (let j = 0; j < k; j++) {
    let w = Math.imul(ids[off + j], 0xcc9e2d51);
    w = (w << 15) | (w >>> 17);
    h ^= Math.imul(w, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Sorts a short run in place (insertion sort: k is at most a few dozen). */
function sortSmall(a: Int32Array | number[], off: number, k: number): void {
  for (let i = off + 1; i < off + k; i++) {
    const v = a[i];
    let j = i - 1;
    while (j >= off && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

/**
 * Accumulates subsets of one layer. `add` takes the k ids of one token (in any
 * order), sorts a copy, and merges it with an equal subset seen before.
 */
export class SubsetCounter {
  private ids: Int32Array;
  private weights: Float64Array;
  private table: Int32Array;
  private mask: number;
  private n = 0;
  private total = 0;
  private readonly scratch: Int32Array;

  constructor(
    readonly layer: number,
    readonly experts: number,
    readonly k: number,
    initialCapacity = 64,
  ) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap <<= 1;
    this.table = new Int32Array(cap * 2).fill(EMPTY);
    this.mask = cap - 1;
    this.ids = new Int32Array(Math.max(1, initialCapacity) * k);
    this.weights = new Float64Array(Math.max(1, initialCapacity));
    this.scratch = new Int32Array(k);
  }

  /** Distinct subsets so far. */
  get size(): number {
    return this.n;
  }

  get totalWeight(): number {
    return this.total;
  }

  /**
   * Adds one token's subset. `src[off..off+k)` are the ids (any order; not
   * modified). Returns the subset's index. Ids must already be validated.
   */
  add(src: ArrayLike<number>, off: number, weight = 1): number {
    const k = this.k;
    const s = this.scratch;
    for (let j = 0; j < k; j++) s[j] = src[off + j];
    sortSmall(s, 0, k);
    return this.addSorted(s, 0, weight);
  }

  /** Like `add`, for ids already sorted ascending. */
  addSorted(src: Int32Array, off: number, weight = 1): number {
    const k = this.k;
    const full = hashIds(src, off, k) | 0;
    const mask = this.mask;
    const table = this.table;
    const ids = this.ids;
    // table holds (hash, index) pairs side by side: one cache line per probe.
    let h = full & mask;
    for (;;) {
      const idx = table[2 * h + 1];
      if (idx === EMPTY) break;
      if (table[2 * h] === full) {
        const base = idx * k;
        let same = true;
        for (let j = 0; j < k; j++) {
          if (ids[base + j] !== src[off + j]) {
            same = false;
            break;
          }
        }
        if (same) {
          this.weights[idx] += weight;
          this.total += weight;
          return idx;
        }
      }
      h = (h + 1) & mask;
    }
    const idx = this.n++;
    if (idx >= this.weights.length) this.growStorage();
    const dst = this.ids;
    const base = idx * k;
    for (let j = 0; j < k; j++) dst[base + j] = src[off + j];
    this.weights[idx] = weight;
    this.total += weight;
    table[2 * h] = full;
    table[2 * h + 1] = idx;
    if (this.n * 2 > mask + 1) this.rehash();
    return idx;
  }

  private growStorage(): void {
    const cap = this.weights.length * 2;
    const ids = new Int32Array(cap * this.k);
    ids.set(this.ids);
    this.ids = ids;
    const w = new Float64Array(cap);
    w.set(this.weights);
    this.weights = w;
  }

  private rehash(): void {
    const slots = (this.mask + 1) * 2;
    const table = new Int32Array(slots * 2).fill(EMPTY);
    const mask = slots - 1;
    const old = this.table;
    for (let s = 0; s <= this.mask; s++) {
      const idx = old[2 * s + 1];
      if (idx === EMPTY) continue;
      const full = old[2 * s];
      let h = full & mask;
      while (table[2 * h + 1] !== EMPTY) h = (h + 1) & mask;
      table[2 * h] = full;
      table[2 * h + 1] = idx;
    }
    this.table = table;
    this.mask = mask;
  }

  /** The distribution accumulated so far (copies; the counter stays usable). */
  toDistribution(coactivationKnown = true): LayerDistribution {
    return {
      layer: this.layer,
      experts: this.experts,
      k: this.k,
      ids: this.ids.slice(0, this.n * this.k),
      weights: this.weights.slice(0, this.n),
      count: this.n,
      total: this.total,
      coactivationKnown,
    };
  }
}

/**
 * Builds a distribution from a list of subsets (any order within a subset;
 * duplicates merged). Every subset must have exactly k ids in 0..experts-1,
 * all distinct; throws a RangeError naming the offending subset otherwise.
 */
export function distributionFromSubsets(
  layer: number,
  experts: number,
  k: number,
  subsets: readonly (readonly number[])[],
  weights?: readonly number[],
  coactivationKnown = true,
): LayerDistribution {
  const counter = new SubsetCounter(layer, experts, k, Math.max(16, subsets.length));
  const tmp = new Int32Array(k);
  subsets.forEach((s, i) => {
    const problem = subsetProblem(s, experts, k);
    if (problem) throw new RangeError(`subset ${i} [${s.join(', ')}]: ${problem}`);
    const w = weights ? weights[i] : 1;
    if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`subset ${i}: weight ${w} must be a finite number ≥ 0`);
    for (let j = 0; j < k; j++) tmp[j] = s[j];
    counter.add(tmp, 0, w);
  });
  return counter.toDistribution(coactivationKnown);
}

/** Why a subset is invalid for a layer with `experts` experts and top-`k`, or undefined. */
export function subsetProblem(s: ArrayLike<number>, experts: number, k: number): string | undefined {
  if (s.length !== k) return `has ${s.length} experts, but the model routes each token to top-${k}`;
  for (let j = 0; j < s.length; j++) {
    const e = s[j];
    if (!Number.isInteger(e)) return `expert id ${String(e)} is not an integer`;
    if (e < 0 || e >= experts) return `expert id ${e} is out of range: the model has ${experts} routed experts (ids 0–${experts - 1})`;
    for (let i = 0; i < j; i++) if (s[i] === e) return `expert ${e} appears twice; a token's experts are distinct`;
  }
  return undefined;
}

/** Expected activations of each expert per token (sums to k when total > 0). */
export function expertLoads(dist: LayerDistribution): Float64Array {
  const load = new Float64Array(dist.experts);
  const { k, ids, weights, count } = dist;
  for (let i = 0; i < count; i++) {
    const w = weights[i];
    for (let j = 0; j < k; j++) load[ids[i * k + j]] += w;
  }
  if (dist.total > 0) for (let e = 0; e < load.length; e++) load[e] /= dist.total;
  return load;
}

const pairCache = new WeakMap<LayerDistribution, Float64Array>();

/**
 * Pair co-activation mass: co[a * n + b] = Σ weights of the subsets holding
 * both a and b (symmetric, zero diagonal). Memoised per distribution, since
 * the greedy, the colocation bound and the partner lists all read it: do not
 * modify the array.
 */
export function pairMass(dist: LayerDistribution): Float64Array {
  const hit = pairCache.get(dist);
  if (hit) return hit;
  const n = dist.experts;
  const co = new Float64Array(n * n);
  const { ids, weights, k } = dist;
  for (let s = 0, off = 0; s < dist.count; s++, off += k) {
    const w = weights[s];
    for (let i = 0; i < k; i++) {
      const a = ids[off + i];
      for (let j = i + 1; j < k; j++) {
        const b = ids[off + j];
        co[a * n + b] += w;
        co[b * n + a] += w;
      }
    }
  }
  pairCache.set(dist, co);
  return co;
}

/**
 * Co-activation: P(both a and b in the token's subset), as a dense
 * experts × experts matrix (symmetric, zero diagonal), row-major. A fresh
 * array: the pair mass divided by the total weight.
 */
export function coactivationMatrix(dist: LayerDistribution): Float64Array {
  const m = Float64Array.from(pairMass(dist));
  if (dist.total > 0) for (let i = 0; i < m.length; i++) m[i] /= dist.total;
  return m;
}

interface CoactivationPair {
  a: number;
  b: number;
  /** P(a and b both active) per token. */
  probability: number;
}

/** The most frequent co-activated pairs, most frequent first. */
export function topCoactivationPairs(dist: LayerDistribution, limit = 20): CoactivationPair[] {
  const n = dist.experts;
  const m = coactivationMatrix(dist);
  const pairs: CoactivationPair[] = [];
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) if (m[a * n + b] > 0) pairs.push({ a, b, probability: m[a * n + b] });
  pairs.sort((x, y) => y.probability - x.probability || x.a - y.a || x.b - y.b);
  return pairs.slice(0, limit);
}

/** A co-activated partner: [partner expert id, share of this expert's tokens that also activate it]. */
export type Partner = [expert: number, share: number];

/** Partners kept per expert: what the hover and the placement view show. */
const PARTNERS_KEPT = 3;

/**
 * Each expert's top partners, best first, at most `limit` each: share =
 * P(partner active | expert active), to 4 decimals (a display figure; the
 * results of a DeepSeek-V3-scale plan hold 256 × 58 of these lists, and
 * every digit is sent to the editor).
 */
export function topPartners(dist: LayerDistribution, limit = PARTNERS_KEPT): Partner[][] {
  const n = dist.experts;
  const co = pairMass(dist);
  const load = expertLoads(dist);
  const out: Partner[][] = [];
  // The `limit` best partners of each expert by one pass with insertion (no row of n tuples to sort).
  const bestB = new Int32Array(limit);
  const bestV = new Float64Array(limit);
  for (let a = 0; a < n; a++) {
    const mass = load[a] * dist.total;
    let kept = 0;
    if (mass > 0) {
      for (let b = 0; b < n; b++) {
        const v = co[a * n + b];
        if (b === a || !(v > 0)) continue;
        // Ties: the lower id first, as a stable sort by (share desc, id asc) gives.
        let i = kept < limit ? kept++ : limit;
        if (i === limit && !(v > bestV[limit - 1])) continue;
        if (i === limit) i = limit - 1;
        while (i > 0 && v > bestV[i - 1]) {
          bestV[i] = bestV[i - 1];
          bestB[i] = bestB[i - 1];
          i--;
        }
        bestV[i] = v;
        bestB[i] = b;
      }
    }
    const row: Partner[] = [];
    for (let i = 0; i < kept; i++) row.push([bestB[i], Math.round((bestV[i] / mass) * 1e4) / 1e4]);
    out.push(row);
  }
  return out;
}

interface Truncation {
  dist: LayerDistribution;
  /** Fraction of the original weight the kept subsets carry (1 when nothing was dropped). */
  keptMass: number;
  dropped: number;
}

/**
 * Keeps the `maxSubsets` most frequent subsets (ties: lower index first, so
 * the result is deterministic), renormalised to the original total so
 * probabilities stay comparable. Reports the kept mass.
 */
export function truncateDistribution(dist: LayerDistribution, maxSubsets: number): Truncation {
  if (!(maxSubsets >= 1)) throw new RangeError(`maxSubsets must be at least 1 (got ${maxSubsets})`);
  if (dist.count <= maxSubsets) return { dist, keptMass: 1, dropped: 0 };
  const order = Array.from({ length: dist.count }, (_, i) => i);
  order.sort((a, b) => dist.weights[b] - dist.weights[a] || a - b);
  const keep = order.slice(0, maxSubsets);
  const k = dist.k;
  const ids = new Int32Array(keep.length * k);
  const weights = new Float64Array(keep.length);
  let kept = 0;
  keep.forEach((src, i) => {
    ids.set(dist.ids.subarray(src * k, src * k + k), i * k);
    weights[i] = dist.weights[src];
    kept += dist.weights[src];
  });
  const keptMass = dist.total > 0 ? kept / dist.total : 0;
  if (kept > 0) {
    const scale = dist.total / kept;
    for (let i = 0; i < weights.length; i++) weights[i] *= scale;
  }
  return {
    dist: { ...dist, ids, weights, count: keep.length, total: kept > 0 ? dist.total : 0 },
    keptMass,
    dropped: dist.count - keep.length,
  };
}

/** Subset i's ids as a plain array. */
export function subsetAt(dist: LayerDistribution, i: number): number[] {
  return Array.from(dist.ids.subarray(i * dist.k, i * dist.k + dist.k));
}

/**
 * Distribution of `tokens` subsets given flat (each subset sorted ascending,
 * tokens × k ids). When a subset packs into 64 bits (k·⌈log2 experts⌉ ≤ 64)
 * duplicates are merged by an LSD radix sort on the packed key, which is
 * several times faster than hashing when most subsets are distinct; the
 * result is in lexicographic order. Otherwise falls back to the hash table.
 */
export function distributionFromSortedTokens(
  layer: number,
  experts: number,
  k: number,
  flat: Int32Array,
  tokens: number,
  coactivationKnown = true,
): LayerDistribution {
  const b = experts <= 1 ? 0 : 32 - Math.clz32(experts - 1);
  const bits = b * k;
  if (b === 0 || bits > 64 || tokens < 2) {
    const c = new SubsetCounter(layer, experts, k, Math.min(tokens, 1 << 16));
    for (let t = 0; t < tokens; t++) c.addSorted(flat, t * k);
    return c.toDistribution(coactivationKnown);
  }
  const hi = new Uint32Array(tokens);
  const lo = new Uint32Array(tokens);
  for (let t = 0; t < tokens; t++) {
    let h = 0;
    let l = 0;
    const base = t * k;
    for (let j = 0; j < k; j++) {
      h = ((h << b) | (l >>> (32 - b))) >>> 0;
      l = ((l << b) | flat[base + j]) >>> 0;
    }
    hi[t] = h;
    lo[t] = l;
  }
  // LSD radix sort, 8-bit digits, moving (hi, lo) together so every
  // pass reads sequentially and writes into only 256 buckets (cache friendly).
  let hiA = hi;
  let loA = lo;
  let hi2 = new Uint32Array(tokens);
  let lo2 = new Uint32Array(tokens);
  const hist = new Uint32Array(256);
  const passes = Math.ceil(bits / 8);
  for (let p = 0; p < passes; p++) {
    const key = p < 4 ? loA : hiA;
    const shift = (p & 3) * 8;
    hist.fill(0);
    for (let i = 0; i < tokens; i++) hist[(key[i] >>> shift) & 0xff]++;
    if (hist[(key[0] >>> shift) & 0xff] === tokens) continue; // all equal in this digit
    let sum = 0;
    for (let d = 0; d < 256; d++) {
      const c = hist[d];
      hist[d] = sum;
      sum += c;
    }
    for (let i = 0; i < tokens; i++) {
      const dst = hist[(key[i] >>> shift) & 0xff]++;
      hi2[dst] = hiA[i];
      lo2[dst] = loA[i];
    }
    let tmp = hiA;
    hiA = hi2;
    hi2 = tmp;
    tmp = loA;
    loA = lo2;
    lo2 = tmp;
  }
  // Count distinct, then emit (hiA/loA are now in sorted order).
  let distinct = 1;
  for (let i = 1; i < tokens; i++) if (hiA[i - 1] !== hiA[i] || loA[i - 1] !== loA[i]) distinct++;
  const ids = new Int32Array(distinct * k);
  const weights = new Float64Array(distinct);
  const mask = (1 << b) - 1;
  let out = -1;
  for (let i = 0; i < tokens; i++) {
    if (i === 0 || hiA[i - 1] !== hiA[i] || loA[i - 1] !== loA[i]) {
      out++;
      // Decode the ids from the packed key (sequential reads, unlike flat[order[i]]).
      let h = hiA[i];
      let lo = loA[i];
      for (let j = k - 1; j >= 0; j--) {
        ids[out * k + j] = lo & mask;
        lo = ((lo >>> b) | (h << (32 - b))) >>> 0;
        h = h >>> b;
      }
    }
    weights[out]++;
  }
  return { layer, experts, k, ids, weights, count: distinct, total: tokens, coactivationKnown };
}
