// The paging replay: steps (one layer of one batch) in order, through one
// expert cache per GPU, with a time model per step.
//
// Time of a step on one GPU (see docs/paging.md):
//   - an expert run on n tokens costs c(n) = max(bytes / HBM, n · FLOP / FLOP/s)
//     (roofline: memory-bound at small n);
//   - a miss costs x = PCIe latency + bytes / PCIe bandwidth on the GPU's link,
//     transfers back to back from the start of the step;
//   - resident experts run first, then each missed expert as soon as it has
//     arrived and the GPU is free: f = Σ c(hits); for miss i: f = max(f, i·x) + c.
// A step lasts as long as its slowest GPU. With prefetch on, each GPU's link
// then spends the rest of the step (after its demand transfers) loading the
// next layer's most likely experts: ⌊(T_step − misses·x) / x⌋ of them at most,
// whole transfers only, never evicting an entry locked by the step or an entry
// of the layer being prefetched.
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
    const lists: number[] = [];
    for (let g = 0; g < G; g++) {
      for (let l = 0; l < L; l++) {
        pfStart[g * L + l] = lists.length;
        for (const e of order[l]) {
          const id = l * E + e;
          if (owner[id] === g && !pinned[id]) lists.push(id);
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
  const finish = new Float64Array(G);
  const resident = new Float64Array(G);
  const missN = new Int32Array(G);
  let maxStep = 0;
  for (let s = 0; s < steps; s++) maxStep = Math.max(maxStep, offsets[s + 1] - offsets[s]);
  const wasHit = new Uint8Array(maxStep);
  let bypasses = 0;

  for (let s = 0; s < steps; s++) {
    const l = s % L;
    const a0 = offsets[s];
    const a1 = offsets[s + 1];
    finish.fill(0);
    resident.fill(0);
    missN.fill(0);
    // Pass 1: hits run first; every id of the step gets locked.
    for (let i = a0; i < a1; i++) {
      const id = ids[i];
      const g = owner[id];
      const n = counts[i];
      const c = n * flopS > memS ? n * flopS : memS;
      resident[g] += c;
      if (pinned[id]) {
        wasHit[i - a0] = 1;
        finish[g] += c;
      } else {
        const cache = caches[g];
        if (cache.resident[id]) {
          cache.touch(id, s);
          wasHit[i - a0] = 1;
          finish[g] += c;
          if (prefetched[id]) {
            prefetched[id] = 0;
            prefetchHits[l]++;
          }
        } else {
          wasHit[i - a0] = 0;
        }
      }
    }
    // Pass 2: misses are loaded over PCIe and run as they arrive.
    let stepHits = 0;
    for (let i = a0; i < a1; i++) {
      if (wasHit[i - a0]) {
        stepHits++;
        continue;
      }
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
      const m = ++missN[g];
      const n = counts[i];
      const c = n * flopS > memS ? n * flopS : memS;
      const arrive = m * transferS;
      finish[g] = (finish[g] > arrive ? finish[g] : arrive) + c;
    }
    const stepMisses = a1 - a0 - stepHits;
    hits[l] += stepHits;
    misses[l] += stepMisses;
    bytes[l] += stepMisses * bytesPerExpert;
    let stepTime = 0;
    let stepResident = 0;
    for (let g = 0; g < G; g++) {
      if (finish[g] > stepTime) stepTime = finish[g];
      if (resident[g] > stepResident) stepResident = resident[g];
    }
    timeS[l] += stepTime;
    residentTimeS[l] += stepResident;

    // Prefetch the next layer's likely experts in the link's idle time.
    if (prefetchLimit > 0) {
      const nl = l + 1 === L ? 0 : l + 1;
      for (let g = 0; g < G; g++) {
        const cache = caches[g];
        if (cache.capacity === 0) continue;
        const idle = stepTime - missN[g] * transferS;
        let budget = transferS > 0 ? Math.floor(idle / transferS + 1e-9) : prefetchLimit;
        if (budget > prefetchLimit) budget = prefetchLimit;
        const p1 = pfStart[g * L + nl + 1];
        for (let p = pfStart[g * L + nl]; p < p1 && budget > 0; p++) {
          const id = pfIds[p];
          if (cache.resident[id]) continue;
          if (cache.size >= cache.capacity) {
            const v = cache.victim(s, l, nl);
            if (v < 0) break;
            cache.remove(v);
            prefetched[v] = 0;
          }
          cache.insert(id, s, nextStepOf ? nextStepOf[id] : 0);
          prefetched[id] = 1;
          prefetches[nl]++;
          bytes[nl] += bytesPerExpert;
          budget--;
        }
      }
    }
    // Belady: ids used in this step now wait for their next use.
    if (nextOf && nextStepOf) {
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
  if (cfg.prefetchLimit !== undefined && !(Number.isInteger(cfg.prefetchLimit) && cfg.prefetchLimit >= 0)) {
    throw new PagingError(`prefetch limit must be a whole number ≥ 0, got ${cfg.prefetchLimit}`);
  }
}
