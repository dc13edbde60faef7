// Routing records, whatever file they come from: every reader turns its
// format into records — one token's experts in one layer (or a count of
// tokens with the same experts), with its request and position when the
// trace has them — and hands them to a sink. The collector here is the sink
// that builds a workload: the exact subset counts per layer plus the token
// order. `moeplan trace stats|aggregate` use the same collector without a
// model; other sinks (a held-out split by request, say) can sit beside it.
import type { LayerDistribution, TokenSequence } from '../types';
import { WorkloadError } from '../types';
import { SubsetCounter, subsetProblem } from '../distribution';
import type { TraceModel } from './common';
import { DEFAULT_MAX_SEQUENCE_IDS, MAX_COUNT, MAX_COUNT_TEXT, finishLayers, maxRawLayer, modelLabel } from './common';
import { SequenceBuilder } from './sequence';

/** Subsets a layer's counter starts with room for (a trace has thousands per layer). */
const INITIAL_SUBSETS = 1024;

/** No request or no position in a record. */
export const NONE = -1;

export interface RoutingSink {
  /**
   * `weight` tokens (1 for a token record) routed to `ids` (exactly k ids,
   * checked distinct and in range, any order; read during the call only) in
   * raw layer `rawLayer` (as the trace numbers it). `request` is an index
   * from RequestIds (NONE when the trace has none), `position` the token's
   * position within the request (NONE when unknown).
   */
  add(rawLayer: number, ids: Int32Array, weight: number, request: number, position: number): void;
}

/**
 * A sink that hands every record to `main` and then to `beside` (the
 * held-out split, workload/split.ts, sits beside a workload's collector).
 */
export function withBeside(main: RoutingSink, beside: RoutingSink | undefined): RoutingSink {
  if (!beside) return main;
  return {
    add(rawLayer, ids, weight, request, position) {
      main.add(rawLayer, ids, weight, request, position);
      beside.add(rawLayer, ids, weight, request, position);
    },
  };
}

/** Request ids as small integers, in order of first appearance. */
export class RequestIds {
  private readonly index = new Map<string, number>();
  readonly names: string[] = [];

  intern(name: string): number {
    let i = this.index.get(name);
    if (i === undefined) {
      i = this.names.length;
      this.index.set(name, i);
      this.names.push(name);
    }
    return i;
  }

  get size(): number {
    return this.names.length;
  }
}

/**
 * The checks every record passes, against the plan's model when there is
 * one; without a model (`moeplan trace`) the first record sets k and ids need
 * only be distinct non-negative integers.
 */
export class RecordRules {
  private k?: number;
  private kFrom?: string;

  constructor(readonly model?: TraceModel) {
    this.k = model?.topK;
  }

  /** Experts per token: the model's top-k, or what the first record had. */
  get topK(): number | undefined {
    return this.k;
  }

  /** Largest raw layer id accepted. */
  get maxLayer(): number {
    return this.model ? maxRawLayer(this.model) : 1 << 20;
  }

  /** Why `ids` cannot be one token's experts, or undefined; `where` names the first record for k's origin. */
  idsProblem(ids: ArrayLike<number>, where: string): string | undefined {
    if (this.model) return subsetProblem(ids, this.model.experts, this.model.topK);
    if (this.k === undefined) {
      if (ids.length < 1) return 'has no expert ids';
      this.k = ids.length;
      this.kFrom = where;
    }
    if (ids.length !== this.k) return `has ${ids.length} experts, but ${this.kFrom} has ${this.k}; every token routes to the same number of experts`;
    for (let j = 0; j < ids.length; j++) {
      const e = ids[j];
      if (!Number.isInteger(e)) return `expert id ${String(e)} is not an integer`;
      if (e < 0 || e > 1 << 24) return `expert id ${e} is out of range (ids are 0 or more)`;
      for (let i = 0; i < j; i++) if (ids[i] === e) return `expert ${e} appears twice; a token's experts are distinct`;
    }
    return undefined;
  }

  /** Why `layer` is not a layer id of the model, or undefined. */
  layerProblem(layer: number): string | undefined {
    if (!Number.isInteger(layer) || layer < 0) return `layer must be a non-negative integer (got ${layer})`;
    if (layer > this.maxLayer)
      return this.model ? `layer ${layer} is outside the model (${modelLabel(this.model)})` : `layer ${layer} is not a plausible layer id`;
    return undefined;
  }
}

interface CollectOptions {
  /** Cap on token-order ids kept (tokens × layers × k). */
  maxSequenceIds?: number;
  /** The model, whose MoE layers the token order spans; without it no order is kept. */
  model?: TraceModel;
}

/** What the collector made of a trace. */
interface Collected {
  layers: LayerDistribution[];
  /** Raw layer id of MoE layer 0 (0, or the first MoE layer when the trace numbers model layers). */
  offset: number;
  sequence?: TokenSequence;
  notes: string[];
}

/**
 * The sink behind every workload read from a trace: exact subset counts per
 * raw layer, and the token order when the records carry positions. Memory
 * grows with the distinct subsets, plus the token order within its cap.
 */
export class RoutingCollector implements RoutingSink {
  readonly counters = new Map<number, SubsetCounter>();
  private seq?: SequenceBuilder;
  /** Whether the first record had a position (then every record should). */
  private positions?: boolean;
  /** Set by readers of subset counts (CSV): their records are counts, never tokens in order. */
  counts = false;
  private weighted = false;
  private maxId = -1;
  /** counters by raw layer id, for a lookup without hashing. */
  private readonly byLayer: (SubsetCounter | undefined)[] = [];
  private lastLayer = -1;
  private lastCounter?: SubsetCounter;
  records = 0;

  constructor(private readonly opts: CollectOptions = {}) {}

  add(rawLayer: number, ids: Int32Array, weight: number, request: number, position: number): void {
    const k = ids.length;
    let c = rawLayer === this.lastLayer ? this.lastCounter : rawLayer < this.byLayer.length ? this.byLayer[rawLayer] : undefined;
    if (!c) {
      c = new SubsetCounter(rawLayer, 0, k, INITIAL_SUBSETS);
      this.counters.set(rawLayer, c);
      while (this.byLayer.length <= rawLayer) this.byLayer.push(undefined);
      this.byLayer[rawLayer] = c;
    }
    this.lastLayer = rawLayer;
    this.lastCounter = c;
    if (c.totalWeight + weight > MAX_COUNT) throw new RangeError(`the counts of layer ${rawLayer} add up to more than ${MAX_COUNT_TEXT} tokens`);
    if (weight > 0) c.add(ids, 0, weight);
    for (let j = 0; j < k; j++) if (ids[j] > this.maxId) this.maxId = ids[j];
    this.records++;
    if (weight !== 1) this.weighted = true;
    if (this.positions === undefined) {
      this.positions = position !== NONE && weight === 1 && !this.counts;
      const m = this.opts.model;
      const maxTokens = m ? Math.floor((this.opts.maxSequenceIds ?? DEFAULT_MAX_SEQUENCE_IDS) / (m.layers * k)) : 0;
      if (this.positions && m && maxTokens > 0) this.seq = new SequenceBuilder(k, maxRawLayer(m) + 1, maxTokens);
    }
    const seq = this.seq;
    if (seq && seq.active) {
      if (position === NONE || weight !== 1) seq.drop('token order not kept: some records have a token position and others do not');
      else seq.add(request === NONE ? 0 : request, position, rawLayer, ids);
    }
  }

  /** Why the records give no token order (for stats), or undefined when they do. */
  get orderMissing(): string | undefined {
    if (this.weighted || this.counts) return 'subset counts carry no token order';
    if (!this.positions) return 'records carry no token position';
    return this.seq?.dropped;
  }

  /** Largest expert id seen. */
  get largestExpertId(): number {
    return this.maxId;
  }

  /**
   * Distributions of the model's MoE layers (every one must be present; the
   * trace may number MoE or model layers), the token order, and notes.
   */
  finish(model: TraceModel, file: string): Collected {
    const counters = new Map<number, SubsetCounter>();
    for (const [l, c] of this.counters) if (c.size > 0) counters.set(l, c);
    const { layers, offset } = finishLayers(counters, model, file, true);
    for (const d of layers) d.experts = model.experts;
    const notes: string[] = [];
    if (offset > 0) notes.push(`trace layer ids ${offset}–${offset + model.layers - 1} read as model layers (MoE layer = id − ${offset})`);
    let sequence: TokenSequence | undefined;
    if (this.seq) {
      if (this.seq.active) {
        const fin = this.seq.finish(model.layers, offset);
        sequence = fin.sequence;
        if (this.seq.notKept > 0)
          notes.push(
            `token order kept for the first ${this.seq.tokens.toLocaleString('en-US')} tokens (memory cap: ${(this.opts.maxSequenceIds ?? DEFAULT_MAX_SEQUENCE_IDS).toLocaleString('en-US')} ids); the distributions count every token`,
          );
        if (fin.incomplete > 0)
          notes.push(`${fin.incomplete} token${fin.incomplete > 1 ? 's' : ''} missing from some layers left out of the token order (distributions keep them)`);
      } else if (this.seq.dropped) notes.push(this.seq.dropped);
    } else if (this.weighted || this.counts) {
      notes.push('subset counts carry no token order: paging and batch replay sample from the distributions');
    } else {
      notes.push('records carry no token position: token order unknown, so paging and batch replay sample from the distributions');
    }
    return { layers, offset, sequence, notes };
  }

  /**
   * Every layer the trace has, as it numbers them (no model: for
   * `moeplan trace`), ascending; experts = largest id seen + 1.
   */
  rawLayers(): LayerDistribution[] {
    const experts = this.maxId + 1;
    return [...this.counters.keys()]
      .sort((a, b) => a - b)
      .map((l) => {
        const d = this.counters.get(l)!.toDistribution(true);
        d.experts = experts;
        return d;
      });
  }
}

/** A sink's RangeError (an overflowing count) as a WorkloadError at its place. */
export function atRecord(e: unknown, file: string, line?: number, where = ''): unknown {
  if (e instanceof RangeError) return new WorkloadError(`${where}${e.message}`, file, line);
  return e;
}
