// The batches a step time is averaged over. Deterministic (seeded), shared by
// every placement compared on a layer (common random numbers), and indexed by
// expert so a change to one expert's copies re-times only its own pairs.
//
// Batch 1 enumerates the distribution when it is small enough: each distinct
// subset, weighted by its probability, on every GPU (or on one seeded GPU
// when subsets × GPUs is too many) — exact rather than sampled. Larger batches
// draw B subsets i.i.d. (decode: independent requests), or, for prefill with
// a token order, one chunk of consecutive tokens per GPU (a prompt chunk).
import type { LayerDistribution } from '../../workload/types';
import { AliasTable, Rng, deriveSeed } from '../../workload/random';

export interface StepSamples {
  batch: number;
  k: number;
  experts: number;
  gpus: number;
  batches: number;
  /** Weight of each batch; they sum to 1. */
  weight: Float64Array;
  /** Expert ids, token-major: token t (global index b·batch + i) has ids[t·k .. t·k+k). */
  ids: Int32Array;
  /** GPU each token starts on (data-parallel attention). */
  origin: Int32Array;
  /** Index of the token among its batch's tokens on the same GPU (vLLM's replica rule uses it). */
  localPos: Int32Array;
  /** Pairs (index t·k + j) grouped by expert, ascending within an expert (hence by batch). */
  pairStart: Int32Array;
  pairList: Int32Array;
  /**
   * The pairs of one expert in one batch form a group: expert e's groups are
   * groupStart[e] .. groupStart[e+1]; group i is in batch groupBatch[i] and
   * holds pairList[groupFirst[i] .. groupFirst[i+1]).
   */
  groupStart: Int32Array;
  groupBatch: Int32Array;
  groupFirst: Int32Array;
  /** True when the batches enumerate the distribution (batch 1). */
  exact: boolean;
}

/** Token-order routing of one layer for prefill chunks. */
export interface LayerSequence {
  tokens: number;
  /** ids of token t in this layer: ids[(t * stride + offset) * k .. + k) */
  ids: Int32Array;
  stride: number;
  offset: number;
}

interface SampleOptions {
  batch: number;
  gpus: number;
  seed: number;
  /** Roughly how many (token, expert) pairs to draw in all (batch > 1 or a large distribution). */
  pairs: number;
  /** Fewest batches drawn when batch > 1. */
  minBatches: number;
  /** Batch 1 enumerates the distribution when it has at most this many subsets (default ENUMERATE_LIMIT). */
  enumerateUpTo?: number;
  sequence?: LayerSequence;
}

/** Distinct subsets × GPUs up to which batch 1 is enumerated exactly. */
const ENUMERATE_LIMIT = 65_536;
const MAX_BATCHES = 4096;

/**
 * Pairs and batch counts for the search's own samples and for the fresh ones
 * figures are reported on. The search enumerates batch 1 only on small
 * distributions (Mixtral's 28 subsets, DBRX's 1,820); a large one is sampled.
 */
export const TRAIN_SAMPLES = { pairs: 8_192, minBatches: 2, enumerateUpTo: 4_096 };
export const EVAL_SAMPLES = { pairs: 32_768, minBatches: 4 };

/**
 * What buildStepSamples draws, without drawing it: how many batches, and
 * whether batch 1 is enumerated (on every GPU or on one seeded GPU). For
 * describing the figures without building 100,000 pairs on the language
 * server's main thread.
 */
export function sampleShape(
  dist: Pick<LayerDistribution, 'count' | 'total' | 'k'>,
  opts: Pick<SampleOptions, 'batch' | 'gpus' | 'pairs' | 'minBatches' | 'enumerateUpTo'>,
): { batches: number; exact: boolean; everyGpu: boolean } {
  const B = Math.max(1, Math.floor(opts.batch));
  const G = Math.max(1, opts.gpus);
  if (dist.count === 0 || dist.total <= 0) return { batches: 0, exact: true, everyGpu: false };
  if (B === 1 && dist.count <= Math.min(ENUMERATE_LIMIT, opts.enumerateUpTo ?? ENUMERATE_LIMIT)) {
    const everyGpu = dist.count * G <= ENUMERATE_LIMIT;
    return { batches: everyGpu ? dist.count * G : dist.count, exact: true, everyGpu };
  }
  const batches = B === 1 ? Math.max(1, Math.ceil(opts.pairs / dist.k)) : clamp(Math.ceil(opts.pairs / (B * dist.k)), opts.minBatches, MAX_BATCHES);
  return { batches, exact: false, everyGpu: false };
}

export function buildStepSamples(dist: LayerDistribution, opts: SampleOptions): StepSamples {
  const B = Math.max(1, Math.floor(opts.batch));
  const G = Math.max(1, opts.gpus);
  const k = dist.k;
  const rng = new Rng(deriveSeed(opts.seed, dist.layer, B, 0x5a));
  const shape = sampleShape(dist, opts);
  if (dist.count === 0 || dist.total <= 0) return finish(dist, B, G, 0, new Float64Array(0), new Int32Array(0), new Int32Array(0), new Int32Array(0), true);
  if (shape.exact) {
    const everyGpu = shape.everyGpu;
    const S = shape.batches;
    const ids = new Int32Array(S * k);
    const origin = new Int32Array(S);
    const weight = new Float64Array(S);
    let t = 0;
    for (let i = 0; i < dist.count; i++) {
      const p = dist.weights[i] / dist.total;
      for (let o = 0; o < (everyGpu ? G : 1); o++, t++) {
        for (let j = 0; j < k; j++) ids[t * k + j] = dist.ids[i * k + j];
        origin[t] = everyGpu ? o : rng.int(G);
        weight[t] = everyGpu ? p / G : p;
      }
    }
    return finish(dist, 1, G, S, weight, ids, origin, new Int32Array(S), true);
  }
  const S = shape.batches;
  const ids = new Int32Array(S * B * k);
  const origin = new Int32Array(S * B);
  const localPos = new Int32Array(S * B);
  const weight = new Float64Array(S).fill(1 / S);
  const seq = opts.sequence && opts.sequence.tokens > 0 ? opts.sequence : undefined;
  const alias = seq ? undefined : new AliasTable(dist.weights.subarray(0, dist.count));
  for (let b = 0; b < S; b++) {
    const base = b * B;
    if (seq) {
      // One prompt chunk per GPU: the first B mod G GPUs take one token more.
      let t = base;
      for (let o = 0; o < G && t < base + B; o++) {
        const n = Math.floor(B / G) + (o < B % G ? 1 : 0);
        const start = rng.int(seq.tokens);
        for (let i = 0; i < n; i++, t++) {
          const src = ((start + i) % seq.tokens) * seq.stride + seq.offset;
          for (let j = 0; j < k; j++) ids[t * k + j] = seq.ids[src * k + j];
          origin[t] = o;
          localPos[t] = i;
        }
      }
    } else {
      const offset = rng.int(G);
      for (let i = 0; i < B; i++) {
        const t = base + i;
        const s = alias!.draw(rng);
        for (let j = 0; j < k; j++) ids[t * k + j] = dist.ids[s * k + j];
        origin[t] = (i + offset) % G;
        localPos[t] = Math.floor(i / G);
      }
    }
  }
  return finish(dist, B, G, S, weight, ids, origin, localPos, false);
}

function finish(
  dist: LayerDistribution,
  batch: number,
  gpus: number,
  batches: number,
  weight: Float64Array,
  ids: Int32Array,
  origin: Int32Array,
  localPos: Int32Array,
  exact: boolean,
): StepSamples {
  const n = dist.experts;
  const pairStart = new Int32Array(n + 1);
  for (let p = 0; p < ids.length; p++) pairStart[ids[p] + 1]++;
  for (let e = 0; e < n; e++) pairStart[e + 1] += pairStart[e];
  const fill = pairStart.slice(0, n);
  const pairList = new Int32Array(ids.length);
  for (let p = 0; p < ids.length; p++) pairList[fill[ids[p]]++] = p;
  const perBatch = batch * dist.k;
  const groupStart = new Int32Array(n + 1);
  const batchOf: number[] = [];
  const firstOf: number[] = [];
  for (let e = 0; e < n; e++) {
    groupStart[e] = batchOf.length;
    let last = -1;
    for (let i = pairStart[e]; i < pairStart[e + 1]; i++) {
      const b = (pairList[i] / perBatch) | 0;
      if (b !== last) {
        batchOf.push(b);
        firstOf.push(i);
        last = b;
      }
    }
  }
  groupStart[n] = batchOf.length;
  firstOf.push(ids.length);
  return {
    batch,
    k: dist.k,
    experts: n,
    gpus,
    batches,
    weight,
    ids,
    origin,
    localPos,
    pairStart,
    pairList,
    groupStart,
    groupBatch: Int32Array.from(batchOf),
    groupFirst: Int32Array.from(firstOf),
    exact,
  };
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, x));
}
