// T(S) for one subset: the smallest t such that every expert of S can be
// served by a GPU holding one of its copies with at most t experts of S served
// on any one GPU. This is a bipartite b-matching (experts of S → GPUs, GPU
// capacity t). k is small (≤ 16 in every model we know), so an augmenting-path
// search per expert is both simple and fast.
//
// The search raises t lazily: experts are inserted one at a time with
// capacity t; when no augmenting path exists, Hall's condition fails for the
// set X of experts reachable from the new one (|X| = t·|N(X)| + 1), so
// T(S) ≥ t + 1, and raising t by one lets the expert in directly. The final t
// is therefore exactly T(S).

/**
 * Where copies live, in the flat form the matcher reads: expert e has
 * `copyCount[e]` copies, on GPUs `copies[e*gpus .. e*gpus + copyCount[e])`.
 */
export interface CopyTable {
  gpus: number;
  copies: Int32Array;
  copyCount: Int32Array;
  /** When gpus ≤ 32: bit g of masks[e] set iff expert e has a copy on GPU g (kept in sync with copies). */
  masks?: Uint32Array;
}

/** Bitmask form of a copy table, for the fast matcher (≤ 32 GPUs). */
export function masksOf(table: CopyTable): Uint32Array | undefined {
  if (table.gpus > 32) return undefined;
  const masks = new Uint32Array(table.copyCount.length);
  for (let e = 0; e < masks.length; e++) {
    for (let c = 0; c < table.copyCount[e]; c++) masks[e] |= 1 << table.copies[e * table.gpus + c];
  }
  return masks;
}

/** Builds a CopyTable from GPU → experts lists. Throws on out-of-range ids. */
export function copyTableOf(placement: number[][], experts: number): CopyTable {
  const gpus = placement.length;
  const copies = new Int32Array(Math.max(1, experts * gpus));
  const copyCount = new Int32Array(experts);
  for (let g = 0; g < gpus; g++) {
    for (const e of placement[g]) {
      if (!Number.isInteger(e) || e < 0 || e >= experts) {
        throw new RangeError(`GPU ${g} holds expert ${e}, but experts are numbered 0..${experts - 1}`);
      }
      // A second copy on the same GPU adds nothing; keep one.
      let dup = false;
      for (let c = 0; c < copyCount[e]; c++) if (copies[e * gpus + c] === g) dup = true;
      if (!dup) copies[e * gpus + copyCount[e]++] = g;
    }
  }
  const table: CopyTable = { gpus, copies, copyCount };
  table.masks = masksOf(table);
  return table;
}

/** Reusable scratch space for subset matchings on a fixed number of GPUs. */
export class SubsetMatcher {
  /** Experts of S assigned to each GPU during one matching. */
  readonly load: Int32Array;
  /** GPU serving local expert j (index within the subset) after `time`. */
  readonly gpuOf: Int32Array;
  private readonly visited: Int32Array;
  private stamp = 0;
  private members: Int32Array;
  private k = 0;
  private table!: CopyTable;
  private t = 0;
  /** GPUs from which one expert can be pushed towards spare capacity. */
  private readonly good: Uint8Array;
  /** Copy masks of the multi-copy experts of the subset (timeOf). */
  private pending = new Int32Array(16);

  constructor(
    readonly gpus: number,
    maxK = 64,
  ) {
    this.load = new Int32Array(gpus);
    this.visited = new Int32Array(gpus);
    this.gpuOf = new Int32Array(maxK);
    this.members = new Int32Array(maxK);
    this.good = new Uint8Array(gpus);
  }

  /**
   * T(S) for the k experts ids[off..off+k) under `table`. Leaves the matching
   * in `gpuOf[0..k)` and the per-GPU counts in `load` until the next call.
   * `skip` (optional) is a local index to leave out of S (−1 = none).
   * Returns −1 when an expert has no copy, unless `ignoreMissing`, which
   * leaves such experts out (T of the placed part, for branch and bound).
   */
  time(ids: Int32Array, off: number, k: number, table: CopyTable, skip = -1, startT = 1, ignoreMissing = false, limit = Infinity): number {
    if (k > this.gpuOf.length) {
      (this as { gpuOf: Int32Array }).gpuOf = new Int32Array(k);
      this.members = new Int32Array(k);
    }
    this.table = table;
    if (table.masks) return this.timeMask(ids, off, k, table.masks, skip, startT, ignoreMissing, limit);
    const { gpus, copies, copyCount } = table;
    const load = this.load;
    // Local expert ids; the skipped one is kept out of the matching.
    let m = 0;
    for (let j = 0; j < k; j++) {
      if (j === skip) continue;
      const e = ids[off + j];
      if (copyCount[e] === 0) {
        if (ignoreMissing) continue;
        this.resetLoads(m);
        return -1;
      }
      this.members[m] = e;
      this.gpuOf[m] = -1;
      m++;
    }
    this.k = m;
    let t = Math.max(1, startT);
    for (let j = 0; j < m; j++) {
      const e = this.members[j];
      // Fast path: a copy on a GPU with spare capacity.
      const base = e * gpus;
      const cc = copyCount[e];
      let placed = false;
      for (let c = 0; c < cc; c++) {
        const g = copies[base + c];
        if (load[g] < t) {
          this.gpuOf[j] = g;
          load[g]++;
          placed = true;
          break;
        }
      }
      if (placed) continue;
      this.t = t;
      this.stamp++;
      if (this.augment(j)) continue;
      // Hall's condition fails at t: T(S) > t. At t+1 every GPU reached is free.
      t++;
      this.t = t;
      this.stamp++;
      this.augment(j);
    }
    this.k = m;
    return m === 0 ? 0 : t;
  }

  /**
   * T(S) alone (nothing of the matching is kept; `load` stays clear). The
   * same value as `time(ids, off, k, table, -1, startT)` followed by
   * `clear()`. With ≤ 32 GPUs most subsets never reach the matcher. Counts
   * per GPU are kept as bit planes (bit g of cN set when GPU g serves ≥ N
   * experts). Experts with one copy fix their GPU; their largest count t is a
   * lower bound on T. Each multi-copy expert then goes to its least loaded
   * copy within t; when every copy's GPU already holds t single-copy experts,
   * T > t is proved and t grows by one. If all fit, T = t. A copy blocked
   * only by other multi-copy experts (a matching question), or counts above
   * 4, go to the full matcher.
   */
  timeOf(ids: Int32Array, off: number, k: number, table: CopyTable, startT = 1): number {
    const masks = table.masks;
    if (masks !== undefined && k > 0) {
      const pending = this.pending.length >= k ? this.pending : (this.pending = new Int32Array(k));
      let c1 = 0;
      let c2 = 0;
      let c3 = 0;
      let c4 = 0;
      let over = 0;
      let missing = 0;
      let n = 0;
      for (let j = 0; j < k; j++) {
        const mask = masks[ids[off + j]];
        const single = (mask & (mask - 1)) === 0;
        const b = single ? mask : 0;
        pending[n] = mask;
        n += single ? 0 : 1;
        if (mask === 0) missing = 1;
        over |= c4 & b;
        c4 |= c3 & b;
        c3 |= c2 & b;
        c2 |= c1 & b;
        c1 |= b;
      }
      let t = c4 !== 0 ? 4 : c3 !== 0 ? 3 : c2 !== 0 ? 2 : 1;
      if (startT > t) t = startT;
      if ((missing | over) === 0 && t <= 4) {
        if (n === 0) return t;
        // Planes of the single-copy experts alone, for the proofs.
        const s1 = c1;
        const s2 = c2;
        const s3 = c3;
        const s4 = c4;
        let i = 0;
        for (; i < n; i++) {
          const mask = pending[i];
          let free = mask & ~c1;
          if (free === 0 && t > 1) free = mask & ~c2;
          if (free === 0 && t > 2) free = mask & ~c3;
          if (free === 0 && t > 3) free = mask & ~c4;
          if (free === 0) {
            const singlesAtT = t === 1 ? s1 : t === 2 ? s2 : t === 3 ? s3 : s4;
            if ((mask & ~singlesAtT) !== 0 || t === 4) break;
            // Every copy's GPU holds t single-copy experts: T ≥ t + 1.
            t++;
            free = mask & ~c1;
            if (free === 0) free = mask & ~c2;
            if (free === 0) free = mask & ~c3;
            if (free === 0) free = mask & ~c4;
          }
          const b = free & -free;
          c4 |= c3 & b;
          c3 |= c2 & b;
          c2 |= c1 & b;
          c1 |= b;
        }
        if (i === n) return t;
      }
    }
    const t = this.time(ids, off, k, table, -1, startT);
    this.clear();
    return t;
  }

  // --- bitmask matcher (≤ 32 GPUs) -----------------------------------------
  private full = 0;
  private vis = 0;
  private masks!: Uint32Array;

  /** `limit`: stop as soon as T is known to exceed it (returning a value > limit). */
  private timeMask(ids: Int32Array, off: number, k: number, masks: Uint32Array, skip: number, startT: number, ignoreMissing: boolean, limit: number): number {
    const load = this.load;
    const gpuOf = this.gpuOf;
    const members = this.members;
    this.masks = masks;
    // One pass: collect the experts and place the single-copy ones (no
    // choice); their largest count on one GPU is already a lower bound on T.
    let m = 0;
    let t = startT > 1 ? startT : 1;
    let multi = 0;
    for (let j = 0; j < k; j++) {
      if (j === skip) continue;
      const e = ids[off + j];
      const mask = masks[e];
      if (mask === 0) {
        if (ignoreMissing) continue;
        this.resetLoads(m);
        return -1;
      }
      members[m] = e;
      if ((mask & (mask - 1)) === 0) {
        const g = 31 - Math.clz32(mask);
        gpuOf[m] = g;
        if (++load[g] > t) t = load[g];
      } else {
        gpuOf[m] = -1;
        multi++;
      }
      m++;
    }
    this.k = m;
    if (multi === 0) return m === 0 ? 0 : t;
    if (t > limit) return t;
    let full = 0;
    for (let j = 0; j < m; j++) {
      const g = gpuOf[j];
      if (g >= 0 && load[g] >= t) full |= 1 << g;
    }
    for (let j = 0; j < m; j++) {
      if (gpuOf[j] >= 0) continue;
      const mask = masks[members[j]];
      const free = mask & ~full;
      if (free !== 0) {
        const g = 31 - Math.clz32(free & -free);
        gpuOf[j] = g;
        if (++load[g] >= t) full |= 1 << g;
        continue;
      }
      this.full = full;
      this.t = t;
      this.vis = 0;
      if (this.augmentMask(j)) {
        full = this.full;
        continue;
      }
      // Hall's condition fails at t; at t+1 no GPU is full.
      t++;
      if (t > limit) return t;
      const g = 31 - Math.clz32(mask & -mask);
      gpuOf[j] = g;
      full = ++load[g] >= t ? 1 << g : 0;
    }
    return m === 0 ? 0 : t;
  }

  private place(j: number, g: number): void {
    const load = this.load;
    const old = this.gpuOf[j];
    if (old >= 0 && --load[old] < this.t) this.full &= ~(1 << old);
    this.gpuOf[j] = g;
    if (++load[g] >= this.t) this.full |= 1 << g;
  }

  private augmentMask(j: number): boolean {
    let cand = this.masks[this.members[j]] & ~this.vis;
    const free = cand & ~this.full;
    if (free !== 0) {
      this.place(j, 31 - Math.clz32(free & -free));
      return true;
    }
    this.vis |= cand;
    const gpuOf = this.gpuOf;
    while (cand !== 0) {
      const g = 31 - Math.clz32(cand & -cand);
      cand &= cand - 1;
      for (let i = 0; i < this.k; i++) {
        if (i !== j && gpuOf[i] === g && this.augmentMask(i)) {
          this.place(j, g);
          return true;
        }
      }
    }
    return false;
  }

  /** Clears `load` after a matching (call before reusing `load` elsewhere). */
  clear(): void {
    this.resetLoads(this.k);
  }

  private resetLoads(m: number): void {
    for (let j = 0; j < m; j++) {
      const g = this.gpuOf[j];
      if (g >= 0) this.load[g] = 0;
      this.gpuOf[j] = -1;
    }
  }

  /** Expert count of the last matching (k minus the skipped one). */
  get size(): number {
    return this.k;
  }

  /** Local expert j's id in the last matching. */
  expertAt(j: number): number {
    return this.members[j];
  }

  private augment(j: number): boolean {
    const { gpus, copies, copyCount } = this.table;
    const e = this.members[j];
    const base = e * gpus;
    const cc = copyCount[e];
    const load = this.load;
    const t = this.t;
    for (let c = 0; c < cc; c++) {
      const g = copies[base + c];
      if (this.visited[g] === this.stamp) continue;
      if (load[g] < t) {
        if (this.gpuOf[j] >= 0) load[this.gpuOf[j]]--;
        this.gpuOf[j] = g;
        load[g]++;
        return true;
      }
    }
    for (let c = 0; c < cc; c++) {
      const g = copies[base + c];
      if (this.visited[g] === this.stamp) continue;
      this.visited[g] = this.stamp;
      for (let i = 0; i < this.k; i++) {
        if (i === j || this.gpuOf[i] !== g) continue;
        if (this.augment(i)) {
          // i moved off g; j takes its place.
          if (this.gpuOf[j] >= 0) load[this.gpuOf[j]]--;
          this.gpuOf[j] = g;
          load[g]++;
          return true;
        }
      }
    }
    return false;
  }

  /**
   * After `time(..., skip = j, ...)` returned T−1 (S without expert e matched
   * within T−1), marks in `out` every GPU on which a new copy of e would let
   * S be served within T−1: GPUs that can shed one expert of S towards spare
   * capacity (load < T−1) by a chain of moves. Used for exact greedy gains of
   * every GPU at once. Call `clear()` afterwards.
   */
  relievableGpus(capacity: number, out: Uint8Array): void {
    const { gpus, copies, copyCount } = this.table;
    const good = this.good;
    const load = this.load;
    for (let g = 0; g < gpus; g++) good[g] = load[g] < capacity ? 1 : 0;
    // Fixpoint: g is good if an expert on g has a copy on a good GPU.
    let changed = true;
    while (changed) {
      changed = false;
      for (let i = 0; i < this.k; i++) {
        const g = this.gpuOf[i];
        if (good[g]) continue;
        const e = this.members[i];
        const base = e * gpus;
        for (let c = 0; c < copyCount[e]; c++) {
          if (good[copies[base + c]]) {
            good[g] = 1;
            changed = true;
            break;
          }
        }
      }
    }
    for (let g = 0; g < gpus; g++) out[g] = good[g];
  }
}
