// simulatePaging: a plan whose GPUs cannot hold every expert, replayed
// through each paging policy. Decides the inputs the replay needs from the
// plan (slots, hardware, batch), which GPU owns each expert-layer, and which
// expert-layers stay pinned; returns figures in the shape of PlanResults.
import type { Plan } from '../../plan/types';
import type { PagingFigures } from '../../protocol';
import type { LayerDistribution, TokenSequence, Workload } from '../../workload/types';
import { choosePinned } from './pinned';
import { replay } from './replay';
import { sampleSequence } from './sample';
import { buildSteps, type StepStream } from './steps';
import { PAGING_POLICIES, PagingError, type PagingHardware, type PagingPolicy, type ReplayResult } from './types';

interface PagingOptions {
  /** Policies to replay (default: all three). */
  policies?: PagingPolicy[];
  /** Tokens per step (default: the plan's batch). */
  batch?: number;
  /** Default: the plan's `offload { prefetch }`, else on. */
  prefetch?: boolean;
  /** Prefetch only experts used in at least this share of their layer's steps (default 0.5). */
  prefetchMinShare?: number;
  /**
   * Share of each GPU's slots given to pinned experts, or 'auto': try
   * 0, ¼, ½ and ¾ on (a prefix of) the trace and keep the fastest per policy.
   * Belady (the bound) pins none under 'auto': pinning can only add misses
   * to the optimum.
   */
  pinFraction?: number | 'auto';
  /**
   * Also report 'static': every slot pinned (the best expert-layers by load
   * and co-activation), the rest streamed for each use, no cache. Default on.
   */
  staticBaseline?: boolean;
  /** 'auto' pinning tries its shares on at most this many token-layers (default 50,000). */
  autoSearchTokenLayers?: number;
  /** Expert slots per GPU per layer (default: the plan's). */
  slotsPerGpu?: number[];
  /** Owner GPU per layer and expert: [layer][gpu] = expert ids (e.g. a solver placement). */
  owners?: number[][][];
  /** Tokens to draw when the workload has no token order (default 2,000). */
  sampleTokens?: number;
  seed?: number;
}

export interface PolicyDetail {
  /** Expert-layers pinned per GPU. */
  pinned: number[];
  prefetches: number;
  prefetchHits: number;
  bypasses: number;
  ms: number;
}

export interface PagingSimulation {
  /** Index = MoE layer; keys: the policies replayed, and 'static'. */
  perLayer: Record<string, PagingFigures>[];
  overall: Record<string, PagingFigures>;
  /** µs per token if every expert were resident (same batch, same roofline). */
  residentUsPerToken: number;
  /** Per policy (and 'static'): what was pinned, prefetch counts, time taken. */
  details: Record<string, PolicyDetail>;
  batch: number;
  tokens: number;
  steps: number;
  prefetch: boolean;
  /** Expert-layer slots per GPU (slots per layer × layers). */
  capacity: number[];
  /** The plan's own policy (offload block), or layer-lru. */
  chosen: PagingPolicy;
  notes: string[];
  /** Milliseconds for everything (all replays). */
  ms: number;
}

const AUTO_PIN_FRACTIONS = [0, 0.25, 0.5, 0.75];

/** Key of the no-cache baseline in the figures (all slots pinned). */
export const STATIC_POLICY = 'static';

/** The replay's hardware figures from a resolved plan. */
function pagingHardware(plan: Plan): PagingHardware {
  const m = plan.model;
  const hw = plan.hardware;
  return {
    bytesPerExpert: m.bytesPerExpert.value,
    flopsPerTokenPerExpert: 2 * 3 * m.hidden.value * m.expertFfn.value,
    hbmBytesPerS: hw.gpu.hbmBytesPerS.value,
    flops: hw.gpu.flops.value,
    pcieBytesPerS: hw.pcie.bytesPerS.value,
    pcieLatencyS: hw.pcie.latencyS.value,
  };
}

/** Does this plan need paging: offload on, or slots short of one copy of every expert? */
export function needsPaging(plan: Plan): boolean {
  if (plan.offload?.enabled) return true;
  const slots = plan.hardware.slotsPerGpu.reduce((a, b) => a + b, 0);
  return slots < plan.model.experts.value;
}

export function simulatePaging(plan: Plan, workload: Workload, options: PagingOptions = {}): PagingSimulation {
  const started = performance.now();
  const notes: string[] = [];
  const L = plan.model.layers.value;
  const E = plan.model.experts.value;
  const policies = options.policies ?? [...PAGING_POLICIES];
  for (const p of policies) {
    if (!PAGING_POLICIES.includes(p)) {
      throw new PagingError(`unknown paging policy '${p}'; use one of ${PAGING_POLICIES.join(', ')}`);
    }
  }
  const batch = options.batch ?? plan.workload.batch.value;
  const prefetch = options.prefetch ?? plan.offload?.prefetch ?? true;
  const slots = options.slotsPerGpu ?? plan.hardware.slotsPerGpu;
  if (slots.length === 0) throw new PagingError('the plan has no GPUs to page experts into');
  slots.forEach((s, g) => {
    if (!Number.isInteger(s) || s < 0) {
      throw new PagingError(`GPU ${g}: expert slots per layer must be a whole number ≥ 0, got ${s}`);
    }
  });
  const capacity = slots.map((s) => s * L);
  const pinFraction = options.pinFraction ?? 'auto';
  if (pinFraction !== 'auto' && !(pinFraction >= 0 && pinFraction <= 1)) {
    throw new PagingError(`pinned share of the slots must be between 0 and 1, got ${pinFraction}`);
  }
  const distributions = checkDistributions(workload.layers, L, E);

  const seq = tokenOrder(workload, distributions, L, options, notes);
  const stream = buildSteps(seq, E, batch);
  const hardware = pagingHardware(plan);
  const owner = ownerMap(distributions, slots, L, E, options.owners);

  // Pinned sets per fraction, shared by the policies that try them.
  const pinnedCache = new Map<number, { mask: Uint8Array; perGpu: number[] }>();
  const pinnedFor = (f: number) => {
    let p = pinnedCache.get(f);
    if (!p) {
      const mask = new Uint8Array(L * E);
      const perGpu: number[] = [];
      for (let g = 0; g < slots.length; g++) {
        const eligible = new Uint8Array(L * E);
        for (let id = 0; id < L * E; id++) eligible[id] = owner[id] === g ? 1 : 0;
        const chosen = choosePinned({ layers: distributions }, Math.floor(f * capacity[g]), { eligible });
        for (const id of chosen) mask[id] = 1;
        perGpu.push(chosen.length);
      }
      p = { mask, perGpu };
      pinnedCache.set(f, p);
    }
    return p;
  };

  const perLayer: Record<string, PagingFigures>[] = Array.from({ length: L }, () => ({}));
  const overall: Record<string, PagingFigures> = {};
  const details: Record<string, PolicyDetail> = {};
  let residentS = 0;
  // 'auto' compares pin shares on a prefix of the trace when it is long.
  const searchLimit = options.autoSearchTokenLayers ?? 50_000;
  const searchTokens = Math.max(batch, Math.min(seq.tokens, Math.ceil(searchLimit / L / batch) * batch));
  const searchStream =
    searchTokens < seq.tokens ? buildSteps({ ...seq, tokens: searchTokens, ids: seq.ids.subarray(0, searchTokens * L * seq.k) }, E, batch) : stream;
  const run = (policy: PagingPolicy, f: number, st: StepStream) =>
    replay(st, {
      policy,
      capacity,
      owner,
      pinned: pinnedFor(f).mask,
      prefetch,
      prefetchMinShare: options.prefetchMinShare,
      hardware,
    });

  const record = (key: string, r: ReplayResult, f: number) => {
    residentS = sum(r.residentTimeS);
    for (let l = 0; l < L; l++) {
      perLayer[l][key] = figures(r.hits[l], r.misses[l], r.bytes[l], r.timeS[l], seq.tokens);
    }
    overall[key] = figures(sum(r.hits), sum(r.misses), sum(r.bytes), sum(r.timeS), seq.tokens);
    details[key] = {
      pinned: pinnedFor(f).perGpu,
      prefetches: sum(r.prefetches),
      prefetchHits: sum(r.prefetchHits),
      bypasses: r.bypasses,
      ms: r.ms,
    };
  };
  for (const policy of policies) {
    const fractions = pinFraction !== 'auto' ? [pinFraction] : policy === 'belady' ? [0] : AUTO_PIN_FRACTIONS;
    let bestF = fractions[0];
    if (fractions.length > 1) {
      let bestTime = Infinity;
      for (const f of fractions) {
        const time = sum(run(policy, f, searchStream).timeS);
        if (time < bestTime - 1e-15) {
          bestTime = time;
          bestF = f;
        }
      }
    }
    record(policy, run(policy, bestF, stream), bestF);
  }
  if (options.staticBaseline ?? true) record(STATIC_POLICY, run('lru', 1, stream), 1);
  return {
    perLayer,
    overall,
    residentUsPerToken: (residentS / seq.tokens) * 1e6,
    details,
    batch,
    tokens: seq.tokens,
    steps: stream.steps,
    prefetch,
    capacity,
    chosen: plan.offload?.policy ?? 'layer-lru',
    notes,
    ms: performance.now() - started,
  };
}

function figures(hits: number, misses: number, bytes: number, timeS: number, tokens: number): PagingFigures {
  const n = hits + misses;
  return { hits, misses, bytes, usPerToken: (timeS / tokens) * 1e6, hitRate: n > 0 ? hits / n : 1 };
}

function sum(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

function checkDistributions(layers: LayerDistribution[], L: number, E: number): LayerDistribution[] {
  if (layers.length !== L) {
    throw new PagingError(
      `the workload routes ${layers.length} layers but the model has ${L} MoE layers; ` + `use a trace of this model or set the model's layers`,
    );
  }
  for (const d of layers) {
    if (d.experts !== E) {
      throw new PagingError(`workload layer ${d.layer} has ${d.experts} experts but the model has ${E}`);
    }
  }
  return layers;
}

function tokenOrder(workload: Workload, layers: LayerDistribution[], L: number, options: PagingOptions, notes: string[]): TokenSequence {
  const seq = workload.sequence;
  if (seq && seq.tokens > 0) {
    if (seq.layers !== L) {
      throw new PagingError(`the trace's token order has ${seq.layers} layers but the model has ${L} MoE layers`);
    }
    return seq;
  }
  const tokens = options.sampleTokens ?? 2000;
  notes.push(
    `paging: the workload has no token order; replayed ${tokens} tokens drawn independently from its ` +
      `per-layer statistics (no temporal locality, so hit rates are pessimistic)`,
  );
  return sampleSequence(layers, tokens, options.seed ?? 1);
}

/**
 * Owner GPU of each expert-layer. One GPU owns everything. With several, a
 * given placement decides (first GPU listing the expert); experts it leaves
 * out, or all of them without one, go to the GPU with the least load per slot
 * among those still under their share of the layer's experts.
 */
function ownerMap(layers: LayerDistribution[], slots: number[], L: number, E: number, owners: number[][][] | undefined): Int32Array {
  const G = slots.length;
  const owner = new Int32Array(L * E);
  if (G === 1) return owner;
  const totalSlots = slots.reduce((a, b) => a + b, 0);
  for (let l = 0; l < L; l++) {
    const load = expertLoads(layers[l]);
    const assigned = new Int32Array(E).fill(-1);
    const count = new Int32Array(G);
    const gpuLoad = new Float64Array(G);
    const given = owners?.[l];
    if (given) {
      given.forEach((experts, g) => {
        if (g >= G) throw new PagingError(`layer ${l}: placement names GPU ${g} but the plan has ${G} GPUs`);
        for (const e of experts) {
          if (!(e >= 0 && e < E)) throw new PagingError(`layer ${l}: placement names expert ${e}, outside 0..${E - 1}`);
          if (assigned[e] < 0) {
            assigned[e] = g;
            count[g]++;
            gpuLoad[g] += load[e];
          }
        }
      });
    }
    const share = (g: number) => (totalSlots > 0 ? Math.ceil((E * slots[g]) / totalSlots) : Math.ceil(E / G));
    const order = Array.from({ length: E }, (_, e) => e).sort((a, b) => load[b] - load[a] || a - b);
    for (const e of order) {
      if (assigned[e] >= 0) continue;
      let bestG = -1;
      let bestV = Infinity;
      for (let g = 0; g < G; g++) {
        if (count[g] >= share(g)) continue;
        const v = gpuLoad[g] / Math.max(1, slots[g]);
        if (v < bestV) {
          bestV = v;
          bestG = g;
        }
      }
      if (bestG < 0) bestG = count.indexOf(Math.min(...count));
      assigned[e] = bestG;
      count[bestG]++;
      gpuLoad[bestG] += load[e];
    }
    for (let e = 0; e < E; e++) owner[l * E + e] = assigned[e];
  }
  return owner;
}

function expertLoads(d: LayerDistribution): Float64Array {
  const load = new Float64Array(d.experts);
  for (let s = 0; s < d.count; s++) for (let j = 0; j < d.k; j++) load[d.ids[s * d.k + j]] += d.weights[s];
  return load;
}
