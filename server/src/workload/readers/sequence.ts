// Token order while a trace streams in: each record's ids are placed by its
// (request, position), requests in order of first appearance, for at most
// `maxTokens` tokens (the first ones seen; later tokens are counted but not
// kept). Ids are stored token-major, one row of `rawLayers × k` per token,
// so a trace written token by token fills memory in order. Tokens missing
// from some layer are left out at the end, with a count for a note.
import type { TokenSequence } from '../types';

/** Positions below this pack with the request index into one exact number key. */
const POSITION_SPAN = 2 ** 32;
/** Request indices below this keep the packed key under 2^53. */
const REQUEST_SPAN = 2 ** 20;
/** Distinct tokens counted past the cap at most (the count costs a set entry each). */
const MAX_COUNTED_OVER = 1 << 22;

export class SequenceBuilder {
  private readonly tokenOf = new Map<number | string, number>();
  private readonly reqOf: number[] = [];
  private readonly posOf: number[] = [];
  /** ids[(t * rawLayers + rawLayer) * k + j]; -1 where a token has no record for a layer yet. */
  private ids: Int32Array;
  private capacity: number;
  private readonly row: number;
  private readonly over = new Set<number | string>();
  // The last record's token: consecutive records of one token skip the lookup.
  private lastKey: number | string = -1;
  private lastToken = -1;
  dropped?: string;

  /** Raw layer ids must be below `rawLayers`. */
  constructor(
    readonly k: number,
    readonly rawLayers: number,
    readonly maxTokens: number,
  ) {
    this.row = rawLayers * k;
    this.capacity = Math.max(1, Math.min(maxTokens, 256));
    this.ids = new Int32Array(this.capacity * this.row).fill(-1);
  }

  get active(): boolean {
    return this.dropped === undefined;
  }

  /** Tokens kept so far. */
  get tokens(): number {
    return this.reqOf.length;
  }

  /** Tokens seen but not kept (over maxTokens; counted up to 2^22). */
  get notKept(): number {
    return this.over.size;
  }

  /** `request` is an index (first appearance order), `position` ≥ 0. */
  add(request: number, position: number, rawLayer: number, ids: ArrayLike<number>): void {
    if (this.dropped !== undefined) return;
    const key = position < POSITION_SPAN && request < REQUEST_SPAN ? request * POSITION_SPAN + position : `${request}:${position}`;
    let t: number | undefined;
    if (key === this.lastKey) t = this.lastToken;
    else {
      t = this.tokenOf.get(key);
      if (t === undefined) {
        if (this.reqOf.length >= this.maxTokens) {
          if (this.over.size < MAX_COUNTED_OVER) this.over.add(key);
          return;
        }
        t = this.reqOf.length;
        this.tokenOf.set(key, t);
        this.reqOf.push(request);
        this.posOf.push(position);
        if (t >= this.capacity) this.grow();
      }
      this.lastKey = key;
      this.lastToken = t;
    }
    const k = this.k;
    const base = t * this.row + rawLayer * k;
    const arr = this.ids;
    if (arr[base] !== -1) {
      this.drop(`token order not kept: token ${position} of a request appears twice in layer ${rawLayer}`);
      return;
    }
    for (let j = 0; j < k; j++) arr[base + j] = ids[j];
  }

  drop(reason: string): void {
    this.dropped = reason;
    this.ids = new Int32Array(0);
    this.tokenOf.clear();
    this.over.clear();
    this.reqOf.length = 0;
    this.posOf.length = 0;
  }

  private grow(): void {
    const cap = Math.min(this.capacity * 2, this.maxTokens);
    const next = new Int32Array(cap * this.row);
    next.set(this.ids);
    next.fill(-1, this.ids.length);
    this.ids = next;
    this.capacity = cap;
  }

  /** The sequence over MoE layers 0..layers-1 (raw = MoE + offset), complete tokens only. */
  finish(layers: number, offset: number): { sequence?: TokenSequence; incomplete: number } {
    const n = this.reqOf.length;
    if (this.dropped !== undefined || n === 0) return { incomplete: 0 };
    const k = this.k;
    const row = this.row;
    const src = this.ids;
    const idx = Array.from({ length: n }, (_, i) => i);
    idx.sort((a, b) => this.reqOf[a] - this.reqOf[b] || this.posOf[a] - this.posOf[b]);
    const complete = (t: number) => {
      for (let l = 0; l < layers; l++) if (src[t * row + (l + offset) * k] === -1) return false;
      return true;
    };
    const keep = idx.filter(complete);
    const ids = new Int32Array(keep.length * layers * k);
    keep.forEach((t, i) => ids.set(src.subarray(t * row + offset * k, t * row + (offset + layers) * k), i * layers * k));
    return {
      sequence: keep.length > 0 ? { tokens: keep.length, layers, k, ids } : undefined,
      incomplete: n - keep.length,
    };
  }
}
