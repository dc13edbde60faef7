// The part of a step outside the MoE layers, per GPU, under data-parallel
// attention (docs/cost-model.md §7): every GPU reads the dense weights
// (attention, dense layers, LM head) once per step and the KV cache of its
// own requests, and computes their dense GEMMs and attention, limited by
// whichever of HBM bandwidth and FLOP/s takes longer. The MoE layers' time
// comes from the step estimator (cost/step); a serving point adds the two.
import type { Plan } from '../plan/types';
import { kvBytesPerRequest } from '../plan/memory';

/** Bytes per element of the input embedding table (BF16 in every released checkpoint moeplan knows). */
const EMBEDDING_BYTES = 2;

interface AttentionStep {
  /** Seconds per step (the slowest GPU: every GPU carries the same share). */
  s: number;
  /** Bytes one GPU reads from HBM per step: dense weights and KV cache. */
  readBytes: number;
  kvReadBytes: number;
  flops: number;
}

/** What the serving model needs from a plan, in SI units. */
export interface ServingShape {
  phase: 'prefill' | 'decode';
  /** Tokens per request, prompt and output. */
  context: number;
  /** Output tokens per request (decode). */
  output: number;
  gpus: number;
}

export function servingShapeOf(plan: Plan): ServingShape {
  const context = plan.serve?.context.value ?? plan.workload.tokens.value;
  return {
    phase: plan.workload.phase.value,
    context,
    output: plan.workload.phase.value === 'decode' ? Math.min(plan.workload.tokens.value, context) : 0,
    gpus: plan.hardware.count,
  };
}

/**
 * Mean tokens of KV cache a decoding request holds over its output: the
 * prompt plus half the output (a request is at every length of its output
 * equally often).
 */
export function meanDecodeLength(shape: ServingShape): number {
  return Math.max(1, shape.context - shape.output / 2);
}

/** FLOPs of one query token attending to `length` cached tokens, over all attention layers. */
function attentionFlops(plan: Plan, length: number): number {
  const kv = plan.model.kv;
  if (!kv) return 0;
  return (kv.fullLayers * length + kv.slidingLayers * Math.min(length, kv.window)) * kv.flopsPerTokenLayer;
}

/** Dense weight bytes a step reads (the input embedding is gathered, not read whole) and parameters a token runs through. */
function denseStepFigures(plan: Plan): { readBytes: number; activeParams: number } {
  const d = plan.model.dense;
  if (!d) return { readBytes: 0, activeParams: 0 };
  const table = d.vocab.value * plan.model.hidden.value;
  return { readBytes: Math.max(0, d.bytes.value - table * EMBEDDING_BYTES), activeParams: Math.max(0, d.params.value - table) };
}

/**
 * The non-MoE time of one step with `perGpu` tokens on each GPU: decode,
 * one token for each of `perGpu` requests (each reads its cache at the mean
 * decode length); prefill, `perGpu` prompt tokens (each attends to half its
 * prompt on average, causal; the cache read is small beside the compute).
 */
export function attentionStep(plan: Plan, shape: ServingShape, perGpu: number): AttentionStep {
  const hw = plan.hardware.gpu;
  const dense = denseStepFigures(plan);
  const kv = plan.model.kv;
  let kvReadBytes = 0;
  let flops: number;
  if (shape.phase === 'decode') {
    const length = meanDecodeLength(shape);
    kvReadBytes = kv ? perGpu * kvBytesPerRequest(kv, length) : 0;
    flops = perGpu * (2 * dense.activeParams + attentionFlops(plan, length));
  } else {
    flops = perGpu * (2 * dense.activeParams + attentionFlops(plan, shape.context / 2));
  }
  const readBytes = dense.readBytes + kvReadBytes;
  const s = Math.max(readBytes / hw.hbmBytesPerS.value, flops / hw.flops.value);
  return { s, readBytes, kvReadBytes, flops };
}

/** Latency and throughput of one serving point from its MoE step time. */
interface ServingFigures {
  /** Seconds of one step through the whole model. */
  stepS: number;
  /** Decode: time per output token (= stepS); prefill: time to the first token. */
  latencyS: number;
  tokensPerS: number;
}

/** A step of `batch` tokens (all GPUs) whose MoE layers take `moeS` seconds in all. */
export function servingFigures(plan: Plan, shape: ServingShape, batch: number, moeS: number): ServingFigures {
  const perGpu = Math.ceil(batch / shape.gpus);
  const stepS = moeS + attentionStep(plan, shape, perGpu).s;
  // Prefill: a prompt longer than a GPU's share of the step takes several steps (chunked prefill).
  const latencyS = shape.phase === 'decode' ? stepS : Math.ceil(shape.context / perGpu) * stepS;
  return { stepS, latencyS, tokensPerS: stepS > 0 ? batch / stepS : 0 };
}
