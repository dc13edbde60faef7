// Several routing distributions made one: the files of one trace line
// (counts added, as one longer trace), and several workloads mixed by
// weight (each normalised first, so a trace's length does not decide its
// share: `trace "a.jsonl" weight 3` and `trace "b.jsonl" weight 1` give a's
// routing 75% of the mass whatever their token counts).
import type { LayerDistribution, TokenSequence } from './types';
import { SubsetCounter } from './distribution';

/** Per layer, the subsets of every list with their weights added (`lists[i][l]` is layer l of list i). */
export function addLayers(lists: readonly (readonly LayerDistribution[])[]): LayerDistribution[] {
  return combine(lists.map((layers) => ({ layers, scale: () => 1 })));
}

/**
 * Per layer, the mixture of the parts: part i carries `share_i` (shares
 * sum to 1) of the mass whatever its own total. The mixture's total is the
 * parts' totals added, so its weights stay on the scale of token counts.
 */
export function mixLayers(parts: readonly { layers: readonly LayerDistribution[]; share: number }[]): LayerDistribution[] {
  if (parts.length === 0) return [];
  const L = parts[0].layers.length;
  const totals = Array.from({ length: L }, (_, l) => parts.reduce((a, p) => a + p.layers[l].total, 0));
  return combine(parts.map((p) => ({ layers: p.layers, scale: (l: number) => (p.layers[l].total > 0 ? (p.share * totals[l]) / p.layers[l].total : 0) })));
}

function combine(parts: { layers: readonly LayerDistribution[]; scale: (layer: number) => number }[]): LayerDistribution[] {
  const first = parts[0]?.layers ?? [];
  return first.map((d0, l) => {
    const c = new SubsetCounter(d0.layer, d0.experts, d0.k, Math.max(16, ...parts.map((p) => p.layers[l].count)));
    let coactivationKnown = true;
    for (const p of parts) {
      const d = p.layers[l];
      if (d.k !== d0.k || d.experts !== d0.experts) throw new RangeError(`layer ${d0.layer}: distributions of different shapes cannot be combined`);
      coactivationKnown &&= d.coactivationKnown;
      const s = p.scale(l);
      if (!(s > 0)) continue;
      for (let i = 0; i < d.count; i++) if (d.weights[i] > 0) c.addSorted(d.ids, i * d.k, d.weights[i] * s);
    }
    const out = c.toDistribution(coactivationKnown);
    out.layer = d0.layer;
    return out;
  });
}

/** The token orders of several files one after another, within `maxIds`; undefined when any file has none. */
export function concatSequences(seqs: readonly (TokenSequence | undefined)[], maxIds: number): { sequence?: TokenSequence; cut: boolean } {
  if (seqs.length === 0 || seqs.some((s) => !s)) return { cut: false };
  const all = seqs as TokenSequence[];
  const { layers, k } = all[0];
  if (all.some((s) => s.layers !== layers || s.k !== k)) return { cut: false };
  const row = layers * k;
  const tokens = all.reduce((a, s) => a + s.tokens, 0);
  const kept = Math.min(tokens, Math.floor(maxIds / row));
  if (kept <= 0) return { cut: true };
  const ids = new Int32Array(kept * row);
  let at = 0;
  for (const s of all) {
    const n = Math.min(s.tokens, kept - at);
    if (n <= 0) break;
    ids.set(s.ids.subarray(0, n * row), at * row);
    at += n;
  }
  return { sequence: { tokens: kept, layers, k, ids }, cut: kept < tokens };
}
