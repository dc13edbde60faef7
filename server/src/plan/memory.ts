// Where one GPU's memory goes when the plan serves requests
// (docs/cost-model.md §7): the dense weights (attention, dense layers,
// embeddings: every GPU holds them under data-parallel attention), the
// shared experts, the expert slots, memory kept for activations, and the
// rest is KV cache. The five parts add up to the GPU's memory exactly; a
// negative KV share means the rest does not fit.
import type { KvSpec, Plan } from './types';
import { DEFAULTS } from './defaults';

interface MemoryBreakdown {
  /** The GPU's memory, bytes. */
  totalBytes: number;
  denseBytes: number;
  sharedBytes: number;
  slots: number;
  /** slots × MoE layers × bytes per expert. */
  expertBytes: number;
  activationBytes: number;
  /** What is left for the KV cache (negative when the rest does not fit). */
  kvBytes: number;
  /** Whole tokens of context the KV share holds (0 without a KV shape). */
  kvTokens: number;
  /** Bytes of one expert slot across all MoE layers. */
  slotBytes: number;
}

/** Bytes of memory per GPU that one expert slot (one expert in every MoE layer) takes. */
export function slotBytesOf(plan: Plan): number {
  return plan.model.layers.value * plan.model.bytesPerExpert.value;
}

/** Memory per GPU kept for activations: the `serve` block's, else 10% of the GPU's memory. */
function activationBytesOf(plan: Plan): number {
  return plan.serve?.activationBytes.value ?? plan.hardware.gpu.memoryBytes.value * DEFAULTS.activationFraction.value;
}

/** One GPU's memory with `slots` expert slots. */
export function memoryPerGpu(plan: Plan, slots: number): MemoryBreakdown {
  const m = plan.model;
  const totalBytes = plan.hardware.gpu.memoryBytes.value;
  const denseBytes = m.dense?.bytes.value ?? 0;
  const sharedBytes = m.sharedExperts.value * m.layers.value * m.bytesPerExpert.value;
  const slotBytes = slotBytesOf(plan);
  const expertBytes = slots * slotBytes;
  const activationBytes = activationBytesOf(plan);
  const kvBytes = totalBytes - denseBytes - sharedBytes - expertBytes - activationBytes;
  const perToken = m.kv?.bytesPerToken.value ?? 0;
  const kvTokens = perToken > 0 && kvBytes > 0 ? Math.floor(kvBytes / perToken) : 0;
  return { totalBytes, denseBytes, sharedBytes, slots, expertBytes, activationBytes, kvBytes, kvTokens, slotBytes };
}

/** KV-cache bytes one request of `context` tokens holds: every full-attention layer, and the sliding ones up to their window. */
export function kvBytesPerRequest(kv: KvSpec, context: number): number {
  return context * kv.bytesPerToken.value + kv.slidingLayers * Math.min(context, kv.window) * kv.bytesPerTokenLayer;
}

/** Requests of `context` tokens whose KV cache fits in `kvBytes`. */
export function requestsThatFit(kv: KvSpec, kvBytes: number, context: number): number {
  const per = kvBytesPerRequest(kv, context);
  return per > 0 && kvBytes > 0 ? Math.floor(kvBytes / per) : 0;
}

/** The most slots per GPU that still leave the KV cache of one request of `context` tokens (at most the expert count). */
export function maxSlotsForOneRequest(plan: Plan, context: number): number {
  const kv = plan.model.kv;
  const base = memoryPerGpu(plan, 0);
  const need = kv ? kvBytesPerRequest(kv, context) : 0;
  const s = Math.floor((base.kvBytes - need) / base.slotBytes + 1e-9);
  return Math.min(plan.model.experts.value, Math.max(-1, s));
}
