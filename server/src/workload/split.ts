// The held-out split: a workload cut into a planning part and a held-out
// part, so a placement planned on the first can be scored on routing it
// never saw (docs/cost-model.md, "Held-out figures"). The rule, the same on
// every run:
//
// - by request, when every token record names a request and there are at
//   least two: the requests in order of first appearance, the last ones held
//   out — as few as hold at least 20% of the token records, at least one,
//   never all. A request is wholly on one side, so its context does not leak
//   from planning into the figure.
// - by position otherwise: in each layer, the last 20% of the records in
//   trace order (at least one), the rest planning.
//
// Traces are split as they are read: a sink beside the workload's collector
// records each token's subset (as an index among the layer's distinct
// subsets) and its request, 8 bytes a record, for at most 2^23 records; the
// split is made when the read ends. The synthetic generator's tokens are
// split by position from their token order. Subset counts (CSV, SGLang,
// TensorRT-LLM statistics) and inline subsets have neither order nor
// requests: they cannot be split, and no held-out figure is invented.
import type { HeldOutSplit, LayerDistribution, TokenSequence } from './types';

export type { HeldOutSplit } from './types';
import { SubsetCounter } from './distribution';
import { NONE, type RoutingSink } from './readers/records';
import { layerOffset, type TraceModel } from './readers/common';

/** Share of the tokens held out. */
export const HELD_OUT_SHARE = 0.2;
/** Records the split keeps at most (two Int32 each). */
const MAX_SPLIT_RECORDS = 1 << 23;

/** A split, or why there is none. */
export type SplitOutcome = { split: HeldOutSplit; missing?: undefined } | { split?: undefined; missing: string };

/** Growable Int32 column. */
class Column {
  data = new Int32Array(256);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
}

interface LayerRecords {
  counter: SubsetCounter;
  subset: Column;
  request: Column;
}

/** The sink beside a trace's collector: every token record's subset and request, in trace order. */
export class SplitRecorder implements RoutingSink {
  private readonly byLayer: (LayerRecords | undefined)[] = [];
  private requestBase = 0;
  private fileRequests = 0;
  private withoutRequest = false;
  private counts = false;
  recorded = 0;
  notRecorded = 0;

  /** Called before each file of a trace read as one (a folder, a glob): request ids of different files stay apart. */
  beginFile(): void {
    this.requestBase += this.fileRequests;
    this.fileRequests = 0;
  }

  add(rawLayer: number, ids: Int32Array, weight: number, request: number, _position: number): void {
    if (weight !== 1) {
      this.counts = true;
      return;
    }
    if (this.recorded >= MAX_SPLIT_RECORDS) {
      this.notRecorded++;
      return;
    }
    let r = this.byLayer[rawLayer];
    if (!r) {
      while (this.byLayer.length <= rawLayer) this.byLayer.push(undefined);
      r = this.byLayer[rawLayer] = { counter: new SubsetCounter(rawLayer, 0, ids.length, 256), subset: new Column(), request: new Column() };
    }
    r.subset.push(r.counter.add(ids, 0, 1));
    if (request === NONE) {
      this.withoutRequest = true;
      r.request.push(NONE);
    } else {
      r.request.push(this.requestBase + request);
      if (request + 1 > this.fileRequests) this.fileRequests = request + 1;
    }
    this.recorded++;
  }

  /** The split over the model's MoE layers, or why there is none. */
  finish(model: TraceModel, file: string): SplitOutcome {
    if (this.counts) return { missing: 'the trace holds subset counts, which carry neither token order nor request ids' };
    if (this.recorded === 0) return { missing: 'this trace format carries neither token order nor request ids' };
    const raw: number[] = [];
    this.byLayer.forEach((r, l) => r && raw.push(l));
    let offset: number;
    try {
      offset = layerOffset(Math.min(...raw), Math.max(...raw), model, file);
    } catch (e) {
      return { missing: (e as Error).message };
    }
    const layers: LayerRecords[] = [];
    for (let l = 0; l < model.layers; l++) {
      const r = this.byLayer[l + offset];
      if (!r || r.subset.length < 2)
        return { missing: `MoE layer ${l} has fewer than two token records${this.notRecorded > 0 ? ' among those kept for the split' : ''}` };
      layers.push(r);
    }
    const total = this.requestBase + this.fileRequests;
    const capped =
      this.notRecorded > 0
        ? `; over the first ${this.recorded.toLocaleString('en-US')} records (${this.notRecorded.toLocaleString('en-US')} later ones are in the in-sample figures only)`
        : '';
    if (!this.withoutRequest && total >= 2) {
      const held = heldOutRequests(layers, total);
      const out = buildSplit(layers, model.experts, (_l, r, j) => held.set[r.request.data[j]] === 1);
      const empty = emptySide(out);
      if (empty) return { missing: empty };
      return {
        split: {
          by: 'request',
          ...out,
          description:
            `by request: the last ${held.count.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} requests (in order of first appearance) held out, ` +
            `${percent(held.records / this.recorded)} of the token records${capped}`,
        },
      };
    }
    const cut = layers.map((r) => r.subset.length - Math.max(1, Math.round(r.subset.length * HELD_OUT_SHARE)));
    const out = buildSplit(layers, model.experts, (l, _r, j) => j >= cut[l]);
    const why = this.withoutRequest ? 'the records carry no request id' : 'the trace has a single request';
    return {
      split: {
        by: 'position',
        ...out,
        description: `by position (${why}): the last ${percent(HELD_OUT_SHARE)} of each layer's records in trace order held out${capped}`,
      },
    };
  }
}

/** Why a split cannot be used: a layer left without tokens on one side. */
function emptySide(out: { planning: LayerDistribution[]; heldOut: LayerDistribution[] }): string | undefined {
  const l = out.planning.findIndex((d, i) => d.total === 0 || out.heldOut[i].total === 0);
  return l < 0 ? undefined : `splitting by request leaves MoE layer ${l} without tokens on one side (its records belong to too few requests)`;
}

/** The last requests (by first appearance) that together hold at least 20% of the records; at least one, never all. */
function heldOutRequests(layers: LayerRecords[], total: number): { set: Uint8Array; count: number; records: number } {
  const perRequest = new Float64Array(total);
  let all = 0;
  for (const r of layers) {
    for (let j = 0; j < r.request.length; j++) perRequest[r.request.data[j]]++;
    all += r.request.length;
  }
  const set = new Uint8Array(total);
  let records = 0;
  let count = 0;
  for (let q = total - 1; q >= 1 && (count === 0 || records < HELD_OUT_SHARE * all); q--) {
    set[q] = 1;
    records += perRequest[q];
    count++;
  }
  return { set, count, records };
}

function buildSplit(
  layers: LayerRecords[],
  experts: number,
  held: (layer: number, r: LayerRecords, j: number) => boolean,
): { planning: LayerDistribution[]; heldOut: LayerDistribution[] } {
  const planning: LayerDistribution[] = [];
  const heldOut: LayerDistribution[] = [];
  layers.forEach((r, l) => {
    const n = r.counter.size;
    const wPlan = new Float64Array(n);
    const wHeld = new Float64Array(n);
    for (let j = 0; j < r.subset.length; j++) (held(l, r, j) ? wHeld : wPlan)[r.subset.data[j]]++;
    const all = r.counter.toDistribution(true);
    planning.push(withWeights(all, l, experts, wPlan));
    heldOut.push(withWeights(all, l, experts, wHeld));
  });
  return { planning, heldOut };
}

/** `d`'s subsets with new weights, those of weight 0 dropped. */
function withWeights(d: LayerDistribution, layer: number, experts: number, w: Float64Array): LayerDistribution {
  const k = d.k;
  let count = 0;
  for (let i = 0; i < d.count; i++) if (w[i] > 0) count++;
  const ids = new Int32Array(count * k);
  const weights = new Float64Array(count);
  let total = 0;
  for (let i = 0, o = 0; i < d.count; i++) {
    if (!(w[i] > 0)) continue;
    ids.set(d.ids.subarray(i * k, i * k + k), o * k);
    weights[o++] = w[i];
    total += w[i];
  }
  return { layer, experts, k, ids, weights, count, total, coactivationKnown: d.coactivationKnown };
}

/**
 * The split of a workload with a token order covering its tokens (the
 * synthetic generator's): by position, the last 20% of the tokens held out.
 */
export function splitFromSequence(seq: TokenSequence, layers: readonly LayerDistribution[], covered: string): SplitOutcome {
  if (seq.tokens < 2) return { missing: 'fewer than two tokens in order' };
  const parts = layers.map((d, l) => splitLayerByPosition(d, { ids: seq.ids, tokens: seq.tokens, stride: seq.layers, offset: l }));
  return splitByPosition(parts, seq.tokens, covered);
}

/** Token t's k ids at ((t · stride + offset) · k), for t < tokens. */
interface LayerOrder {
  ids: Int32Array;
  tokens: number;
  stride: number;
  offset: number;
}

/** Tokens of `tokens` held out by position. */
function heldOutTokens(tokens: number): number {
  return Math.max(1, Math.round(tokens * HELD_OUT_SHARE));
}

/** One layer's planning and held-out parts, by position in its token order (layers split on their own, on any thread). */
export function splitLayerByPosition(d: LayerDistribution, order: LayerOrder): { planning: LayerDistribution; heldOut: LayerDistribution } {
  const cut = order.tokens - heldOutTokens(order.tokens);
  const k = d.k;
  const a = new SubsetCounter(d.layer, d.experts, k, 1024);
  const b = new SubsetCounter(d.layer, d.experts, k, 1024);
  for (let t = 0; t < order.tokens; t++) (t < cut ? a : b).add(order.ids, (t * order.stride + order.offset) * k, 1);
  return { planning: a.toDistribution(d.coactivationKnown), heldOut: b.toDistribution(d.coactivationKnown) };
}

/** The split from every layer's parts (splitLayerByPosition, in layer order). */
export function splitByPosition(parts: readonly { planning: LayerDistribution; heldOut: LayerDistribution }[], tokens: number, covered: string): SplitOutcome {
  if (tokens < 2) return { missing: 'fewer than two tokens in order' };
  const held = heldOutTokens(tokens);
  return {
    split: {
      by: 'position',
      planning: parts.map((p) => p.planning),
      heldOut: parts.map((p) => p.heldOut),
      description: `by position: the last ${held.toLocaleString('en-US')} of ${tokens.toLocaleString('en-US')} tokens in generation order held out${covered}`,
    },
  };
}

function percent(x: number): string {
  return `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
}
