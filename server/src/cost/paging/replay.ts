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
import { makeCache, type ExpertCache } from './caches';
import { accessCounts, nextUses, type StepStream } from './steps';
import { PagingError, type ReplayConfig, type ReplayResult } from './types';

export function replay(stream: StepStream, cfg: ReplayConfig): ReplayResult {
  const started = performance.now();
  const { steps, layers: L, experts: E, offsets, ids, counts } = stream;
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
  const caches: ExpertCache[] = [];
  for (let g = 0; g < G; g++) {
    if (pinnedPerGpu[g] > cfg.capacity[g]) {
      throw new PagingError(
        `GPU ${g} pins ${pinnedPerGpu[g]} expert-layers but has only ${cfg.capacity[g]} slots; pin fewer experts`,
      );
    }
    caches.push(makeCache(cfg.policy, cfg.capacity[g] - pinnedPerGpu[g], L, E));
  }

  const hw = cfg.hardware;
  const bytesPerExpert = hw.bytesPerExpert;
  const transferS = hw.pcieLatencyS + bytesPerExpert / hw.pcieBytesPerS;
  const memS = bytesPerExpert / hw.hbmBytesPerS;
  const flopS = hw.flopsPerTokenPerExpert / hw.flops;

  const belady = cfg.policy === 'belady';
  let nextOf: Int32Array | undefined;
  let nextStepOf: Int32Array | undefined;
  if (belady) {
    const nu = nextUses(stream);
    nextOf = nu.next;
    nextStepOf = nu.first;
  }

  // Prefetch candidates per (GPU, layer): owned, not pinned, most likely first.
  const usage = cfg.prefetch ? accessCounts(stream) : undefined;
  const pfStart = new Int32Array(G * L + 1);
  let pfIds = new Int32Array(0);
  let prefetchLimit = 0;
  if (cfg.prefetch && usage) {
    const order = cfg.prefetchOrder ?? defaultOrder(usage, L, E);
    const minUses = (cfg.prefetchMinShare ?? 0.5) * (steps / L);
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

  const hits = new Float64Array(L);
  const misses = new Float64Array(L);
  const bytes = new Float64Array(L);
  const prefetches = new Float64Array(L);
  const prefetchHits = new Float64Array(L);
  const timeS = new Float64Array(L);
  const residentTimeS = new Float64Array(L);
  const prefetched = new Uint8Array(N);
  /** When each cached expert-layer has arrived (or will), absolute seconds. */
  const readyAt = new Float64Array(N);
  const linkFree = new Float64Array(G);
  const finish = new Float64Array(G);
  const resident = new Float64Array(G);
  let maxStep = 0;
  for (let s = 0; s < steps; s++) maxStep = Math.max(maxStep, offsets[s + 1] - offsets[s]);
  /** Per access of the step: 0 miss, 1 ready hit, 2 hit still in flight. */
  const kind = new Uint8Array(maxStep);
  const late: number[] = [];
  let bypasses = 0;
  let clock = 0;

  for (let s = 0; s < steps; s++) {
    const l = s % L;
    const a0 = offsets[s];
    const a1 = offsets[s + 1];
    const T0 = clock;
    for (let g = 0; g < G; g++) {
      finish[g] = T0;
      resident[g] = 0;
    }
    // Pass 1: hits; every id of the step gets locked.
    let stepHits = 0;
    for (let i = a0; i < a1; i++) {
      const id = ids[i];
      const g = owner[id];
      const n = counts[i];
      const c = n * flopS > memS ? n * flopS : memS;
      resident[g] += c;
      let k = 0;
      if (pinned[id]) k = 1;
      else {
        const cache = caches[g];
        if (cache.resident[id]) {
          cache.touch(id, s);
          k = readyAt[id] <= T0 ? 1 : 2;
          if (prefetched[id]) {
            prefetched[id] = 0;
            prefetchHits[l]++;
          }
        }
      }
      kind[i - a0] = k;
      if (k === 1) finish[g] += c;
      else if (k === 2) late.push(i);
      if (k !== 0) stepHits++;
    }
    // Prefetched experts still in flight, in arrival order.
    if (late.length > 0) {
      late.sort((x, y) => readyAt[ids[x]] - readyAt[ids[y]]);
      for (const i of late) {
        const id = ids[i];
        const g = owner[id];
        const n = counts[i];
        const c = n * flopS > memS ? n * flopS : memS;
        const a = readyAt[id];
        finish[g] = (finish[g] > a ? finish[g] : a) + c;
      }
      late.length = 0;
    }
    // Pass 2: misses are loaded over the link and run as they arrive.
    if (stepHits < a1 - a0) {
      for (let i = a0; i < a1; i++) {
        if (kind[i - a0] !== 0) continue;
        const id = ids[i];
        const g = owner[id];
        const cache = caches[g];
        let cached = cache.capacity > 0;
        if (cached && cache.size >= cache.capacity) {
          const v = cache.victim(s, l, -1);
          if (v >= 0) {
            cache.remove(v);
            prefetched[v] = 0;
          } else cached = false;
        }
        if (cached) cache.insert(id, s, s);
        else bypasses++;
        const start = linkFree[g] > T0 ? linkFree[g] : T0;
        const arrive = start + transferS;
        linkFree[g] = arrive;
        readyAt[id] = arrive;
        const n = counts[i];
        const c = n * flopS > memS ? n * flopS : memS;
        finish[g] = (finish[g] > arrive ? finish[g] : arrive) + c;
      }
    }
    const stepMisses = a1 - a0 - stepHits;
    hits[l] += stepHits;
    misses[l] += stepMisses;
    bytes[l] += stepMisses * bytesPerExpert;
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
        const cache = caches[g];
        if (cache.capacity === 0) continue;
        let free = linkFree[g] > T0 ? linkFree[g] : T0;
        let budget = prefetchLimit;
        const p1 = pfStart[g * L + nl + 1];
        for (let p = pfStart[g * L + nl]; p < p1 && budget > 0 && free < end; p++) {
          const id = pfIds[p];
          if (cache.resident[id]) continue;
          if (cache.size >= cache.capacity) {
            const v = cache.victim(s, l, nl);
            if (v < 0) break;
            cache.remove(v);
            prefetched[v] = 0;
          }
          cache.insert(id, s, nextStepOf ? nextStepOf[id] : 0);
          free += transferS;
          readyAt[id] = free;
          prefetched[id] = 1;
          prefetches[nl]++;
          bytes[nl] += bytesPerExpert;
          budget--;
        }
        linkFree[g] = free;
      }
    }
    // Belady: ids used in this step now wait for their next use.
    if (nextOf !== undefined && nextStepOf !== undefined) {
      for (let i = a0; i < a1; i++) {
        const id = ids[i];
        const nx = nextOf[i];
        nextStepOf[id] = nx;
        if (!pinned[id]) {
          const cache = caches[owner[id]];
          if (cache.resident[id]) cache.settle(id, nx);
        }
      }
    }
  }

  return {
    policy: cfg.policy,
    tokens: stream.tokens,
    steps,
    layers: L,
    hits,
    misses,
    bytes,
    prefetches,
    prefetchHits,
    timeS,
    residentTimeS,
    bypasses,
    ms: performance.now() - started,
  };
}

/** Expert ids of each layer by how often the stream uses them, most first. */
export function defaultOrder(usage: Float64Array, layers: number, experts: number): Int32Array[] {
  const out: Int32Array[] = [];
  for (let l = 0; l < layers; l++) {
    const ord = Array.from({ length: experts }, (_, e) => e);
    ord.sort((a, b) => usage[l * experts + b] - usage[l * experts + a] || a - b);
    out.push(Int32Array.from(ord));
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
