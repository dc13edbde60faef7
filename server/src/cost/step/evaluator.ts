// The step time of one MoE layer over a fixed set of sampled batches, for a
// placement under a dispatch rule, kept up to date as copies change.
//
// A batch's step: every (token, expert) pair goes to a copy (the rule), then
//   step = max_g max(D_g·read, N_g·math) + shared + dispatch + combine
// with D_g the distinct experts GPU g runs, N_g its pairs, and dispatch the
// slowest GPU's all-to-all time (per GPU: NVLink and network in parallel,
// latency + max(sent, received)·bytes / bandwidth). Combine returns the same
// messages the other way, so it costs what dispatch costs. The objective is
// the weighted mean over batches (docs/cost-model.md §3).
//
// Incremental: changing an expert's copies re-times only the pairs of that
// expert (under `balanced`, the batches they sit in are re-balanced whole),
// and the maxima of those batches — the same figure a fresh evaluation gives.
import type { CopyTable } from '../matching';
import { SubsetMatcher, masksOf } from '../matching';
import { PlacementError } from '../evaluate';
import type { StepCosts } from './costs';
import type { StepSamples } from './samples';
import { staticDispatchRow, staticRowSeed, type DispatchRule } from './dispatch';

interface StepBreakdown {
  /** Weighted mean over batches, seconds. */
  stepS: number;
  computeS: number;
  dispatchS: number;
  combineS: number;
}

export class StepEvaluator {
  readonly gpus: number;
  readonly experts: number;
  readonly k: number;
  readonly batch: number;
  readonly batches: number;
  /** Copies of each expert, ascending GPU ids (physical-slot order). */
  readonly table: CopyTable;
  /** Σ_b w_b · step_b, seconds. */
  private total = 0;
  private readonly assign: Int32Array;
  private readonly pairsOn: Int32Array;
  private readonly distinctOn: Int32Array;
  private readonly nvSend: Int32Array;
  private readonly nvRecv: Int32Array;
  private readonly netSend: Int32Array;
  private readonly netRecv: Int32Array;
  private readonly computeMax: Float64Array;
  private readonly linkMax: Float64Array;
  private readonly stepOf: Float64Array;
  private readonly sharedS: number;
  private readonly nodeOf: Int32Array;
  private readonly staticMap: Int32Array;
  private readonly staticRows = new Map<string, Int32Array>();
  private readonly stamp: Int32Array;
  private epoch = 0;
  private readonly matcher: SubsetMatcher;
  private readonly pairsPerBatch: number;
  // Probe journal: changed experts, touched batches, and each touched pair's old GPU.
  private readonly dirty: Int32Array;
  private dirtyCount = 0;
  private readonly dirtyMark: Uint8Array;
  private logPairs: Int32Array;
  private logGpus: Int32Array;
  private logLen = 0;
  private groupStart = new Int32Array(256);
  private groupWhole = new Uint8Array(256);
  private groupCount = 0;
  private readonly batchMark: Int32Array;
  private batchEpoch = 0;
  private touchedBatches: Int32Array;
  private touchedCount = 0;
  private oldSteps: Float64Array;
  /**
   * Batches of many pairs on few GPUs are restored on revert from a copy of
   * their per-GPU counters (6 per GPU) rather than by replaying every pair.
   */
  private readonly snapshots: boolean;
  /**
   * Batches that touch few of many GPUs (batch 1 on 32 GPUs): per-batch work
   * walks the batch's own pairs and origins instead of every GPU.
   */
  private readonly sparse: boolean;
  private saved: Int32Array;
  private savedMax: Float64Array;
  private pendingTotal = 0;
  private probing = false;

  constructor(
    readonly samples: StepSamples,
    readonly costs: StepCosts,
    readonly rule: DispatchRule,
    /** Seed of the static rule's fair spread (per layer). */
    readonly seed: number,
  ) {
    const G = costs.gpus;
    this.gpus = G;
    this.experts = samples.experts;
    this.k = samples.k;
    this.batch = samples.batch;
    this.batches = samples.batches;
    this.pairsPerBatch = samples.batch * samples.k;
    const S = samples.batches;
    this.table = { gpus: G, copies: new Int32Array(Math.max(1, this.experts * G)), copyCount: new Int32Array(this.experts) };
    this.table.masks = masksOf(this.table);
    this.assign = new Int32Array(samples.ids.length).fill(-1);
    this.pairsOn = new Int32Array(S * G);
    this.distinctOn = new Int32Array(S * G);
    this.nvSend = new Int32Array(S * G);
    this.nvRecv = new Int32Array(S * G);
    this.netSend = new Int32Array(S * G);
    this.netRecv = new Int32Array(S * G);
    this.computeMax = new Float64Array(S);
    this.linkMax = new Float64Array(S);
    this.stepOf = new Float64Array(S);
    this.sharedS = costs.sharedS(samples.batch);
    this.nodeOf = Int32Array.from({ length: G }, (_, g) => Math.floor(g / costs.gpusPerNode));
    this.staticMap = rule === 'static' ? new Int32Array(this.experts * G) : new Int32Array(0);
    this.stamp = new Int32Array(Math.max(1, G * this.experts));
    this.matcher = new SubsetMatcher(G, samples.k);
    this.dirty = new Int32Array(this.experts);
    this.dirtyMark = new Uint8Array(this.experts);
    this.logPairs = new Int32Array(1024);
    this.logGpus = new Int32Array(1024);
    this.batchMark = new Int32Array(S);
    this.touchedBatches = new Int32Array(Math.min(S, 1024));
    this.oldSteps = new Float64Array(this.touchedBatches.length);
    this.snapshots = 6 * G <= this.pairsPerBatch;
    this.sparse = this.pairsPerBatch + this.batch < G;
    this.saved = new Int32Array(this.snapshots ? this.touchedBatches.length * 6 * G : 0);
    this.savedMax = new Float64Array(this.snapshots ? this.touchedBatches.length * 2 : 0);
  }

  // --- placement ----------------------------------------------------------

  /** Replaces the placement and times every batch from scratch. */
  setPlacement(placement: readonly (readonly number[])[]): void {
    const G = this.gpus;
    if (placement.length !== G) throw new PlacementError(`placement has ${placement.length} GPUs, expected ${G}`);
    this.table.copyCount.fill(0);
    if (this.table.masks) this.table.masks.fill(0);
    for (let g = 0; g < G; g++) {
      for (const e of placement[g]) {
        if (!Number.isInteger(e) || e < 0 || e >= this.experts)
          throw new PlacementError(`GPU ${g} holds expert ${e}, but experts are numbered 0..${this.experts - 1}`);
        if (!this.has(e, g)) this.insertCopy(e, g);
      }
    }
    this.evaluateAll();
  }

  has(e: number, g: number): boolean {
    const { copies, copyCount } = this.table;
    const base = e * this.gpus;
    for (let c = 0; c < copyCount[e]; c++) if (copies[base + c] === g) return true;
    return false;
  }

  copiesOf(e: number): number {
    return this.table.copyCount[e];
  }

  /** GPU → experts (ascending). */
  placement(): number[][] {
    const out: number[][] = Array.from({ length: this.gpus }, () => []);
    const { copies, copyCount } = this.table;
    for (let e = 0; e < this.experts; e++) for (let c = 0; c < copyCount[e]; c++) out[copies[e * this.gpus + c]].push(e);
    return out;
  }

  /** Adds a copy (effective at the next probe or evaluateAll). */
  addCopy(e: number, g: number): void {
    this.insertCopy(e, g);
    this.markDirty(e);
  }

  removeCopy(e: number, g: number): void {
    const { copies, copyCount } = this.table;
    const base = e * this.gpus;
    const n = copyCount[e];
    let c = 0;
    while (c < n && copies[base + c] !== g) c++;
    if (c === n) throw new Error(`expert ${e} has no copy on GPU ${g}`);
    for (; c < n - 1; c++) copies[base + c] = copies[base + c + 1];
    copyCount[e] = n - 1;
    if (this.table.masks) this.table.masks[e] &= ~(1 << g);
    this.markDirty(e);
  }

  private insertCopy(e: number, g: number): void {
    const { copies, copyCount } = this.table;
    const base = e * this.gpus;
    let c = copyCount[e]++;
    while (c > 0 && copies[base + c - 1] > g) {
      copies[base + c] = copies[base + c - 1];
      c--;
    }
    copies[base + c] = g;
    if (this.table.masks) this.table.masks[e] |= 1 << g;
  }

  private markDirty(e: number): void {
    if (!this.dirtyMark[e]) {
      this.dirtyMark[e] = 1;
      this.dirty[this.dirtyCount++] = e;
    }
  }

  // --- figures -------------------------------------------------------------

  /** Weighted mean step time, seconds (Infinity when a routed expert has no copy). */
  value(): number {
    return this.total;
  }

  /** The objective split into its parts (weighted means over batches). */
  breakdown(): StepBreakdown {
    let compute = 0;
    let link = 0;
    const w = this.samples.weight;
    for (let b = 0; b < this.batches; b++) {
      compute += w[b] * this.computeMax[b];
      link += w[b] * this.linkMax[b];
    }
    return { stepS: this.total, computeS: compute + this.sharedS, dispatchS: link, combineS: link };
  }

  /** Mean pairs each GPU serves per batch (the load the rule gives it). */
  gpuPairs(): number[] {
    const out = new Array<number>(this.gpus).fill(0);
    const w = this.samples.weight;
    for (let p = 0; p < this.assign.length; p++) out[this.assign[p]] += w[(((p / this.k) | 0) / this.batch) | 0];
    return out;
  }

  /** Weighted share of batches in which GPU g is (one of) the slowest at compute. */
  bottleneckShare(): Float64Array {
    const out = new Float64Array(this.gpus);
    const w = this.samples.weight;
    const G = this.gpus;
    for (let b = 0; b < this.batches; b++) {
      const m = this.computeMax[b];
      if (this.sparse) {
        const p0 = b * this.pairsPerBatch;
        for (let p = p0; p < p0 + this.pairsPerBatch; p++) {
          const g = this.assign[p];
          // A GPU with several pairs in the batch is counted once per pair: a weight, not a share.
          if (this.gpuTime(b * G + g) >= m - 1e-15) out[g] += w[b];
        }
      } else for (let g = 0; g < G; g++) if (this.gpuTime(b * G + g) >= m - 1e-15) out[g] += w[b];
    }
    return out;
  }

  // --- full evaluation -----------------------------------------------------

  /** Times every batch from scratch under the rule (balanced: whole batches re-balanced). */
  evaluateAll(): void {
    for (let i = 0; i < this.dirtyCount; i++) this.dirtyMark[this.dirty[i]] = 0;
    this.dirtyCount = 0;
    this.logLen = 0;
    this.groupCount = 0;
    this.touchedCount = 0;
    this.probing = false;
    if (this.rule === 'static') for (let e = 0; e < this.experts; e++) this.rebuildStaticRow(e);
    this.resetCounters();
    this.assign.fill(-1);
    for (let e = 0; e < this.experts; e++) {
      if (this.table.copyCount[e] === 0 && this.samples.pairStart[e + 1] > this.samples.pairStart[e]) {
        this.total = Infinity;
        this.missing = e;
        return;
      }
    }
    this.missing = -1;
    if (this.rule !== 'balanced') this.assignBatchesByRule(0, this.batches);
    let total = 0;
    for (let b = 0; b < this.batches; b++) {
      if (this.rule === 'balanced') {
        if (this.batch === 1) this.matchToken(b);
        else this.balanceBatch(b);
      }
      this.refreshBatch(b);
      total += this.samples.weight[b] * this.stepOf[b];
    }
    this.total = total;
  }

  /** An expert routed to but without a copy after the last evaluation (−1 if none). */
  missing = -1;

  /** Zeroes the per-batch counters (sparse: only the entries the last assignment touched). */
  private resetCounters(): void {
    const { pairsOn, distinctOn, nvSend, nvRecv, netSend, netRecv } = this;
    if (!this.sparse || this.assign[0] < 0) {
      pairsOn.fill(0);
      distinctOn.fill(0);
      nvSend.fill(0);
      nvRecv.fill(0);
      netSend.fill(0);
      netRecv.fill(0);
      return;
    }
    const G = this.gpus;
    const { origin } = this.samples;
    for (let p = 0; p < this.assign.length; p++) {
      const t = (p / this.k) | 0;
      const base = ((t / this.batch) | 0) * G;
      const g = this.assign[p];
      const o = origin[t];
      pairsOn[base + g] = distinctOn[base + g] = nvRecv[base + g] = netRecv[base + g] = 0;
      nvSend[base + o] = netSend[base + o] = 0;
    }
  }

  /**
   * Batches b0..b1 by the static or random rule: the hot loop of every full
   * evaluation, on locals only, the rule and place() inlined, and one setup
   * for many batches (at batch 1 a batch is one token).
   */
  private assignBatchesByRule(b0: number, b1: number): void {
    const { ids, origin, localPos } = this.samples;
    const k = this.k;
    const G = this.gpus;
    const E = this.experts;
    const B = this.batch;
    const stamp = this.stamp;
    const { copies, copyCount } = this.table;
    const staticMap = this.staticMap;
    const isStatic = this.rule === 'static';
    const { assign, pairsOn, distinctOn, nvSend, nvRecv, netSend, netRecv, nodeOf } = this;
    for (let b = b0; b < b1; b++) {
      const epoch = ++this.epoch;
      const base = b * G;
      for (let t = b * B; t < (b + 1) * B; t++) {
        const o = origin[t];
        const oNode = nodeOf[o];
        for (let j = 0; j < k; j++) {
          const p = t * k + j;
          const e = ids[p];
          const cc = copyCount[e];
          const g = cc === 1 ? copies[e * G] : isStatic ? staticMap[e * G + o] : copies[e * G + ((localPos[t] * k + j) % cc)];
          assign[p] = g;
          pairsOn[base + g]++;
          if (o !== g) {
            if (nodeOf[g] === oNode) {
              nvSend[base + o]++;
              nvRecv[base + g]++;
            } else {
              netSend[base + o]++;
              netRecv[base + g]++;
            }
          }
          // Distinct experts per GPU: stamp (g, e) pairs with one epoch per batch.
          const key = g * E + e;
          if (stamp[key] !== epoch) {
            stamp[key] = epoch;
            distinctOn[base + g]++;
          }
        }
      }
    }
  }

  private rebuildStaticRow(e: number): void {
    const cc = this.table.copyCount[e];
    if (cc === 0) return;
    if (cc === 1) {
      // Every source GPU sends to the one copy (no need for the row's fair spread).
      this.staticMap.fill(this.table.copies[e * this.gpus], e * this.gpus, (e + 1) * this.gpus);
      return;
    }
    // A row depends only on the expert's copies: searches revisit the same copy sets.
    const key = `${e}:${Array.from(this.table.copies.subarray(e * this.gpus, e * this.gpus + cc)).join(',')}`;
    const known = this.staticRows.get(key);
    if (known) {
      this.staticMap.set(known, e * this.gpus);
      return;
    }
    staticDispatchRow(
      this.table.copies.subarray(e * this.gpus, e * this.gpus + cc),
      cc,
      this.nodeOf,
      staticRowSeed(this.seed, e),
      this.staticMap,
      e * this.gpus,
    );
    if (this.staticRows.size >= 4096) this.staticRows.clear();
    this.staticRows.set(key, this.staticMap.slice(e * this.gpus, (e + 1) * this.gpus));
  }

  /** Batch 1 under `balanced`: the b-matching of the token's experts (T(S) reads on the slowest GPU). */
  private matchToken(b: number): void {
    const k = this.k;
    const p0 = b * k;
    const o = this.samples.origin[b];
    const T = this.matcher.time(this.samples.ids, p0, k, this.table);
    if (T < 0) throw new PlacementError('an expert of the token has no copy');
    const G = this.gpus;
    for (let j = 0; j < k; j++) {
      const g = this.matcher.gpuOf[j];
      this.assign[p0 + j] = g;
      this.place(b, o, g, 1);
      this.distinctOn[b * G + g]++;
    }
    this.matcher.clear();
  }

  /**
   * Greedy balance of a whole batch: pairs of single-copy experts first, then
   * each pair to the copy that least increases the batch's step estimate
   * (slowest compute + 2 × slowest link), ties to the smaller local time, the
   * token's own GPU, then a copy already active.
   */
  private balanceBatch(b: number): void {
    const { ids, origin } = this.samples;
    const k = this.k;
    const G = this.gpus;
    const t0 = b * this.batch;
    const epoch = ++this.epoch;
    const stamp = this.stamp;
    const E = this.experts;
    let maxCompute = 0;
    let maxLink = 0;
    for (let t = t0; t < t0 + this.batch; t++) {
      for (let j = 0; j < k; j++) {
        const p = t * k + j;
        const e = ids[p];
        if (this.table.copyCount[e] !== 1) continue;
        const g = this.table.copies[e * G];
        this.assign[p] = g;
        this.place(b, origin[t], g, 1);
        const key = g * E + e;
        if (stamp[key] !== epoch) {
          stamp[key] = epoch;
          this.distinctOn[b * G + g]++;
        }
        maxCompute = Math.max(maxCompute, this.gpuTime(b * G + g));
      }
    }
    for (let g = 0; g < G; g++) maxLink = Math.max(maxLink, this.linkTime(b * G + g));
    for (let t = t0; t < t0 + this.batch; t++) {
      const o = origin[t];
      for (let j = 0; j < k; j++) {
        const p = t * k + j;
        const e = ids[p];
        if (this.table.copyCount[e] === 1) continue;
        const g = this.bestCopy(b, o, e, epoch, maxCompute, maxLink);
        this.assign[p] = g;
        this.place(b, o, g, 1);
        const key = g * E + e;
        if (stamp[key] !== epoch) {
          stamp[key] = epoch;
          this.distinctOn[b * G + g]++;
        }
        maxCompute = Math.max(maxCompute, this.gpuTime(b * G + g));
        maxLink = Math.max(maxLink, this.linkTime(b * G + g), this.linkTime(b * G + o));
      }
    }
  }

  /** The copy of e whose taking one more pair from a token on `o` raises the estimate least. */
  private bestCopy(b: number, o: number, e: number, epoch: number, maxCompute: number, maxLink: number): number {
    const G = this.gpus;
    const base = b * G;
    const { readS, mathS } = this.costs;
    let best = -1;
    let bestObj = Infinity;
    let bestLocal = Infinity;
    let bestActive = false;
    for (let c = 0; c < this.table.copyCount[e]; c++) {
      const g = this.table.copies[e * G + c];
      const active = this.stamp[g * this.experts + e] === epoch;
      const t = Math.max((this.distinctOn[base + g] + (active ? 0 : 1)) * readS, (this.pairsOn[base + g] + 1) * mathS);
      let link = 0;
      if (g !== o) {
        const same = this.nodeOf[g] === this.nodeOf[o];
        link = Math.max(this.linkTimeWith(base + o, same ? 1 : 0, 0, same ? 0 : 1, 0), this.linkTimeWith(base + g, 0, same ? 1 : 0, 0, same ? 0 : 1));
      }
      const obj = Math.max(maxCompute, t) + 2 * Math.max(maxLink, link);
      const local = t + 2 * link;
      const eps = 1e-15;
      const better =
        obj < bestObj - eps ||
        (obj <= bestObj + eps && (local < bestLocal - eps || (local <= bestLocal + eps && ((g === o && best !== o) || (best !== o && active && !bestActive)))));
      if (better) {
        best = g;
        bestObj = obj;
        bestLocal = local;
        bestActive = active;
      }
    }
    return best;
  }

  // --- incremental ---------------------------------------------------------

  /**
   * Re-times the pairs of every expert whose copies changed since the last
   * evaluation, and returns the new objective (seconds). Keep it with
   * `commit()`; undo it with the inverse copy changes followed by `revert()`.
   */
  probe(): number {
    this.logLen = 0;
    this.groupCount = 0;
    this.touchedCount = 0;
    this.batchEpoch++;
    this.probing = true;
    let total = this.total;
    for (let i = 0; i < this.dirtyCount; i++) {
      const e = this.dirty[i];
      if (this.table.copyCount[e] === 0 && this.samples.pairStart[e + 1] > this.samples.pairStart[e]) {
        this.pendingTotal = Infinity;
        return Infinity;
      }
    }
    for (let i = 0; i < this.dirtyCount; i++) {
      const e = this.dirty[i];
      if (this.rule === 'static') this.rebuildStaticRow(e);
      this.retimeExpert(e);
    }
    for (let i = 0; i < this.touchedCount; i++) {
      const b = this.touchedBatches[i];
      this.refreshBatch(b);
      total += this.samples.weight[b] * (this.stepOf[b] - this.oldSteps[i]);
    }
    this.pendingTotal = total;
    return total;
  }

  /** Keeps the last probe. */
  commit(): void {
    this.total = this.pendingTotal;
    this.clearJournal();
  }

  /**
   * Undoes the last probe; call after restoring the copy table with the
   * inverse addCopy/removeCopy calls.
   */
  revert(): void {
    if (this.snapshots) {
      this.restoreSnapshots();
      return;
    }
    const { origin } = this.samples;
    const k = this.k;
    const G = this.gpus;
    // Each journal group is all pairs of one expert in one batch (or one whole
    // token at batch 1 under `balanced`): take the probe's GPUs out, the old back.
    for (let gi = this.groupCount - 1; gi >= 0; gi--) {
      const from = this.groupStart[gi];
      const to = gi + 1 < this.groupCount ? this.groupStart[gi + 1] : this.logLen;
      const wholeBatch = this.groupWhole[gi] === 1;
      for (let pass = 0; pass < 2; pass++) {
        const sign = pass === 0 ? -1 : 1;
        const epoch = ++this.epoch;
        if (wholeBatch && pass === 0) {
          const p = this.logPairs[from];
          const b = (((p / k) | 0) / this.batch) | 0;
          for (let i = from; i < to; i++) {
            const q = this.logPairs[i];
            this.place(b, origin[(q / k) | 0], this.assign[q], -1);
          }
          this.distinctOn.fill(0, b * G, (b + 1) * G);
          continue;
        }
        for (let i = from; i < to; i++) {
          const p = this.logPairs[i];
          const t = (p / k) | 0;
          const b = (t / this.batch) | 0;
          const g = pass === 0 ? this.assign[p] : this.logGpus[i];
          if (pass === 1) this.assign[p] = g;
          this.place(b, origin[t], g, sign);
          // Expert groups: one expert, so distinct per GPU; whole batches: per (GPU, expert).
          const key = wholeBatch ? g * this.experts + this.samples.ids[p] : g;
          if (this.stamp[key] !== epoch) {
            this.stamp[key] = epoch;
            this.distinctOn[b * G + g] += sign;
          }
        }
      }
    }
    for (let i = 0; i < this.touchedCount; i++) this.refreshBatch(this.touchedBatches[i]);
    if (this.rule === 'static') for (let i = 0; i < this.dirtyCount; i++) this.rebuildStaticRow(this.dirty[i]);
    this.clearJournal();
  }

  private restoreSnapshots(): void {
    for (let i = 0; i < this.logLen; i++) this.assign[this.logPairs[i]] = this.logGpus[i];
    const G = this.gpus;
    const { pairsOn, distinctOn, nvSend, nvRecv, netSend, netRecv, saved } = this;
    for (let i = 0; i < this.touchedCount; i++) {
      const b = this.touchedBatches[i];
      const from = b * G;
      let o = i * 6 * G;
      for (let g = 0; g < G; g++) pairsOn[from + g] = saved[o + g];
      o += G;
      for (let g = 0; g < G; g++) distinctOn[from + g] = saved[o + g];
      o += G;
      for (let g = 0; g < G; g++) nvSend[from + g] = saved[o + g];
      o += G;
      for (let g = 0; g < G; g++) nvRecv[from + g] = saved[o + g];
      o += G;
      for (let g = 0; g < G; g++) netSend[from + g] = saved[o + g];
      o += G;
      for (let g = 0; g < G; g++) netRecv[from + g] = saved[o + g];
      this.computeMax[b] = this.savedMax[2 * i];
      this.linkMax[b] = this.savedMax[2 * i + 1];
      this.stepOf[b] = this.oldSteps[i];
    }
    if (this.rule === 'static') for (let i = 0; i < this.dirtyCount; i++) this.rebuildStaticRow(this.dirty[i]);
    this.clearJournal();
  }

  private clearJournal(): void {
    for (let i = 0; i < this.dirtyCount; i++) this.dirtyMark[this.dirty[i]] = 0;
    this.dirtyCount = 0;
    this.logLen = 0;
    this.groupCount = 0;
    this.touchedCount = 0;
    this.probing = false;
  }

  private openGroup(token: boolean): void {
    if (this.groupCount === this.groupStart.length) {
      const gs = new Int32Array(this.groupCount * 2);
      gs.set(this.groupStart);
      this.groupStart = gs;
      const gt = new Uint8Array(this.groupCount * 2);
      gt.set(this.groupWhole);
      this.groupWhole = gt;
    }
    this.groupStart[this.groupCount] = this.logLen;
    this.groupWhole[this.groupCount] = token ? 1 : 0;
    this.groupCount++;
  }

  private touch(b: number): void {
    if (this.batchMark[b] === this.batchEpoch) return;
    this.batchMark[b] = this.batchEpoch;
    if (this.touchedCount === this.touchedBatches.length) {
      const n = Math.min(this.batches, this.touchedBatches.length * 2);
      const tb = new Int32Array(n);
      tb.set(this.touchedBatches);
      this.touchedBatches = tb;
      const os = new Float64Array(n);
      os.set(this.oldSteps);
      this.oldSteps = os;
      if (this.snapshots) {
        const sv = new Int32Array(n * 6 * this.gpus);
        sv.set(this.saved);
        this.saved = sv;
        const sm = new Float64Array(n * 2);
        sm.set(this.savedMax);
        this.savedMax = sm;
      }
    }
    const i = this.touchedCount;
    this.touchedBatches[i] = b;
    this.oldSteps[i] = this.stepOf[b];
    if (this.snapshots) {
      const G = this.gpus;
      const from = b * G;
      const { pairsOn, distinctOn, nvSend, nvRecv, netSend, netRecv, saved } = this;
      let o = i * 6 * G;
      for (let g = 0; g < G; g++) saved[o + g] = pairsOn[from + g];
      o += G;
      for (let g = 0; g < G; g++) saved[o + g] = distinctOn[from + g];
      o += G;
      for (let g = 0; g < G; g++) saved[o + g] = nvSend[from + g];
      o += G;
      for (let g = 0; g < G; g++) saved[o + g] = nvRecv[from + g];
      o += G;
      for (let g = 0; g < G; g++) saved[o + g] = netSend[from + g];
      o += G;
      for (let g = 0; g < G; g++) saved[o + g] = netRecv[from + g];
      this.savedMax[2 * i] = this.computeMax[b];
      this.savedMax[2 * i + 1] = this.linkMax[b];
    }
    this.touchedCount++;
  }

  private log(p: number, g: number): void {
    if (this.logLen === this.logPairs.length) {
      const lp = new Int32Array(this.logLen * 2);
      lp.set(this.logPairs);
      this.logPairs = lp;
      const lg = new Int32Array(this.logLen * 2);
      lg.set(this.logGpus);
      this.logGpus = lg;
    }
    this.logPairs[this.logLen] = p;
    this.logGpus[this.logLen] = g;
    this.logLen++;
  }

  /** Re-times expert e's pairs, batch by batch. */
  private retimeExpert(e: number): void {
    const { groupStart, groupBatch, groupFirst } = this.samples;
    if (this.rule === 'balanced') {
      for (let gi = groupStart[e]; gi < groupStart[e + 1]; gi++) this.rebalanceBatch(groupBatch[gi]);
      return;
    }
    // Static and random rules, on locals: the search's innermost loop.
    const { pairList, origin, localPos } = this.samples;
    const G = this.gpus;
    const k = this.k;
    const stamp = this.stamp;
    const { assign, pairsOn, distinctOn, nvSend, nvRecv, netSend, netRecv, nodeOf } = this;
    const { copies, copyCount } = this.table;
    const cc = copyCount[e];
    const single = copies[e * G];
    const isStatic = this.rule === 'static';
    const staticMap = this.staticMap;
    for (let gi = groupStart[e]; gi < groupStart[e + 1]; gi++) {
      const b = groupBatch[gi];
      const from = groupFirst[gi];
      const to = groupFirst[gi + 1];
      this.touch(b);
      this.openGroup(false);
      const base = b * G;
      let epoch = ++this.epoch;
      for (let q = from; q < to; q++) {
        const p = pairList[q];
        const g = assign[p];
        this.log(p, g);
        const o = origin[(p / k) | 0];
        pairsOn[base + g]--;
        if (o !== g) {
          if (nodeOf[o] === nodeOf[g]) {
            nvSend[base + o]--;
            nvRecv[base + g]--;
          } else {
            netSend[base + o]--;
            netRecv[base + g]--;
          }
        }
        if (stamp[g] !== epoch) {
          stamp[g] = epoch;
          distinctOn[base + g]--;
        }
      }
      epoch = ++this.epoch;
      for (let q = from; q < to; q++) {
        const p = pairList[q];
        const t = (p / k) | 0;
        const o = origin[t];
        const g = cc === 1 ? single : isStatic ? staticMap[e * G + o] : copies[e * G + ((localPos[t] * k + (p - t * k)) % cc)];
        assign[p] = g;
        pairsOn[base + g]++;
        if (o !== g) {
          if (nodeOf[o] === nodeOf[g]) {
            nvSend[base + o]++;
            nvRecv[base + g]++;
          } else {
            netSend[base + o]++;
            netRecv[base + g]++;
          }
        }
        if (stamp[g] !== epoch) {
          stamp[g] = epoch;
          distinctOn[base + g]++;
        }
      }
    }
  }

  /** Balanced dispatch: the whole batch re-balanced (exact: what a fresh evaluation does). */
  private rebalanceBatch(b: number): void {
    if (this.batchMark[b] === this.batchEpoch) return; // already re-balanced in this probe
    this.touch(b);
    this.openGroup(true);
    const G = this.gpus;
    const { origin } = this.samples;
    const k = this.k;
    const p0 = b * this.pairsPerBatch;
    for (let p = p0; p < p0 + this.pairsPerBatch; p++) {
      this.log(p, this.assign[p]);
      this.place(b, origin[(p / k) | 0], this.assign[p], -1);
    }
    this.distinctOn.fill(0, b * G, (b + 1) * G);
    if (this.batch === 1) this.matchToken(b);
    else this.balanceBatch(b);
  }

  // --- per batch -------------------------------------------------------------

  /** Adds (sign 1) or removes (−1) one pair from origin o served on g. */
  private place(b: number, o: number, g: number, sign: number): void {
    const G = this.gpus;
    this.pairsOn[b * G + g] += sign;
    if (o === g) return;
    if (this.nodeOf[o] === this.nodeOf[g]) {
      this.nvSend[b * G + o] += sign;
      this.nvRecv[b * G + g] += sign;
    } else {
      this.netSend[b * G + o] += sign;
      this.netRecv[b * G + g] += sign;
    }
  }

  private gpuTime(i: number): number {
    return Math.max(this.distinctOn[i] * this.costs.readS, this.pairsOn[i] * this.costs.mathS);
  }

  private linkTime(i: number): number {
    return this.linkTimeWith(i, 0, 0, 0, 0);
  }

  /** One GPU's all-to-all seconds with extra messages added. */
  private linkTimeWith(i: number, nvS: number, nvR: number, netS: number, netR: number): number {
    const c = this.costs;
    const nv = Math.max(this.nvSend[i] + nvS, this.nvRecv[i] + nvR);
    const net = Math.max(this.netSend[i] + netS, this.netRecv[i] + netR);
    const tNv = nv > 0 ? c.nvlink.latencyS + nv * c.messageBytes * c.nvlink.secondsPerByte : 0;
    const tNet = net > 0 ? c.network.latencyS + net * c.messageBytes * c.network.secondsPerByte : 0;
    return tNv > tNet ? tNv : tNet;
  }

  private refreshBatch(b: number): void {
    const G = this.gpus;
    let compute = 0;
    let link = 0;
    if (this.sparse) {
      // Only the GPUs the batch's pairs went to, and its tokens' own GPUs, hold anything.
      const p0 = b * this.pairsPerBatch;
      for (let p = p0; p < p0 + this.pairsPerBatch; p++) {
        const i = b * G + this.assign[p];
        const t = this.gpuTime(i);
        if (t > compute) compute = t;
        const l = this.linkTime(i);
        if (l > link) link = l;
      }
      for (let t = b * this.batch; t < (b + 1) * this.batch; t++) {
        const l = this.linkTime(b * G + this.samples.origin[t]);
        if (l > link) link = l;
      }
    } else {
      for (let g = 0; g < G; g++) {
        const t = this.gpuTime(b * G + g);
        if (t > compute) compute = t;
        const l = this.linkTime(b * G + g);
        if (l > link) link = l;
      }
    }
    this.computeMax[b] = compute;
    this.linkMax[b] = link;
    this.stepOf[b] = compute + this.sharedS + 2 * link;
  }

  /** Whether a probe is pending (for assertions in callers). */
  get pending(): boolean {
    return this.probing;
  }
}
