// Pieces every trace reader shares: the model figures a trace is checked
// against, mapping trace layer ids onto MoE layers, and bounded
// token-sequence capture. Line input is in lines.ts.
import { statSync } from 'node:fs';
import type { LayerDistribution, ReadProgress, TokenSequence } from '../types';
import { WorkloadError } from '../types';
import { SubsetCounter } from '../distribution';

/** The model figures a trace must agree with. */
export interface TraceModel {
  /** MoE layers. */
  layers: number;
  /** Routed experts per layer. */
  experts: number;
  topK: number;
  /** Index of the first MoE layer among all layers (DeepSeek-V3: 3); 0 when absent. */
  firstMoeLayer?: number;
  /** For messages: "DeepSeek-V3". */
  name?: string;
}

export interface ReadOptions {
  model: TraceModel;
  signal?: AbortSignal;
  /** Refuse files larger than this (bytes). */
  maxBytes?: number;
  /**
   * Keep the token order (TokenSequence) only up to this many ids
   * (tokens × layers × k); beyond it the sequence is dropped with a note.
   * Default 1<<24 (64 MiB of Int32).
   */
  maxSequenceIds?: number;
  /** SGLang counts only: tokens sampled per layer to synthesise subsets (default 20,000). */
  sampleTokens?: number;
  /** SGLang counts only: seed of that sample (default 1). */
  seed?: number;
  /** Called as a long read goes on (a few times a second at most). */
  onProgress?: (p: ReadProgress) => void;
  /** Least time between two progress reports, ms (default 250). */
  progressEveryMs?: number;
}

export const DEFAULT_MAX_SEQUENCE_IDS = 1 << 24;

/**
 * Largest count a row or a layer may carry: 2^53, the largest integer a
 * double holds exactly. Larger counts overflow the sums behind E[T] (a count
 * of 1e308 made it Infinity, and E[T] blank).
 */
export const MAX_COUNT = 2 ** 53;
export const MAX_COUNT_TEXT = `${MAX_COUNT.toLocaleString('en-US')} (2^53)`;

export function modelLabel(m: TraceModel): string {
  const first = m.firstMoeLayer ? `, first MoE layer ${m.firstMoeLayer}` : '';
  return `${m.name ? m.name + ': ' : 'the plan\'s model: '}${m.layers} MoE layers${first}, ${m.experts} routed experts, top-${m.topK}`;
}

export function checkAborted(signal: AbortSignal | undefined, file: string): void {
  if (signal?.aborted) throw new WorkloadError('reading cancelled', file);
}

/** Refuses a file over the size limit or one that cannot be opened. */
export function checkFile(file: string, maxBytes: number | undefined): number {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new WorkloadError('not a regular file', file);
    size = st.size;
  } catch (e) {
    if (e instanceof WorkloadError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new WorkloadError(
      code === 'ENOENT' ? 'file not found (paths in a plan are relative to the plan file)' : `cannot open: ${(e as Error).message}`,
      file,
    );
  }
  if (maxBytes !== undefined && size > maxBytes)
    throw new WorkloadError(
      `file is ${formatBytes(size)}, over the ${formatBytes(maxBytes)} limit; cap the subsets or pass a larger limit`,
      file,
    );
  return size;
}

export function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

/**
 * Decides whether a trace numbers layers as MoE layers (0..layers-1) or as
 * model layers (firstMoeLayer..firstMoeLayer+layers-1), and returns the
 * offset to subtract. `maxRaw`/`minRaw` are the extreme ids seen.
 */
export function layerOffset(minRaw: number, maxRaw: number, m: TraceModel, file: string): number {
  const first = m.firstMoeLayer ?? 0;
  if (maxRaw < m.layers) return 0;
  if (first > 0 && minRaw >= first && maxRaw < first + m.layers) return first;
  throw new WorkloadError(
    `layer ${maxRaw} is outside the model (${modelLabel(m)}); layer ids must be 0–${m.layers - 1}` +
      (first > 0 ? ` (MoE layers) or ${first}–${first + m.layers - 1} (model layers)` : '') +
      `. Check the model in the plan matches the model the trace was recorded on`,
    file,
  );
}

/** Largest raw layer id a trace line may carry for this model (for early rejection). */
export function maxRawLayer(m: TraceModel): number {
  return (m.firstMoeLayer ?? 0) + m.layers - 1;
}

/**
 * Turns per-raw-layer counters into one distribution per MoE layer, in order,
 * checking that every MoE layer has routing.
 */
export function finishLayers(
  counters: Map<number, SubsetCounter>,
  m: TraceModel,
  file: string,
  coactivationKnown: boolean,
): { layers: LayerDistribution[]; offset: number } {
  if (counters.size === 0) throw new WorkloadError('no routing records found', file);
  const raw = [...counters.keys()];
  const offset = layerOffset(Math.min(...raw), Math.max(...raw), m, file);
  const layers: LayerDistribution[] = [];
  const missing: number[] = [];
  for (let l = 0; l < m.layers; l++) {
    const c = counters.get(l + offset);
    if (!c || c.size === 0) {
      missing.push(l);
      continue;
    }
    const d = c.toDistribution(coactivationKnown);
    d.layer = l;
    layers.push(d);
  }
  if (missing.length > 0)
    throw new WorkloadError(
      `no routing for MoE layer${missing.length > 1 ? 's' : ''} ${rangeList(missing)} (trace has ${counters.size} layers; ${modelLabel(m)}). ` +
        `Record every MoE layer, or set the model's layer count to match the trace`,
      file,
    );
  return { layers, offset };
}

/** "0–3, 7, 9–10" */
export function rangeList(xs: number[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < xs.length) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++;
    out.push(j > i ? `${xs[i]}–${xs[j]}` : `${xs[i]}`);
    i = j + 1;
  }
  return out.join(', ');
}

/**
 * Collects token-ordered routing keyed by (request, position) while a trace
 * streams in, within a bound on ids kept. Tokens missing from some layer are
 * dropped at the end (with a count, for a note).
 */
export class SequenceBuilder {
  private readonly tokenOf = new Map<string, number>();
  private readonly order: { req: number; pos: number }[] = [];
  private readonly requestOf = new Map<string, number>();
  private readonly perLayer = new Map<number, Int32Array>();
  private capacity = 1024;
  dropped?: string;

  constructor(
    readonly k: number,
    readonly maxIds: number,
  ) {}

  get active(): boolean {
    return this.dropped === undefined;
  }

  add(request: string, position: number, rawLayer: number, ids: ArrayLike<number>): void {
    if (this.dropped !== undefined) return;
    let req = this.requestOf.get(request);
    if (req === undefined) {
      req = this.requestOf.size;
      this.requestOf.set(request, req);
    }
    const key = `${req}:${position}`;
    let t = this.tokenOf.get(key);
    if (t === undefined) {
      t = this.order.length;
      this.tokenOf.set(key, t);
      this.order.push({ req, pos: position });
      if ((this.order.length * Math.max(1, this.perLayer.size) * this.k) > this.maxIds) {
        this.drop(`token order not kept: over ${this.maxIds.toLocaleString('en-US')} ids`);
        return;
      }
      if (t >= this.capacity) this.grow();
    }
    let arr = this.perLayer.get(rawLayer);
    if (!arr) {
      if (this.order.length * (this.perLayer.size + 1) * this.k > this.maxIds) {
        this.drop(`token order not kept: over ${this.maxIds.toLocaleString('en-US')} ids`);
        return;
      }
      arr = new Int32Array(this.capacity * this.k).fill(-1);
      this.perLayer.set(rawLayer, arr);
    }
    const base = t * this.k;
    if (arr[base] !== -1) {
      this.drop(`token order not kept: token ${position} of request ${request} appears twice in layer ${rawLayer}`);
      return;
    }
    for (let j = 0; j < this.k; j++) arr[base + j] = ids[j];
  }

  drop(reason: string): void {
    this.dropped = reason;
    this.perLayer.clear();
    this.tokenOf.clear();
    this.order.length = 0;
  }

  private grow(): void {
    const cap = this.capacity * 2;
    for (const [l, arr] of this.perLayer) {
      const next = new Int32Array(cap * this.k).fill(-1);
      next.set(arr);
      this.perLayer.set(l, next);
    }
    this.capacity = cap;
  }

  /** The sequence over MoE layers 0..layers-1 (raw = MoE + offset), complete tokens only. */
  finish(layers: number, offset: number): { sequence?: TokenSequence; incomplete: number } {
    if (this.dropped !== undefined || this.order.length === 0) return { incomplete: 0 };
    const k = this.k;
    const idx = this.order.map((_, i) => i);
    idx.sort((a, b) => this.order[a].req - this.order[b].req || this.order[a].pos - this.order[b].pos);
    const cols: Int32Array[] = [];
    for (let l = 0; l < layers; l++) {
      const arr = this.perLayer.get(l + offset);
      if (!arr) return { incomplete: this.order.length };
      cols.push(arr);
    }
    const keep: number[] = [];
    for (const t of idx) if (cols.every((c) => c[t * k] !== -1)) keep.push(t);
    const ids = new Int32Array(keep.length * layers * k);
    keep.forEach((t, i) => {
      for (let l = 0; l < layers; l++) ids.set(cols[l].subarray(t * k, t * k + k), (i * layers + l) * k);
    });
    return {
      sequence: keep.length > 0 ? { tokens: keep.length, layers, k, ids } : undefined,
      incomplete: this.order.length - keep.length,
    };
  }
}
