// Subset distributions counted from a token sequence, for callers that hold
// only token-order routing (tests, benchmarks, traces read outside the
// workload module). Subsets are sorted expert ids, as LayerDistribution wants.
import type { LayerDistribution, TokenSequence } from '../../workload/types';

export function distributionsFromSequence(seq: TokenSequence, experts: number): LayerDistribution[] {
  const { tokens, layers, k, ids } = seq;
  const out: LayerDistribution[] = [];
  for (let l = 0; l < layers; l++) {
    const counts = new Map<string, { ids: number[]; n: number }>();
    for (let t = 0; t < tokens; t++) {
      const off = (t * layers + l) * k;
      const subset = Array.from(ids.subarray(off, off + k)).sort((a, b) => a - b);
      const key = subset.join(',');
      const c = counts.get(key);
      if (c) c.n++;
      else counts.set(key, { ids: subset, n: 1 });
    }
    const entries = [...counts.values()].sort((a, b) => b.n - a.n);
    out.push({
      layer: l,
      experts,
      k,
      ids: Int32Array.from(entries.flatMap((e) => e.ids)),
      weights: Float64Array.from(entries.map((e) => e.n)),
      count: entries.length,
      total: tokens,
      coactivationKnown: true,
    });
  }
  return out;
}
