// Microseconds per MoE layer from the model and hardware figures: expert
// compute on each GPU (roofline: weight reads from HBM versus dense FLOP/s),
// then dispatch and combine of token activations over NVLink within a node
// and the network between nodes (latency + bytes / bandwidth).
// Formulas, assumptions and sources: docs/cost-model.md.
import type { DType, HardwareSpec, ModelSpec, Plan } from '../plan/types';
import type { LayerEvaluation, LayerLatency } from './types';

export const DTYPE_BYTES: Record<DType, number> = { fp32: 4, bf16: 2, fp16: 2, fp8: 1, int8: 1, int4: 0.5, fp4: 0.5 };

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
export function flopsPerTokenExpert(m: CostModel): number {
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
export function gpuComputeS(m: CostModel, h: CostHardware, distinct: number, tokenExperts: number): { s: number; memoryBound: boolean } {
  const mem = distinct * expertReadS(m, h);
  const math = tokenExperts * tokenExpertMathS(m, h);
  return { s: Math.max(mem, math), memoryBound: mem >= math };
}

/** Shared experts run on every GPU for its own tokens (B / G of them). */
export function sharedExpertS(m: CostModel, h: CostHardware, localTokens: number): number {
  if (m.sharedExperts <= 0 || localTokens <= 0) return 0;
  return gpuComputeS(m, h, m.sharedExperts, m.sharedExperts * localTokens).s;
}

/** Node of a GPU (GPUs are numbered node-major). */
export function nodeOf(gpu: number, h: CostHardware): number {
  return Math.floor(gpu / h.gpusPerNode);
}

/**
 * Per-GPU message counts of one all-to-all: messages[g] = { nvSend, nvRecv,
 * netSend, netRecv } in (token, expert) messages. Returns the all-to-all's
 * seconds: per GPU, NVLink and network run in parallel, each costing
 * latency (when used) + bytes / bandwidth of the larger of its send and
 * receive volume; the slowest GPU sets the time.
 */
export function allToAllS(h: CostHardware, bytesPerMessage: number, traffic: GpuTraffic[]): number {
  let worst = 0;
  for (const t of traffic) {
    const nv = Math.max(t.nvSend, t.nvRecv);
    const net = Math.max(t.netSend, t.netRecv);
    const nvS = nv > 0 ? h.nvlink.latencyS + (nv * bytesPerMessage) / h.nvlink.bytesPerS : 0;
    const netS = net > 0 ? h.network.latencyS + (net * bytesPerMessage) / h.network.bytesPerS : 0;
    worst = Math.max(worst, nvS, netS);
  }
  return worst;
}

export interface GpuTraffic {
  nvSend: number;
  nvRecv: number;
  netSend: number;
  netRecv: number;
}

/** Bytes of one token's activation vector (d elements). */
export function messageBytes(m: CostModel): number {
  return m.hidden * m.activationBytes;
}

/**
 * Expected traffic of one dispatch when B tokens start evenly spread over the
 * GPUs (data-parallel attention) and GPU g serves gpuLoad[g] (token, expert)
 * pairs per token. One message per (token, expert) pair, as DeepEP's
 * low-latency kernels send; pairs served on the token's own GPU cost nothing.
 */
export function expectedTraffic(h: CostHardware, gpuLoad: readonly number[], batch: number): GpuTraffic[] {
  const G = h.gpus;
  const perGpuTokens = batch / G;
  const nodeLoad = new Map<number, number>();
  let totalLoad = 0;
  for (let g = 0; g < G; g++) {
    const n = nodeOf(g, h);
    nodeLoad.set(n, (nodeLoad.get(n) ?? 0) + (gpuLoad[g] ?? 0));
    totalLoad += gpuLoad[g] ?? 0;
  }
  const out: GpuTraffic[] = [];
  for (let g = 0; g < G; g++) {
    const n = nodeOf(g, h);
    const inNode = Math.min(h.gpusPerNode, G - n * h.gpusPerNode);
    const load = gpuLoad[g] ?? 0;
    const sameNodeLoad = nodeLoad.get(n) ?? 0;
    out.push({
      // sends: its tokens' pairs served elsewhere in the node / in other nodes
      nvSend: perGpuTokens * (sameNodeLoad - load),
      netSend: perGpuTokens * (totalLoad - sameNodeLoad),
      // receives: pairs it serves for tokens of other GPUs in its node / other nodes
      nvRecv: batch * load * ((inNode - 1) / G),
      netRecv: batch * load * ((G - inNode) / G),
    });
  }
  return out;
}

/**
 * Expected distinct experts GPU g runs in a step of B tokens: each copy is
 * used when at least one token sends it work; a token activates expert e with
 * probability expertLoad[e] and picks among its c_e copies evenly.
 */
export function expectedDistinct(placement: readonly (readonly number[])[], expertLoad: readonly number[], batch: number): number[] {
  const copies = new Map<number, number>();
  for (const gpu of placement) for (const e of gpu) copies.set(e, (copies.get(e) ?? 0) + 1);
  return placement.map((gpu) => {
    let d = 0;
    for (const e of gpu) {
      const q = Math.min(1, (expertLoad[e] ?? 0) / (copies.get(e) ?? 1));
      d += 1 - Math.pow(1 - q, batch);
    }
    return d;
  });
}

/**
 * Predicted µs of one MoE layer for a step of `batch` tokens with a given
 * placement (GPU → experts) and its evaluation (E[T], per-GPU and per-expert
 * loads per token). Exact expectation of the compute at B = 1 (E[T] expert
 * reads on the slowest GPU); for B > 1 a mean-field estimate from expected
 * per-GPU loads (the sampled figure is in batching.ts). Dispatch and combine
 * from expected traffic.
 */
export function layerLatency(
  model: CostModel,
  hw: CostHardware,
  evaluation: Pick<LayerEvaluation, 'expectedTime' | 'gpuLoad' | 'expertLoad'>,
  batch: number,
  placement: readonly (readonly number[])[],
): LayerLatency {
  const B = Math.max(1, batch);
  const unitS = Math.max(expertReadS(model, hw), tokenExpertMathS(model, hw));
  // B = 1: the slowest GPU serves T experts of the token, one read each.
  let computeS = evaluation.expectedTime * unitS;
  let memoryBound = expertReadS(model, hw) >= tokenExpertMathS(model, hw);
  const distinct = expectedDistinct(placement, evaluation.expertLoad, B);
  for (let g = 0; g < placement.length; g++) {
    const c = gpuComputeS(model, hw, distinct[g], B * (evaluation.gpuLoad[g] ?? 0));
    if (c.s > computeS) {
      computeS = c.s;
      memoryBound = c.memoryBound;
    }
  }
  computeS += sharedExpertS(model, hw, B / hw.gpus);
  const traffic = expectedTraffic(hw, evaluation.gpuLoad, B);
  const bytes = messageBytes(model);
  const dispatchS = allToAllS(hw, bytes, traffic);
  // Combine sends the results back: the reverse of dispatch.
  const combineS = allToAllS(hw, bytes, traffic.map((t) => ({ nvSend: t.nvRecv, nvRecv: t.nvSend, netSend: t.netRecv, netRecv: t.netSend })));
  const us = (s: number) => s * 1e6;
  return {
    computeUs: us(computeS),
    dispatchUs: us(dispatchS),
    combineUs: us(combineS),
    totalUs: us(computeS + dispatchS + combineS),
    regime: memoryBound ? 'memory-bound' : 'compute-bound',
  };
}

/** layerLatency with the plan's figures (batch defaults to the plan's). */
export function planLayerLatency(
  plan: Plan,
  evaluation: Pick<LayerEvaluation, 'expectedTime' | 'gpuLoad' | 'expertLoad'>,
  placement: readonly (readonly number[])[],
  batch = plan.workload.batch.value,
): LayerLatency {
  return layerLatency(costModelOf(plan.model), costHardwareOf(plan.hardware), evaluation, batch, placement);
}

/** Batch size where one expert's math takes as long as reading its weights. */
export function rooflineTokens(m: CostModel, h: CostHardware): number {
  return expertReadS(m, h) / tokenExpertMathS(m, h);
}
