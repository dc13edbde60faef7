// Many tokens per step: with B tokens per step, sample batches from the
// workload (seeded), route every (token, expert) pair to one copy, and time
// the step with the per-GPU roofline and all-to-all model of latency.ts.
// Two copy choices: "optimised" (greedy: each pair goes to the copy whose GPU
// finishes earliest after taking it, forced single-copy pairs first) and
// "engine" (as SGLang/vLLM do: the token's own GPU when it holds a copy,
// else a uniformly random copy). Details: docs/cost-model.md.
import type { Plan } from '../plan/types';
import type { LayerDistribution, TokenSequence, Workload } from '../workload/types';
import type { BatchPoint } from '../protocol';
import { AliasTable, Rng, deriveSeed } from '../workload/random';
import type { CostHardware, CostModel, GpuTraffic } from './latency';
import {
  allToAllS,
  costHardwareOf,
  costModelOf,
  expertReadS,
  messageBytes,
  nodeOf,
  sharedExpertS,
  tokenExpertMathS,
} from './latency';

export type CopyChoice = 'optimised' | 'engine';

export interface BatchingInput {
  model: CostModel;
  hardware: CostHardware;
  /** One entry per MoE layer: its distribution and its placement (GPU → experts). */
  layers: { dist: LayerDistribution; placement: readonly (readonly number[])[] }[];
  /** Token-order routing; used when `useSequence` (consecutive windows, e.g. prefill chunks). */
  sequence?: TokenSequence;
  useSequence?: boolean;
  seed?: number;
}

export interface StepEstimate {
  batch: number;
  /** Mean step time over samples, all layers, µs. */
  stepUs: number;
  computeUs: number;
  dispatchUs: number;
  combineUs: number;
  samples: number;
}

export const DEFAULT_BATCHES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

/** Samples per batch size: more for small batches (noisier), bounded work for large. */
export function defaultSamples(batch: number): number {
  return Math.max(4, Math.min(32, Math.ceil(1024 / batch)));
}

/** Layers timed per step at most by default; the rest are scaled from them. */
export const DEFAULT_MAX_LAYERS = 16;

/** `count` evenly spaced layer indices out of `layers` (all when count ≥ layers). */
export function spacedLayers(layers: number, count: number): number[] {
  if (count >= layers) return Array.from({ length: layers }, (_, l) => l);
  return Array.from({ length: count }, (_, i) => Math.floor(((i + 0.5) * layers) / count));
}

interface LayerTables {
  alias?: AliasTable;
  /** copies[e] = GPUs holding e */
  copies: number[][];
  gpus: number;
}

function prepare(input: BatchingInput): LayerTables[] {
  return input.layers.map(({ dist, placement }) => {
    const copies: number[][] = Array.from({ length: dist.experts }, () => []);
    placement.forEach((gpu, g) => {
      for (const e of gpu) if (e >= 0 && e < dist.experts && !copies[e].includes(g)) copies[e].push(g);
    });
    if (placement.length > 0) {
      const missing = copies.findIndex((c, e) => c.length === 0 && expertUsed(dist, e));
      if (missing >= 0) throw new RangeError(`layer ${dist.layer}: expert ${missing} has no copy on any GPU but tokens route to it`);
    }
    return { alias: dist.count > 0 && dist.total > 0 ? new AliasTable(dist.weights) : undefined, copies, gpus: placement.length };
  });
}

function expertUsed(dist: LayerDistribution, e: number): boolean {
  for (let i = 0; i < dist.count * dist.k; i++) if (dist.ids[i] === e) return true;
  return false;
}

/** Scratch buffers sized for the hardware, reused across steps. */
export class Scratch {
  readonly tokensOn: Float64Array;
  readonly distinctOn: Float64Array;
  readonly timeOn: Float64Array;
  readonly stamp: Int32Array;
  readonly traffic: GpuTraffic[];
  epoch = 0;
  constructor(
    readonly gpus: number,
    experts: number,
  ) {
    this.tokensOn = new Float64Array(gpus);
    this.distinctOn = new Float64Array(gpus);
    this.timeOn = new Float64Array(gpus);
    this.stamp = new Int32Array(gpus * experts);
    this.traffic = Array.from({ length: gpus }, () => ({ nvSend: 0, nvRecv: 0, netSend: 0, netRecv: 0 }));
  }
  reset(): void {
    this.tokensOn.fill(0);
    this.distinctOn.fill(0);
    this.timeOn.fill(0);
    for (const t of this.traffic) t.nvSend = t.nvRecv = t.netSend = t.netRecv = 0;
    this.epoch++;
  }
}

/**
 * Times one layer for one batch given as `tokens` subsets (flat, k each) with
 * origin GPU `origin[i]`. Returns seconds {compute, dispatch, combine}.
 */
export function layerStepS(
  model: CostModel,
  hw: CostHardware,
  copies: readonly (readonly number[])[],
  k: number,
  subsets: Int32Array,
  origin: Int32Array,
  count: number,
  choice: CopyChoice,
  rng: Rng,
  scratch: Scratch,
): { compute: number; dispatch: number; combine: number } {
  scratch.reset();
  const experts = copies.length;
  const read = expertReadS(model, hw);
  const math = tokenExpertMathS(model, hw);
  const { tokensOn, distinctOn, timeOn, stamp, traffic } = scratch;
  const epoch = scratch.epoch;
  const bytes = messageBytes(model);
  const nvPer = bytes / hw.nvlink.bytesPerS;
  const netPer = bytes / hw.network.bytesPerS;
  /** A GPU's all-to-all time given its message counts (one direction; combine mirrors it). */
  const linkS = (nvSend: number, nvRecv: number, netSend: number, netRecv: number): number => {
    const nv = Math.max(nvSend, nvRecv);
    const net = Math.max(netSend, netRecv);
    return Math.max(nv > 0 ? hw.nvlink.latencyS + nv * nvPer : 0, net > 0 ? hw.network.latencyS + net * netPer : 0);
  };
  let maxCompute = 0;
  let maxLink = 0;
  const assign = (o: number, e: number, g: number): void => {
    tokensOn[g]++;
    const key = g * experts + e;
    if (stamp[key] !== epoch) {
      stamp[key] = epoch;
      distinctOn[g]++;
    }
    timeOn[g] = Math.max(distinctOn[g] * read, tokensOn[g] * math);
    if (timeOn[g] > maxCompute) maxCompute = timeOn[g];
    if (o !== g) {
      const to = traffic[o];
      const tg = traffic[g];
      if (nodeOf(o, hw) === nodeOf(g, hw)) {
        to.nvSend++;
        tg.nvRecv++;
      } else {
        to.netSend++;
        tg.netRecv++;
      }
      maxLink = Math.max(maxLink, linkS(to.nvSend, to.nvRecv, to.netSend, to.netRecv), linkS(tg.nvSend, tg.nvRecv, tg.netSend, tg.netRecv));
    }
  };
  if (choice === 'engine') {
    for (let i = 0; i < count; i++) {
      const o = origin[i];
      for (let j = 0; j < k; j++) {
        const e = subsets[i * k + j];
        const c = copies[e];
        const g = c.includes(o) ? o : c[c.length === 1 ? 0 : rng.int(c.length)];
        assign(o, e, g);
      }
    }
  } else {
    // Forced pairs (one copy) first, then each remaining pair to the copy that
    // least increases the step's estimate: slowest GPU's compute plus twice
    // (dispatch + combine) the slowest GPU's link time. Ties: the smaller
    // local figure, then the token's own GPU, then a copy already active.
    for (let i = 0; i < count; i++)
      for (let j = 0; j < k; j++) {
        const e = subsets[i * k + j];
        if (copies[e].length === 1) assign(origin[i], e, copies[e][0]);
      }
    for (let i = 0; i < count; i++) {
      const o = origin[i];
      const oNode = nodeOf(o, hw);
      const to = traffic[o];
      for (let j = 0; j < k; j++) {
        const e = subsets[i * k + j];
        const c = copies[e];
        if (c.length === 1) continue;
        let best = -1;
        let bestObj = Infinity;
        let bestLocal = Infinity;
        let bestActive = false;
        for (const g of c) {
          const active = stamp[g * experts + e] === epoch;
          const t = Math.max((distinctOn[g] + (active ? 0 : 1)) * read, (tokensOn[g] + 1) * math);
          let link = 0;
          if (g !== o) {
            const tg = traffic[g];
            link =
              nodeOf(g, hw) === oNode
                ? Math.max(linkS(to.nvSend + 1, to.nvRecv, to.netSend, to.netRecv), linkS(tg.nvSend, tg.nvRecv + 1, tg.netSend, tg.netRecv))
                : Math.max(linkS(to.nvSend, to.nvRecv, to.netSend + 1, to.netRecv), linkS(tg.nvSend, tg.nvRecv, tg.netSend, tg.netRecv + 1));
          }
          const obj = Math.max(maxCompute, t) + 2 * Math.max(maxLink, link);
          const local = t + 2 * link;
          const eps = 1e-15;
          const better =
            obj < bestObj - eps ||
            (obj <= bestObj + eps &&
              (local < bestLocal - eps || (local <= bestLocal + eps && ((g === o && best !== o) || (best !== o && active && !bestActive)))));
          if (better) {
            best = g;
            bestObj = obj;
            bestLocal = local;
            bestActive = active;
          }
        }
        assign(o, e, best);
      }
    }
  }
  let compute = 0;
  for (let g = 0; g < timeOn.length; g++) compute = Math.max(compute, timeOn[g]);
  compute += sharedExpertS(model, hw, count / hw.gpus);
  const dispatch = allToAllS(hw, bytes, traffic);
  const combine = allToAllS(
    hw,
    bytes,
    traffic.map((t) => ({ nvSend: t.nvRecv, nvRecv: t.nvSend, netSend: t.netRecv, netRecv: t.netSend })),
  );
  return { compute, dispatch, combine };
}

/** Expected step time (all layers) at batch B with one copy choice. */
export function expectedStep(
  input: BatchingInput,
  batch: number,
  choice: CopyChoice,
  opts: { samples?: number; tables?: LayerTables[]; maxLayers?: number } = {},
): StepEstimate {
  const B = Math.max(1, Math.floor(batch));
  const tables = opts.tables ?? prepare(input);
  const samples = opts.samples ?? defaultSamples(B);
  const hw = input.hardware;
  const G = hw.gpus;
  const experts = input.layers[0]?.dist.experts ?? 0;
  const k = input.layers[0]?.dist.k ?? 0;
  const scratch = new Scratch(G, experts);
  const subsets = new Int32Array(B * k);
  const origin = new Int32Array(B);
  const seq = input.useSequence ? input.sequence : undefined;
  const timedLayers = spacedLayers(input.layers.length, opts.maxLayers ?? DEFAULT_MAX_LAYERS);
  let compute = 0;
  let dispatch = 0;
  let combine = 0;
  for (let s = 0; s < samples; s++) {
    const rng = new Rng(deriveSeed(input.seed ?? 1, B, s, choice === 'engine' ? 1 : 0));
    // Sampling stream independent of the copy choice and of B: both choices see the
    // same batches, and sample s at batch B is a prefix of sample s at 2B
    // (common random numbers keep the sweep smooth).
    const sampler = new Rng(deriveSeed(input.seed ?? 1, s, 7));
    const offset = sampler.int(G);
    for (let i = 0; i < B; i++) origin[i] = (i + offset) % G;
    const start = seq && seq.tokens > 0 ? sampler.int(seq.tokens) : 0;
    for (const l of timedLayers) {
      const { dist } = input.layers[l];
      const t = tables[l];
      if (t.gpus === 0) continue;
      if (seq && seq.tokens > 0) {
        for (let i = 0; i < B; i++) {
          const tok = (start + i) % seq.tokens;
          for (let j = 0; j < k; j++) subsets[i * k + j] = seq.ids[(tok * seq.layers + l) * k + j];
        }
      } else if (t.alias) {
        const layerSampler = new Rng(deriveSeed(input.seed ?? 1, s, 8, l));
        for (let i = 0; i < B; i++) {
          const sIdx = t.alias.draw(layerSampler);
          for (let j = 0; j < k; j++) subsets[i * k + j] = dist.ids[sIdx * k + j];
        }
      } else continue;
      const r = layerStepS(input.model, hw, t.copies, k, subsets, origin, B, choice, rng, scratch);
      compute += r.compute;
      dispatch += r.dispatch;
      combine += r.combine;
    }
  }
  // Layers not timed are taken to cost what the timed ones cost on average.
  const scale = timedLayers.length > 0 ? input.layers.length / timedLayers.length : 0;
  const us = (x: number) => ((x * scale) / samples) * 1e6;
  return { batch: B, stepUs: us(compute + dispatch + combine), computeUs: us(compute), dispatchUs: us(dispatch), combineUs: us(combine), samples };
}

/**
 * Throughput against latency as the batch grows: for each B, the expected
 * step time with optimised copy choice and with the engines' choice. A token
 * waits for its whole step, so its latency per MoE pass is the step time.
 */
export function batchSweep(
  input: BatchingInput,
  batches: readonly number[] = DEFAULT_BATCHES,
  opts: { samples?: number; maxLayers?: number } = {},
): BatchPoint[] {
  const tables = prepare(input);
  return batches.map((B) => {
    const opt = expectedStep(input, B, 'optimised', { ...opts, tables });
    const eng = expectedStep(input, B, 'engine', { ...opts, tables });
    return {
      batch: opt.batch,
      stepUs: opt.stepUs,
      latencyUsPerToken: opt.stepUs,
      tokensPerS: opt.stepUs > 0 ? (opt.batch / opt.stepUs) * 1e6 : 0,
      engineStepUs: eng.stepUs,
    };
  });
}

/** The batch sweep for a plan, its workload and per-layer placements (layer → GPU → experts). */
export function planBatchSweep(
  plan: Plan,
  workload: Workload,
  placements: readonly (readonly (readonly number[])[])[],
  batches: readonly number[] = DEFAULT_BATCHES,
  opts: { samples?: number; maxLayers?: number } = {},
): BatchPoint[] {
  const input: BatchingInput = {
    model: costModelOf(plan.model),
    hardware: costHardwareOf(plan.hardware),
    layers: workload.layers.map((dist, l) => ({ dist, placement: placements[l] ?? [] })),
    sequence: workload.sequence,
    useSequence: plan.workload.phase.value === 'prefill' && workload.sequence !== undefined,
    seed: plan.placement.seed,
  };
  return batchSweep(input, batches, opts);
}
