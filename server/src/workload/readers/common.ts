// Pieces every trace reader shares: the model figures a trace is checked
// against, mapping trace layer ids onto MoE layers. Line input is in
// lines.ts, records and what collects them in records.ts.
import { statSync } from 'node:fs';
import type { LayerDistribution, ReadProgress } from '../types';
import { WorkloadError } from '../types';
import type { TraceFields } from '../../plan/types';
import { type SubsetCounter } from '../distribution';
import type { RoutingSink } from './records';

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
  /** The trace's own field (column) names, where not the usual ones. */
  fields?: TraceFields;
  /**
   * A sink that sees every token record too (the held-out split,
   * workload/split.ts). Readers of subset counts (CSV, SGLang, TensorRT-LLM
   * statistics) give it nothing: counts carry no order and no requests.
   */
  beside?: RoutingSink;
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
  return `${m.name ? m.name + ': ' : "the plan's model: "}${m.layers} MoE layers${first}, ${m.experts} routed experts, top-${m.topK}`;
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
    throw new WorkloadError(`file is ${formatBytes(size)}, over the ${formatBytes(maxBytes)} limit; cap the subsets or pass a larger limit`, file);
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
function rangeList(xs: number[]): string {
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
