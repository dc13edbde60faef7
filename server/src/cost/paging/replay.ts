// The paging replay: steps (one layer of one batch) in order, through one
// expert cache per GPU, with a time model per step (docs/paging.md).
//
//   - An expert run on n tokens costs c(n) = max(bytes / HBM, n · FLOP / FLOP/s)
//     (roofline: memory-bound at small n).
//   - Each GPU has its own host link; a transfer takes x = PCIe latency +
//     bytes / PCIe bandwidth, one at a time, first come first served.
//   - A step starts when the previous one ends (the slowest GPU). Resident
//     experts run first; each other expert runs once it has arrived and the
//     GPU is free: f = T0 + Σ c(ready); then for each arrival a in link order,
//     f = max(f, a) + c. A missed expert's transfer starts at
//     max(T0, when the link is free).
//   - Prefetch (when on): whenever a GPU's link would sit idle before the step
//     ends, it starts loading the next layer's most likely expert that is not
//     resident, among those used in at least `prefetchMinShare` of the layer's
//     steps. The transfer may run past the step's end: if the next layer
//     uses the expert it waits only for the rest of the transfer (a late hit);
//     if not, the next layer's own misses queue behind it — a wrong guess
//     costs time. A prefetch evicts like a miss, but never an entry the step
//     is using nor one of the layer being prefetched.
import { ExpertCaches, RECORD } from './caches';
import { nextUses, type NextUses } from './nextUse';
import { accessCounts, type StepStream } from './steps';
import { PagingError, type ReplayConfig, type ReplayResult } from './types';

// Typed arrays and one cache object for all GPUs, nothing allocated per
// step. The steps run in chunks, each a call of StepRunner.run: V8 runs a
// long loop entered once through on-stack replacement, which on Node 20 kept
// the loop's numbers boxed and ran the replay about 5× slower than the same
// loop in a function called many times.
const CHUNK_STEPS = 512;

export function replay(stream: StepStream, cfg: ReplayConfig): ReplayResult {
  const started = performance.now();
  const { steps, layers: L, experts: E, offsets, ids } = stream;
  const N = L * E;
  const G = cfg.capacity.length;
  checkConfig(cfg, N);
  const owner = cfg.owner ?? new Int32Array(N);
  const pinned = cfg.pinned ?? new Uint8Array(N);

  const pinnedPerGpu = new Int32Array(G);
  for (let id = 0; id < N; id++) {
    const g = owner[id];
    if (!(g >= 0 && g < G)) {
      throw new PagingError(`expert ${id % E} of layer ${(id / E) | 0} is owned by GPU ${g}, but there are ${G} GPUs`);
    }
    if (pinned[id]) pinnedPerGpu[g]++;
  }
  const free = new Int32Array(G);
  for (let g = 0; g < G; g++) {
    if (pinnedPerGpu[g] > cfg.capacity[g]) {
      throw new PagingError(`GPU ${g} pins ${pinnedPerGpu[g]} expert-layers but has only ${cfg.capacity[g]} slots; pin fewer experts`);
    }
    free[g] = cfg.capacity[g] - pinnedPerGpu[g];
  }

  const uses = cfg.policy === 'belady' ? nextUses(stream) : undefined;
  const caches = new ExpertCaches(cfg.policy, free, owner, pinned, L, E, uses);

  // Prefetch candidates per (GPU, layer): owned, not pinned, most likely first.
  const pfStart = new Int32Array(G * L + 1);
  let pfIds = new Int32Array(0);
  let prefetchLimit = 0;
  if (cfg.prefetch) {
    const usage = accessCounts(stream);
    const minUses = (cfg.prefetchMinShare ?? 0.5) * (steps / L);
    const order = cfg.prefetchOrder ?? defaultOrder(usage, L, E, minUses);
    const lists: number[] = [];
    for (let g = 0; g < G; g++) {
      for (let l = 0; l < L; l++) {
        pfStart[g * L + l] = lists.length;
        for (const e of order[l]) {
          const id = l * E + e;
          if (owner[id] === g && !pinned[id] && usage[id] >= minUses) lists.push(id);
        }
      }
    }
    pfStart[G * L] = lists.length;
    pfIds = Int32Array.from(lists);
    prefetchLimit = cfg.prefetchLimit ?? Math.max(1, Math.ceil(ids.length / Math.max(1, steps) / G));
  }

  let maxStep = 0;
  for (let s = 0; s < steps; s++) maxStep = Math.max(maxStep, offsets[s + 1] - offsets[s]);
  const runner = new StepRunner(stream, cfg, caches, uses, pfStart, pfIds, prefetchLimit, maxStep);
  for (let s = 0; s < steps; s += CHUNK_STEPS) runner.run(s, Math.min(steps, s + CHUNK_STEPS));

  return {
    policy: cfg.policy,
    tokens: stream.tokens,
    steps,
    layers: L,
    hits: runner.hits,
    misses: runner.misses,
    bytes: runner.bytes,
    prefetches: runner.prefetches,
    prefetchHits: runner.prefetchHits,
    timeS: runner.timeS,
    residentTimeS: runner.residentTimeS,
    bypasses: runner.bypasses,
    ms: performance.now() - started,
  };
}

/** The replay's state between chunks of steps, and the loop over them. */
class StepRunner {
  readonly hits: Float64Array;
  readonly misses: Float64Array;
  readonly bytes: Float64Array;
  readonly prefetches: Float64Array;
  readonly prefetchHits: Float64Array;
  readonly timeS: Float64Array;
  readonly residentTimeS: Float64Array;
  bypasses = 0;
  private clock = 0;
  /** When a prefetched expert-layer arrives (or arrived), absolute seconds. */
  private readonly readyAt: Float64Array;
  private readonly linkFree: Float64Array;
  private readonly finish: Float64Array;
  private readonly resident: Float64Array;
  /** This step's misses and late hits (prefetches still in flight), as access indices. */
  private readonly missList: Int32Array;
  private readonly late: Int32Array;
  private readonly transferS: number;
  private readonly memS: number;
  private readonly flopS: number;
  private readonly bytesPerExpert: number;
  /** Belady: per access, the step of its id's next use. */
  private readonly nextOf: Int32Array;
  private readonly belady: boolean;

  constructor(
    private readonly stream: StepStream,
    cfg: ReplayConfig,
    private readonly caches: ExpertCaches,
    uses: NextUses | undefined,
    private readonly pfStart: Int32Array,
    private readonly pfIds: Int32Array,
    private readonly prefetchLimit: number,
    maxStep: number,
  ) {
    const L = stream.layers;
    const G = cfg.capacity.length;
    this.hits = new Float64Array(L);
    this.misses = new Float64Array(L);
    this.bytes = new Float64Array(L);
    this.prefetches = new Float64Array(L);
    this.prefetchHits = new Float64Array(L);
    this.timeS = new Float64Array(L);
    this.residentTimeS = new Float64Array(L);
    this.readyAt = new Float64Array(L * stream.experts);
    this.linkFree = new Float64Array(G);
    this.finish = new Float64Array(G);
    this.resident = new Float64Array(G);
    this.missList = new Int32Array(maxStep);
    this.late = new Int32Array(maxStep);
    const hw = cfg.hardware;
    this.bytesPerExpert = hw.bytesPerExpert;
    this.transferS = hw.pcieLatencyS + hw.bytesPerExpert / hw.pcieBytesPerS;
    this.memS = hw.bytesPerExpert / hw.hbmBytesPerS;
    this.flopS = hw.flopsPerTokenPerExpert / hw.flops;
    this.belady = uses !== undefined;
    this.nextOf = uses?.next ?? new Int32Array(0);
  }

  /** Steps s0 .. s1-1, in order. */
  run(s0: number, s1: number): void {
    const { layers: L, offsets, ids, counts } = this.stream;
    const G = this.finish.length;
    const { caches, readyAt, linkFree, finish, resident, missList, late } = this;
    const { hits, misses, bytes, prefetches, prefetchHits, timeS, residentTimeS, pfStart, pfIds, prefetchLimit } = this;
    const { transferS, memS, flopS, bytesPerExpert, belady, nextOf } = this;
    // Records: 4 Int32 slots per id, from id << 2 (caches.ts).
    const { META, NEXT_USE, PINNED, CACHED, PREFETCHED, OWNER_SHIFT, OWNER_MASK } = RECORD;
    const rec = caches.rec;
    const size = caches.size;
    const capacity = caches.capacity;
    let clock = this.clock;
    let bypasses = this.bypasses;
    let l = s0 % L;

    for (let s = s0; s < s1; s++, l = l + 1 === L ? 0 : l + 1) {
      const a0 = offsets[s];
      const a1 = offsets[s + 1];
      const T0 = clock;
      caches.now = s;
      for (let g = 0; g < G; g++) {
        finish[g] = T0;
        resident[g] = 0;
      }
      // Pass 1: hits run at once; every cached id of the step gets locked.
      // Only a prefetch can still be in flight: any other cached expert
      // arrived during an earlier step, so before T0.
      let nMiss = 0;
      let nLate = 0;
      for (let i = a0; i < a1; i++) {
        const id = ids[i];
        const meta = rec[(id << 2) + META];
        const g = (meta >>> OWNER_SHIFT) & OWNER_MASK;
        const n = counts[i];
        const c = n * flopS > memS ? n * flopS : memS;
        resident[g] += c;
        if ((meta & PINNED) !== 0) finish[g] += c;
        else if ((meta & CACHED) !== 0) {
          caches.touch(id, s);
          if ((meta & PREFETCHED) === 0 || readyAt[id] <= T0) finish[g] += c;
          else late[nLate++] = i;
          if ((meta & PREFETCHED) !== 0) {
            rec[(id << 2) + META] = meta & ~PREFETCHED;
            prefetchHits[l]++;
          }
        } else missList[nMiss++] = i;
      }
      const stepHits = a1 - a0 - nMiss;
      // Prefetched experts still in flight, in arrival order (stable).
      if (nLate > 0) {
        for (let x = 1; x < nLate; x++) {
          const i = late[x];
          const ready = readyAt[ids[i]];
          let y = x;
          while (y > 0 && readyAt[ids[late[y - 1]]] > ready) {
            late[y] = late[y - 1];
            y--;
          }
          late[y] = i;
        }
        for (let x = 0; x < nLate; x++) {
          const i = late[x];
          const id = ids[i];
          const g = (rec[(id << 2) + META] >>> OWNER_SHIFT) & OWNER_MASK;
          const n = counts[i];
          const c = n * flopS > memS ? n * flopS : memS;
          const a = readyAt[id];
          finish[g] = (finish[g] > a ? finish[g] : a) + c;
        }
      }
      // Pass 2: misses are loaded over the link and run as they arrive.
      for (let x = 0; x < nMiss; x++) {
        const i = missList[x];
        const id = ids[i];
        const g = (rec[(id << 2) + META] >>> OWNER_SHIFT) & OWNER_MASK;
        let keep = capacity[g] > 0;
        if (keep && size[g] >= capacity[g]) {
          const v = caches.victim(g, s, l, -1);
          if (v >= 0) caches.remove(v);
          else keep = false;
        }
        if (keep) caches.insert(id, s, -1);
        else bypasses++;
        const start = linkFree[g] > T0 ? linkFree[g] : T0;
        const arrive = start + transferS;
        linkFree[g] = arrive;
        const n = counts[i];
        const c = n * flopS > memS ? n * flopS : memS;
        finish[g] = (finish[g] > arrive ? finish[g] : arrive) + c;
      }
      hits[l] += stepHits;
      misses[l] += nMiss;
      bytes[l] += nMiss * bytesPerExpert;
      let end = T0;
      let stepResident = 0;
      for (let g = 0; g < G; g++) {
        if (finish[g] > end) end = finish[g];
        if (resident[g] > stepResident) stepResident = resident[g];
      }
      timeS[l] += end - T0;
      residentTimeS[l] += stepResident;
      clock = end;

      // Prefetch the next layer's likely experts while the link would idle.
      if (prefetchLimit > 0) {
        const nl = l + 1 === L ? 0 : l + 1;
        for (let g = 0; g < G; g++) {
          if (capacity[g] === 0) continue;
          let linkAt = linkFree[g] > T0 ? linkFree[g] : T0;
          let budget = prefetchLimit;
          const p1 = pfStart[g * L + nl + 1];
          for (let p = pfStart[g * L + nl]; p < p1 && budget > 0 && linkAt < end; p++) {
            const id = pfIds[p];
            const r = id << 2;
            if ((rec[r + META] & CACHED) !== 0) continue;
            if (size[g] >= capacity[g]) {
              const v = caches.victim(g, s, l, nl);
              if (v < 0) break;
              caches.remove(v);
            }
            caches.insert(id, s, belady ? rec[r + NEXT_USE] : -1);
            linkAt += transferS;
            readyAt[id] = linkAt;
            rec[r + META] |= PREFETCHED;
            prefetches[nl]++;
            bytes[nl] += bytesPerExpert;
            budget--;
          }
          linkFree[g] = linkAt;
        }
      }
      // Belady: ids used in this step now wait for their next use.
      if (belady) caches.settleStep(ids, nextOf, a0, a1);
    }
    this.clock = clock;
    this.bypasses = bypasses;
  }
}

/**
 * Expert ids of each layer by how often the stream uses them, most first
 * (ties: lower id); only those used at least `minUses` times (the rest are
 * never prefetched, and sorting all of them cost more than the replay of a
 * short trace).
 */
function defaultOrder(usage: Float64Array, layers: number, experts: number, minUses = 0): Int32Array[] {
  const out: Int32Array[] = [];
  const chosen: number[] = [];
  for (let l = 0; l < layers; l++) {
    chosen.length = 0;
    for (let e = 0; e < experts; e++) if (usage[l * experts + e] >= minUses) chosen.push(e);
    chosen.sort((a, b) => usage[l * experts + b] - usage[l * experts + a] || a - b);
    out.push(Int32Array.from(chosen));
  }
  return out;
}

function checkConfig(cfg: ReplayConfig, universe: number): void {
  if (cfg.capacity.length === 0) throw new PagingError('paging needs at least one GPU');
  cfg.capacity.forEach((c, g) => {
    if (!Number.isInteger(c) || c < 0) {
      throw new PagingError(`GPU ${g}: expert slots must be a whole number ≥ 0, got ${c}`);
    }
  });
  const hw = cfg.hardware;
  const positive: [string, number][] = [
    ['bytes per expert', hw.bytesPerExpert],
    ['HBM bandwidth', hw.hbmBytesPerS],
    ['GPU FLOP/s', hw.flops],
    ['PCIe bandwidth', hw.pcieBytesPerS],
  ];
  for (const [name, v] of positive) {
    if (!(v > 0) || !Number.isFinite(v)) {
      throw new PagingError(`${name} must be a positive number, got ${v}; set it in the plan's hardware`);
    }
  }
  if (!(hw.pcieLatencyS >= 0) || !Number.isFinite(hw.pcieLatencyS)) {
    throw new PagingError(`PCIe latency must be ≥ 0, got ${hw.pcieLatencyS}`);
  }
  if (!(hw.flopsPerTokenPerExpert >= 0)) {
    throw new PagingError(`FLOP per token per expert must be ≥ 0, got ${hw.flopsPerTokenPerExpert}`);
  }
  if (cfg.owner && cfg.owner.length !== universe) {
    throw new PagingError(`owner map has ${cfg.owner.length} entries, expected layers × experts = ${universe}`);
  }
  if (cfg.pinned && cfg.pinned.length !== universe) {
    throw new PagingError(`pinned map has ${cfg.pinned.length} entries, expected layers × experts = ${universe}`);
  }
  if (cfg.prefetchMinShare !== undefined && !(cfg.prefetchMinShare >= 0 && cfg.prefetchMinShare <= 1)) {
    throw new PagingError(`prefetch threshold must be a share between 0 and 1, got ${cfg.prefetchMinShare}`);
  }
  if (cfg.prefetchLimit !== undefined && !(Number.isInteger(cfg.prefetchLimit) && cfg.prefetchLimit >= 0)) {
    throw new PagingError(`prefetch limit must be a whole number ≥ 0, got ${cfg.prefetchLimit}`);
  }
}
