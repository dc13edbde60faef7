// Shared by the paging tests and bench/paging.bench.ts: a resolved Plan built
// directly (no .moeplan text), and hardware figures for the replay alone.
import type { Plan } from '../../server/src/plan/types';
import type { PagingHardware } from '../../server/src/cost/paging/types';

/** One transfer = 1 s, one expert run = 1 s, whatever the tokens: easy to count by hand. */
export const UNIT_HARDWARE: PagingHardware = {
  bytesPerExpert: 1,
  flopsPerTokenPerExpert: 0,
  hbmBytesPerS: 1,
  flops: 1,
  pcieBytesPerS: 1,
  pcieLatencyS: 0,
};

/** H100 SXM5 (NVIDIA H100 datasheet): 3.35 TB/s HBM, 989 TFLOP/s dense BF16. */
export const H100 = { hbmBytesPerS: 3.35e12, flops: 989e12 };

export interface PagingPlanOptions {
  /** Where the figures come from (each figure's `source`), and the plan's file name. */
  source: string;
  file?: string;
  name: string;
  layers: number;
  experts: number;
  topK: number;
  hidden: number;
  ffn: number;
  /** 1 for FP8 experts, 2 for BF16. */
  bytesPerWeight: number;
  slotsPerGpu: number[];
  batch: number;
  tokens: number;
  gpuName?: string;
  pcie: { bytesPerS: number; latencyS: number };
}

/** A plan with one node of H100s, offloading on (layer-lru, prefetch), nothing committed. */
export function pagingPlan(o: PagingPlanOptions, extra: Partial<Plan> = {}): Plan {
  const src = <T>(value: T) => ({ value, source: o.source });
  const link = (bytesPerS: number, latencyS: number) => ({ bytesPerS: src(bytesPerS), latencyS: src(latencyS) });
  return {
    file: o.file ?? o.source,
    model: {
      name: o.name,
      layers: src(o.layers),
      firstMoeLayer: src(0),
      totalLayers: src(o.layers),
      experts: src(o.experts),
      sharedExperts: src(0),
      topK: src(o.topK),
      hidden: src(o.hidden),
      expertFfn: src(o.ffn),
      weightDtype: src(o.bytesPerWeight === 1 ? 'fp8' : 'bf16'),
      activationDtype: src('bf16'),
      bytesPerExpert: src(3 * o.hidden * o.ffn * o.bytesPerWeight),
    },
    hardware: {
      gpu: { type: 'h100', name: o.gpuName ?? 'H100 SXM5', memoryBytes: src(80e9), hbmBytesPerS: src(H100.hbmBytesPerS), flops: src(H100.flops) },
      count: o.slotsPerGpu.length,
      nodes: 1,
      gpusPerNode: o.slotsPerGpu.length,
      nvlink: link(450e9, 1e-6),
      network: link(50e9, 3e-6),
      pcie: link(o.pcie.bytesPerS, o.pcie.latencyS),
      reserveBytes: src(0),
      slotsPerGpu: o.slotsPerGpu,
      slotsSource: o.source,
    },
    workload: { batch: src(o.batch), phase: src('decode'), tokens: src(o.tokens) },
    placement: {
      policy: src('greedy'),
      objective: src('latency'),
      dispatch: src('static'),
      timeBudgetMs: src(1000),
      seed: 1,
      replicas: false,
      pins: [],
      forbids: [],
      committed: new Map(),
    },
    offload: { enabled: true, policy: 'layer-lru', prefetch: true },
    refs: [],
    ...extra,
  };
}
