// A PlanResults with realistic shapes, built from a seeded generator, for
// tests that need a payload of a chosen size (e.g. 256 experts × 32 GPUs ×
// 58 layers) without running the solvers. Every figure is derived from the
// same placement and expert loads, so the charts show a consistent picture.
import type { LayerResult, PlanResults, PolicyFigure } from '../../server/src/protocol';

export interface SyntheticShape {
  layers: number;
  experts: number;
  gpus: number;
  topK: number;
  /** Expert slots per GPU; defaults to room for every expert plus two copies. */
  slotsPerGpu?: number;
  seed?: number;
  paging?: boolean;
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

function layerResult(layer: number, shape: Required<SyntheticShape>, rand: () => number): LayerResult {
  const { experts, gpus, topK, slotsPerGpu } = shape;
  // Popularity: lognormal-ish skew, normalised so loads sum to k.
  const raw = Array.from({ length: experts }, () => Math.exp(1.1 * (rand() + rand() + rand() - 1.5)));
  const total = raw.reduce((a, b) => a + b, 0);
  const expertLoad = raw.map((r) => (r / total) * topK);
  // Placement: most popular first onto the least loaded GPU with room, then
  // extra copies of the most popular experts while slots remain.
  const order = expertLoad.map((l, e) => [l, e] as const).sort((a, b) => b[0] - a[0]);
  const placement: number[][] = Array.from({ length: gpus }, () => []);
  const gpuLoadAcc = new Array<number>(gpus).fill(0);
  const pick = (expert: number): number => {
    let best = -1;
    for (let g = 0; g < gpus; g++) {
      if (placement[g].length >= slotsPerGpu || placement[g].includes(expert)) continue;
      if (best < 0 || gpuLoadAcc[g] < gpuLoadAcc[best]) best = g;
    }
    return best;
  };
  for (const [load, e] of order) {
    const g = pick(e);
    if (g < 0) break;
    placement[g].push(e);
    gpuLoadAcc[g] += load;
  }
  const copies = new Array<number>(experts).fill(1);
  for (const [, e] of order) {
    const g = pick(e);
    if (g < 0) break;
    placement[g].push(e);
    copies[e]++;
  }
  for (const p of placement) p.sort((a, b) => a - b);
  const gpuLoad = new Array<number>(gpus).fill(0);
  placement.forEach((p, g) => p.forEach((e) => (gpuLoad[g] += expertLoad[e] / copies[e])));

  // Roughly what the solvers report: ~1.6 for top-2 on 4 GPUs, ~2 for top-8 on 32.
  const expectedTime = 1 + 0.6 * Math.log2(1 + (topK * topK) / gpus) * (0.95 + 0.1 * rand()) + Math.max(...gpuLoad) * 0.1;
  const lowerBound = Math.max(1, expectedTime * (0.8 + 0.05 * rand()));
  const contiguous = expectedTime * (1.25 + 0.2 * rand());
  const roundRobin = expectedTime * (1.2 + 0.15 * rand());
  const eplb = expectedTime * (1.06 + 0.08 * rand());
  const usPer = 38 + 4 * rand();
  const policies: PolicyFigure[] = [
    { policy: 'contiguous', expectedTime: contiguous, latencyUs: contiguous * usPer },
    { policy: 'round-robin', expectedTime: roundRobin, latencyUs: roundRobin * usPer },
    { policy: 'eplb', expectedTime: eplb, latencyUs: eplb * usPer },
    { policy: 'greedy', expectedTime: expectedTime * 1.02, latencyUs: expectedTime * 1.02 * usPer, ms: 40 },
    { policy: 'search', expectedTime, latencyUs: expectedTime * usPer, ms: 900 },
    { policy: 'committed', expectedTime: expectedTime * 1.1, latencyUs: expectedTime * 1.1 * usPer },
    { policy: 'lower-bound', expectedTime: lowerBound, latencyUs: lowerBound * usPer },
  ];
  // P(T = t): mass around E[T], t from 0 to topK.
  const weights = Array.from({ length: topK + 1 }, (_, t) => (t === 0 ? 0 : Math.exp(-((t - expectedTime) ** 2) / 0.8)));
  const wsum = weights.reduce((a, b) => a + b, 0);
  const tDistribution = weights.map((w) => w / wsum);
  const partners = expertLoad.map((_, e) => [1, 2, 3].map((d): [number, number] => [(e + d * 7) % experts, 0.3 / d]));
  const result: LayerResult = {
    layer,
    placement,
    expectedTime,
    lowerBound,
    baselines: { contiguous, roundRobin, eplb },
    policies,
    latencyUs: expectedTime * usPer,
    latencyParts: { computeUs: expectedTime * usPer * 0.8, dispatchUs: expectedTime * usPer * 0.1, combineUs: expectedTime * usPer * 0.1 },
    lowerBoundUs: lowerBound * usPer,
    baselinesUs: { contiguous: contiguous * usPer, roundRobin: roundRobin * usPer, eplb: eplb * usPer, oneCopy: eplb * usPer * 1.05 },
    freeSlots: placement.map(() => 0),
    gpuLoad,
    expertLoad,
    tDistribution,
    committedExpectedTime: expectedTime * 1.1,
    partners,
  };
  if (shape.paging) {
    const hit = 0.55 + 0.3 * rand();
    result.paging = {
      lru: { hits: Math.round(hit * 1000), misses: Math.round((1 - hit) * 1000), bytes: 1e9, usPerToken: 120, hitRate: hit },
      'layer-lru': { hits: 0, misses: 0, bytes: 8e8, usPerToken: 100, hitRate: Math.min(0.99, hit + 0.05) },
      belady: { hits: 0, misses: 0, bytes: 6e8, usPerToken: 80, hitRate: Math.min(0.995, hit + 0.12) },
    };
  }
  return result;
}

export function syntheticResults(shapeIn: SyntheticShape): PlanResults {
  const shape: Required<SyntheticShape> = {
    seed: 7,
    paging: false,
    slotsPerGpu: Math.ceil(shapeIn.experts / shapeIn.gpus) + 2,
    ...shapeIn,
  };
  const rand = rng(shape.seed);
  const layers = Array.from({ length: shape.layers }, (_, l) => layerResult(l, shape, rand));
  const mean = (f: (l: LayerResult) => number) => layers.reduce((a, l) => a + f(l), 0) / layers.length;
  const expectedTime = mean((l) => l.expectedTime);
  const latencyUsPerToken = layers.reduce((a, l) => a + l.latencyUs, 0);
  const base = Math.ceil(shape.experts / shape.gpus);
  const memorySweep = Array.from({ length: 6 }, (_, i) => {
    const slots = base + i;
    const f = 1 + 0.6 / (1 + i);
    return { slotsPerGpu: slots, expectedTime: expectedTime * f * 0.9, eplb: expectedTime * f, lowerBound: expectedTime * 0.8 };
  });
  const batchSweep = [1, 4, 16, 64, 256, 1024].map((batch) => {
    const stepUs = latencyUsPerToken * (1 + Math.log2(batch) * 0.35);
    return {
      batch,
      stepUs,
      latencyUsPerToken: stepUs,
      tokensPerS: (batch / stepUs) * 1e6,
      byDispatch: { static: stepUs, random: stepUs * 1.15, balanced: stepUs * 0.95 },
    };
  });
  const results: PlanResults = {
    uri: 'file:///work/plans/synthetic.moeplan',
    version: 3,
    model: {
      name: `Synthetic ${shape.experts}×top-${shape.topK}`,
      layers: shape.layers,
      experts: shape.experts,
      topK: shape.topK,
      bytesPerExpert: 44 * 2 ** 20,
    },
    hardware: { gpu: 'H100-SXM', gpus: shape.gpus, nodes: Math.max(1, shape.gpus / 8), slotsPerGpu: new Array(shape.gpus).fill(shape.slotsPerGpu) },
    workload: { description: 'synthetic, 20000 tokens, seed 7', notes: [], batch: 64, phase: 'decode' },
    layers,
    objective: { name: 'latency', dispatch: 'static', batch: 64, measuredOn: '16 sampled batches of 64 tokens' },
    expectedTime,
    lowerBound: mean((l) => l.lowerBound),
    baselines: {
      contiguous: mean((l) => l.baselines.contiguous),
      roundRobin: mean((l) => l.baselines.roundRobin),
      eplb: mean((l) => l.baselines.eplb),
    },
    latencyUs: mean((l) => l.latencyUs),
    lowerBoundUs: mean((l) => l.lowerBoundUs),
    baselinesUs: {
      contiguous: mean((l) => l.baselinesUs.contiguous),
      roundRobin: mean((l) => l.baselinesUs.roundRobin),
      eplb: mean((l) => l.baselinesUs.eplb),
      oneCopy: mean((l) => l.baselinesUs.oneCopy),
    },
    latencyUsPerToken,
    freeSlots: new Array(shape.gpus).fill(0),
    freeBytesPerGpu: new Array(shape.gpus).fill(0),
    solver: { name: 'search', ms: 1234, optimal: false },
    memorySweep,
    batchSweep,
    offload: { offloadUs: 5200, expertParallelUs: 830, gamma: 6.3, advice: 'expert-parallel', phase: 'decode', tokens: 256 },
    notes: ['trace has loads only: co-activation assumed independent'],
  };
  if (shape.paging) {
    results.paging = layers[0].paging;
  }
  return results;
}
