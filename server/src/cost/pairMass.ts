// Pair co-activation mass of a layer's routing distribution: how often two
// experts are chosen together. The greedy's first placement, the analysis'
// partner lists and the colocation bound (r = 2) all read it; memoised per
// distribution so one layer computes it once.
import type { LayerDistribution } from '../workload/types';

const pairCache = new WeakMap<LayerDistribution, Float64Array>();

/** Pair co-activation mass: co[a * n + b] = Σ weights of subsets holding a and b (memoised; do not modify). */
export function pairMass(dist: LayerDistribution): Float64Array {
  const hit = pairCache.get(dist);
  if (hit) return hit;
  const co = computePairMass(dist);
  pairCache.set(dist, co);
  return co;
}

function computePairMass(dist: LayerDistribution): Float64Array {
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
  return co;
}
