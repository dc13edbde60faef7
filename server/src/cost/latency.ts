// The model and hardware figures of the cost model in SI units, and the
// per-GPU roofline a step is timed with (weight reads from HBM versus dense
// FLOP/s). The step itself — dispatch, compute, combine over sampled
// batches — is cost/step. Formulas, assumptions and sources: docs/cost-model.md.
import type { DType, HardwareSpec, ModelSpec } from '../plan/types';

const DTYPE_BYTES: Record<DType, number> = { fp32: 4, bf16: 2, fp16: 2, fp8: 1, int8: 1, int4: 0.5, fp4: 0.5 };

/** The model figures the cost model uses, in SI units. */
export interface CostModel {
  /** MoE layers. */
  layers: number;
  experts: number;
  topK: number;
  sharedExperts: number;
  /** Hidden size d. */
  hidden: number;
  /** Expert intermediate size f. */
  expertFfn: number;
  /** Weight bytes of one routed expert in one layer. */
  bytesPerExpert: number;
  /** Bytes per activation element sent in dispatch and combine. */
  activationBytes: number;
}

export interface CostLink {
  bytesPerS: number;
  latencyS: number;
}

/** The hardware figures the cost model uses, in SI units. */
export interface CostHardware {
  gpus: number;
  gpusPerNode: number;
  hbmBytesPerS: number;
  /** Dense FLOP/s the expert GEMMs reach (the preset gives BF16 dense). */
  flops: number;
  nvlink: CostLink;
  network: CostLink;
  pcie: CostLink;
}

export function costModelOf(m: ModelSpec): CostModel {
  return {
    layers: m.layers.value,
    experts: m.experts.value,
    topK: m.topK.value,
    sharedExperts: m.sharedExperts.value,
    hidden: m.hidden.value,
    expertFfn: m.expertFfn.value,
    bytesPerExpert: m.bytesPerExpert.value,
    activationBytes: DTYPE_BYTES[m.activationDtype.value] ?? 2,
  };
}

export function costHardwareOf(h: HardwareSpec): CostHardware {
  const link = (l: HardwareSpec['nvlink']): CostLink => ({ bytesPerS: l.bytesPerS.value, latencyS: l.latencyS.value });
  return {
    gpus: h.count,
    gpusPerNode: Math.max(1, Math.min(h.gpusPerNode, h.count)),
    hbmBytesPerS: h.gpu.hbmBytesPerS.value,
    flops: h.gpu.flops.value,
    nvlink: link(h.nvlink),
    network: link(h.network),
    pcie: link(h.pcie),
  };
}

/** FLOPs of one token through one expert: 3 GEMMs of d×f, 2 FLOPs per multiply-add. */
function flopsPerTokenExpert(m: CostModel): number {
  return 2 * 3 * m.hidden * m.expertFfn;
}

/** Seconds to read one expert's weights from HBM. */
export function expertReadS(m: CostModel, h: CostHardware): number {
  return m.bytesPerExpert / h.hbmBytesPerS;
}

/** Seconds of dense math for one token through one expert. */
export function tokenExpertMathS(m: CostModel, h: CostHardware): number {
  return flopsPerTokenExpert(m) / h.flops;
}

/**
 * One GPU's expert work in a step: it reads the weights of `distinct`
 * experts once and pushes `tokenExperts` (token, expert) pairs through them.
 * Roofline: the grouped GEMM is limited by whichever takes longer.
 */
function gpuComputeS(m: CostModel, h: CostHardware, distinct: number, tokenExperts: number): { s: number; memoryBound: boolean } {
  const mem = distinct * expertReadS(m, h);
  const math = tokenExperts * tokenExpertMathS(m, h);
  return { s: Math.max(mem, math), memoryBound: mem >= math };
}

/** Shared experts run on every GPU for its own tokens (B / G of them). */
export function sharedExpertS(m: CostModel, h: CostHardware, localTokens: number): number {
  if (m.sharedExperts <= 0 || localTokens <= 0) return 0;
  return gpuComputeS(m, h, m.sharedExperts, m.sharedExperts * localTokens).s;
}

/** Bytes of one token's activation vector (d elements). */
export function messageBytes(m: CostModel): number {
  return m.hidden * m.activationBytes;
}

/** Batch size where one expert's math takes as long as reading its weights. */
export function rooflineTokens(m: CostModel, h: CostHardware): number {
  return expertReadS(m, h) / tokenExpertMathS(m, h);
}
