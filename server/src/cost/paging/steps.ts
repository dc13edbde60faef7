// The replay's unit of work: one step = one layer of one batch. A step needs
// the union of the experts its batch's tokens route to in that layer; each
// distinct expert is one access (so B tokens sharing an expert load it once).
import type { TokenSequence } from '../../workload/types';
import { PagingError } from './types';

/** Steps in replay order: batch-major, then layer (step s = batch·L + layer). */
export interface StepStream {
  tokens: number;
  layers: number;
  experts: number;
  batch: number;
  steps: number;
  /** Accesses of step s are offsets[s] .. offsets[s+1]. */
  offsets: Int32Array;
  /** Expert-layer ids (layer·experts + expert), distinct within a step. */
  ids: Int32Array;
  /** Tokens of the batch routed to that expert in that step. */
  counts: Int32Array;
}

/** Group a token sequence into steps of `batch` tokens. Checks every id. */
export function buildSteps(seq: TokenSequence, experts: number, batch: number): StepStream {
  const { tokens, layers, k, ids } = seq;
  if (!Number.isInteger(batch) || batch < 1) {
    throw new PagingError(`batch must be a whole number of tokens ≥ 1, got ${batch}`);
  }
  if (!Number.isInteger(experts) || experts < 1) {
    throw new PagingError(`experts per layer must be ≥ 1, got ${experts}`);
  }
  if (ids.length !== tokens * layers * k) {
    throw new PagingError(`token sequence holds ${ids.length} ids but tokens × layers × k = ${tokens} × ${layers} × ${k}`);
  }
  const batches = Math.ceil(tokens / batch);
  const steps = batches * layers;
  const offsets = new Int32Array(steps + 1);
  // Upper bound on accesses: each step has at most min(batch·k, experts).
  const cap = Math.min(tokens * layers * k, steps * experts);
  let outIds = new Int32Array(cap);
  let outCounts = new Int32Array(cap);
  const seenAt = new Int32Array(layers * experts).fill(-1);
  const posOf = new Int32Array(layers * experts);
  let n = 0;
  for (let b = 0; b < batches; b++) {
    const t0 = b * batch;
    const t1 = Math.min(tokens, t0 + batch);
    for (let l = 0; l < layers; l++) {
      const s = b * layers + l;
      offsets[s] = n;
      const base = l * experts;
      for (let t = t0; t < t1; t++) {
        const off = (t * layers + l) * k;
        for (let j = 0; j < k; j++) {
          const e = ids[off + j];
          if (!(e >= 0 && e < experts)) {
            throw new PagingError(
              `token ${t}, layer ${l}: expert id ${e} is outside 0..${experts - 1}; ` + `the trace does not match the model's ${experts} experts per layer`,
            );
          }
          const id = base + e;
          if (seenAt[id] !== s) {
            seenAt[id] = s;
            posOf[id] = n;
            outIds[n] = id;
            outCounts[n] = 1;
            n++;
          } else {
            outCounts[posOf[id]]++;
          }
        }
      }
    }
  }
  offsets[steps] = n;
  if (n < cap) {
    outIds = outIds.slice(0, n);
    outCounts = outCounts.slice(0, n);
  }
  return { tokens, layers, experts, batch, steps, offsets, ids: outIds, counts: outCounts };
}

/** How many times each expert-layer id is accessed (a step counts once). */
export function accessCounts(stream: StepStream): Float64Array {
  const out = new Float64Array(stream.layers * stream.experts);
  // In chunks: a long loop run once is compiled on the stack and runs slower.
  for (let i = 0; i < stream.ids.length; i += CHUNK) countRange(stream.ids, out, i, Math.min(stream.ids.length, i + CHUNK));
  return out;
}

const CHUNK = 1 << 14;

function countRange(ids: Int32Array, out: Float64Array, i0: number, i1: number): void {
  for (let i = i0; i < i1; i++) out[ids[i]]++;
}
