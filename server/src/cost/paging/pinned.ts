// Which expert-layers stay pinned in GPU memory. Greedy on
//   Σ_{e pinned} load(e)  +  Σ_S p(S)·[every expert of S pinned]
// per token: the first term counts accesses that never miss, the second the
// token-layers that run without waiting on PCIe at all (co-activation: two
// experts that fire together are worth more pinned together). Each round pins
// the expert-layer with the largest marginal gain; gains only grow, so an
// indexed max-heap with key increases keeps it O((N + Σ|S|) log N).
import type { LayerDistribution } from '../../workload/types';
import { IndexedMaxHeap } from './indexedHeap';
import { PagingError } from './types';

interface PinOptions {
  /** Only ids with eligible[id] = 1 may be pinned (e.g. those a GPU owns). */
  eligible?: Uint8Array;
}

/**
 * Choose `slots` expert-layer ids (layer · experts + expert) to pin, from the
 * workload's per-layer subset distributions. Returns them in the order chosen.
 */
export function choosePinned(workload: { layers: LayerDistribution[] }, slots: number, options: PinOptions = {}): Int32Array {
  const layers = workload.layers;
  if (!Number.isInteger(slots) || slots < 0) {
    throw new PagingError(`slots to pin must be a whole number ≥ 0, got ${slots}`);
  }
  if (layers.length === 0 || slots === 0) return new Int32Array(0);
  const E = layers[0].experts;
  for (const d of layers) {
    if (d.experts !== E) {
      throw new PagingError(`layer ${d.layer} has ${d.experts} experts but layer ${layers[0].layer} has ${E}`);
    }
  }
  const L = layers.length;
  const N = L * E;
  const eligible = options.eligible;

  // Subsets of all layers, flattened; members as global ids.
  let subsetCount = 0;
  for (const d of layers) subsetCount += d.count;
  const sStart = new Int32Array(subsetCount + 1);
  const sWeight = new Float64Array(subsetCount);
  const memberCount = layers.reduce((a, d) => a + d.count * d.k, 0);
  const members = new Int32Array(memberCount);
  const gain = new Float64Array(N);
  let si = 0;
  let mi = 0;
  for (let l = 0; l < L; l++) {
    const d = layers[l];
    const total = d.total > 0 ? d.total : 1;
    for (let s = 0; s < d.count; s++) {
      sStart[si] = mi;
      const w = d.weights[s] / total;
      sWeight[si] = w;
      const seen = mi;
      for (let j = 0; j < d.k; j++) {
        const id = l * E + d.ids[s * d.k + j];
        let dup = false;
        for (let q = seen; q < mi; q++) if (members[q] === id) dup = true;
        if (dup) continue;
        members[mi++] = id;
        gain[id] += w;
      }
      if (mi - seen === 1) gain[members[seen]] += w; // a one-expert subset completes at once
      si++;
    }
  }
  sStart[subsetCount] = mi;

  // Expert → subsets it belongs to (CSR).
  const eStart = new Int32Array(N + 1);
  for (let s = 0; s < subsetCount; s++) for (let q = sStart[s]; q < sStart[s + 1]; q++) eStart[members[q] + 1]++;
  for (let id = 0; id < N; id++) eStart[id + 1] += eStart[id];
  const fill = eStart.slice(0, N);
  const eSubsets = new Int32Array(mi);
  for (let s = 0; s < subsetCount; s++) for (let q = sStart[s]; q < sStart[s + 1]; q++) eSubsets[fill[members[q]]++] = s;

  const missing = new Int32Array(subsetCount);
  for (let s = 0; s < subsetCount; s++) missing[s] = sStart[s + 1] - sStart[s];
  const isPinned = new Uint8Array(N);
  const heap = new IndexedMaxHeap(N);
  // Unused experts still get a tiny key so ties break towards lower ids.
  for (let id = 0; id < N; id++) if (!eligible || eligible[id]) heap.push(id, gain[id] - id * 1e-12);

  const chosen: number[] = [];
  while (chosen.length < slots && heap.size > 0) {
    const id = heap.pop();
    isPinned[id] = 1;
    chosen.push(id);
    for (let q = eStart[id]; q < eStart[id + 1]; q++) {
      const s = eSubsets[q];
      if (--missing[s] !== 1) continue;
      // One member left: pinning it completes the subset.
      for (let r = sStart[s]; r < sStart[s + 1]; r++) {
        const f = members[r];
        if (!isPinned[f]) {
          if (heap.has(f)) heap.set(f, heap.key[f] + sWeight[s]);
          break;
        }
      }
    }
  }
  return Int32Array.from(chosen);
}
