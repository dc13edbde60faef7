// Layer distributions in shared memory, so every worker reads the same bytes
// instead of receiving a copy per job.
import type { HeldOutSplit, LayerDistribution, TokenSequence, Workload } from '../workload/types';
import type { SyntheticPart } from '../workload/syntheticParts';

function shareInt32(a: Int32Array): Int32Array {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const out = new Int32Array(new SharedArrayBuffer(a.length * 4));
  out.set(a);
  return out;
}

function shareFloat64(a: Float64Array): Float64Array {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const out = new Float64Array(new SharedArrayBuffer(a.length * 8));
  out.set(a);
  return out;
}

function shareLayer(d: LayerDistribution): LayerDistribution {
  return { ...d, ids: shareInt32(d.ids.subarray(0, d.count * d.k)), weights: shareFloat64(d.weights.subarray(0, d.count)) };
}

function shareSplit(s: HeldOutSplit | undefined): HeldOutSplit | undefined {
  return s ? { ...s, planning: s.planning.map(shareLayer), heldOut: s.heldOut.map(shareLayer) } : undefined;
}

export function shareWorkload(w: Workload): Workload {
  const sequence: TokenSequence | undefined = w.sequence ? { ...w.sequence, ids: shareInt32(w.sequence.ids) } : undefined;
  const out: Workload = { ...w, layers: w.layers.map(shareLayer), sequence, split: shareSplit(w.split) };
  if (w.parts) out.parts = w.parts.map((p) => ({ ...p, layers: p.layers.map(shareLayer), split: shareSplit(p.split) }));
  return out;
}

/** A synthetic part (its token orders are made in shared memory already). */
export function sharePart(p: SyntheticPart): SyntheticPart {
  return {
    ...p,
    layers: p.layers.map(shareLayer),
    orders: p.orders.map(shareInt32),
    splits: p.splits.map((s) => ({ planning: shareLayer(s.planning), heldOut: shareLayer(s.heldOut) })),
  };
}
