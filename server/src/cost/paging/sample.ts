// A token order for workloads that carry only subset statistics (e.g. SGLang
// expert counts): each token draws its subset in each layer independently,
// with the workload's probabilities. No temporal locality, so caches see the
// worst case for that distribution; the note says so.
import type { LayerDistribution, TokenSequence } from '../../workload/types';
import { Rng } from '../../workload/random';
import { PagingError } from './types';

export function sampleSequence(layers: LayerDistribution[], tokens: number, seed: number): TokenSequence {
  if (layers.length === 0) throw new PagingError('the workload has no layers to sample a token order from');
  if (!Number.isInteger(tokens) || tokens < 1) {
    throw new PagingError(`tokens to sample must be a whole number ≥ 1, got ${tokens}`);
  }
  const k = Math.max(...layers.map((d) => d.k));
  const L = layers.length;
  const ids = new Int32Array(tokens * L * k);
  const rng = new Rng(seed);
  const cumulative = layers.map((d) => {
    const c = new Float64Array(d.count);
    let acc = 0;
    for (let i = 0; i < d.count; i++) c[i] = acc += d.weights[i];
    if (!(acc > 0)) throw new PagingError(`layer ${d.layer} has no routing mass to sample from`);
    return c;
  });
  for (let t = 0; t < tokens; t++) {
    for (let l = 0; l < L; l++) {
      const d = layers[l];
      const c = cumulative[l];
      const u = rng.next() * c[c.length - 1];
      let lo = 0;
      let hi = c.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (c[mid] > u) hi = mid;
        else lo = mid + 1;
      }
      const off = (t * L + l) * k;
      for (let j = 0; j < k; j++) ids[off + j] = d.ids[lo * d.k + Math.min(j, d.k - 1)];
    }
  }
  return { tokens, layers: L, k, ids };
}
