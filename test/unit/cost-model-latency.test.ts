import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rooflineTokens, type CostHardware, type CostModel } from '../../server/src/cost/latency';
import { buildStepSamples, StepEvaluator, stepCostsOf } from '../../server/src/cost/step';
import type { DispatchRule } from '../../server/src/plan/types';
import { planBatchSweep } from '../../server/src/cost/batching';
import { checkText } from '../../server/src/plan/check';
import { compareOffload } from '../../server/src/cost/offload';
import { distributionFromSubsets } from '../../server/src/workload/distribution';
import { generateSynthetic } from '../../server/src/workload/synthetic';

// Mixtral-8x7B in BF16 (its config.json on Hugging Face) on H100 SXM figures.
const mixtral: CostModel = {
  layers: 32,
  experts: 8,
  topK: 2,
  sharedExperts: 0,
  hidden: 4096,
  expertFfn: 14336,
  bytesPerExpert: 3 * 4096 * 14336 * 2,
  activationBytes: 2,
};
const h100x2: CostHardware = {
  gpus: 2,
  gpusPerNode: 2,
  hbmBytesPerS: 3.35e12,
  flops: 989e12,
  nvlink: { bytesPerS: 450e9, latencyS: 1e-6 },
  network: { bytesPerS: 50e9, latencyS: 3e-6 },
  pcie: { bytesPerS: 64e9, latencyS: 2e-6 },
};

/** Experts 0–3 on GPU 0, 4–7 on GPU 1: the placement the hand-computed cases use. */
const halves = [
  [0, 1, 2, 3],
  [4, 5, 6, 7],
];

test('offload formula, hand-checked (Mixtral BF16, decode of 1 token, PCIe 64 GB/s, network 50 GB/s)', () => {
  const r = compareOffload({
    layers: 32,
    bytesPerExpert: 352_321_536,
    activationBytesPerToken: 8192,
    experts: 8,
    topK: 2,
    tokens: 1,
    phase: 'decode',
    pcie: { bytesPerS: 64e9, latencyS: 2e-6 },
    net: { bytesPerS: 50e9, latencyS: 3e-6 },
  });
  // N_ue = min(2·1, 8) = 2; γ = ½ · 352321536/8192 · 50/64 · 2/1 = ½ · 43008 · 0.78125 · 2 = 33600
  assert.equal(r.usedExperts, 2);
  assert.ok(Math.abs(r.gamma - 33600) < 1e-6, `γ = ${r.gamma}`);
  // T_P − T_B = 32 · (2 µs + 2 · 352321536 B / 64 GB/s) = 32 · (2 + 11010.048) µs = 352385.536 µs
  assert.ok(Math.abs(r.offloadUs - 352385.536) < 1e-3, `${r.offloadUs}`);
  // T_EP − T_B = 2 · 32 · (3 µs + 8192 B / 50 GB/s) = 64 · (3 + 0.16384) µs = 202.48576 µs
  assert.ok(Math.abs(r.expertParallelUs - 202.48576) < 1e-6, `${r.expertParallelUs}`);
  assert.equal(r.advice, 'expert-parallel');
});

test('offload: long prefill with all experts used favours offload when γ < 1', () => {
  const r = compareOffload({
    layers: 32,
    bytesPerExpert: 352_321_536,
    activationBytesPerToken: 8192,
    experts: 8,
    topK: 2,
    tokens: 1_000_000,
    phase: 'prefill',
    pcie: { bytesPerS: 64e9, latencyS: 2e-6 },
    net: { bytesPerS: 50e9, latencyS: 3e-6 },
  });
  assert.equal(r.usedExperts, 8);
  // γ = ½ · 43008 · 0.78125 · 8e-6 = 0.1344
  assert.ok(Math.abs(r.gamma - 0.1344) < 1e-9);
  assert.equal(r.advice, 'offload');
  // with latency included, γ equals the ratio of the bandwidth terms only
  assert.ok(Math.abs(r.ratioWithLatency - r.gamma) / r.gamma < 0.01);
});

/** Step µs of one layer for a placement, on `batch`-token batches (B = 1: the whole distribution). */
function stepUs(
  model: CostModel,
  hw: CostHardware,
  dist: ReturnType<typeof distributionFromSubsets>,
  placement: number[][],
  batch: number,
  rule: DispatchRule = 'static',
) {
  const samples = buildStepSamples(dist, { batch, gpus: hw.gpus, seed: 1, pairs: 65536, minBatches: 8 });
  const ev = new StepEvaluator(samples, stepCostsOf(model, hw), rule, 1);
  ev.setPlacement(placement);
  const b = ev.breakdown();
  return { total: b.stepS * 1e6, compute: b.computeS * 1e6, dispatch: b.dispatchS * 1e6, combine: b.combineS * 1e6 };
}

test('one token, hand-computed: one expert read on each GPU plus one message each way over NVLink', () => {
  const dist = distributionFromSubsets(0, 8, 2, [[0, 4]], [1]);
  const r = stepUs(mixtral, h100x2, dist, halves, 1);
  const readUs = (352_321_536 / 3.35e12) * 1e6; // ≈ 105.2 µs
  assert.ok(Math.abs(r.compute - readUs) < 1e-9, `${r.compute}`);
  // The token starts on GPU 0 or GPU 1 (both enumerated); either way one 8 KiB message leaves it.
  const messageUs = 1 + (4096 * 2 * 1e6) / 450e9;
  assert.ok(Math.abs(r.dispatch - messageUs) < 1e-9 && Math.abs(r.combine - messageUs) < 1e-9, `${r.dispatch}`);
  assert.ok(Math.abs(r.total - (readUs + 2 * messageUs)) < 1e-9);
});

test('E[T] at batch 1 under balanced dispatch: T(S) reads on the slowest GPU', () => {
  const dist = distributionFromSubsets(
    0,
    8,
    2,
    [
      [0, 1],
      [0, 4],
      [2, 3],
    ],
    [1, 1, 2],
  );
  // no replication: T(S) is 2 for {0,1}, {2,3}; 1 for {0,4}: E[T] = (2 + 1 + 2·2) / 4 = 1.75
  const r = stepUs(mixtral, h100x2, dist, halves, 1, 'balanced');
  const readUs = (352_321_536 / 3.35e12) * 1e6;
  assert.ok(Math.abs(r.compute / readUs - 1.75) < 1e-12, `${r.compute / readUs}`);
});

test('regimes: compute-bound beyond the roofline batch', () => {
  const knee = rooflineTokens(mixtral, h100x2); // ≈ 295 tokens per expert
  assert.ok(knee > 250 && knee < 350, `${knee}`);
  // Every token uses experts 0 and 4, one on each GPU: each GPU runs B pairs of one expert.
  const dist = distributionFromSubsets(0, 8, 2, [[0, 4]], [1]);
  const B = Math.ceil(16 * knee);
  const big = stepUs(mixtral, h100x2, dist, halves, B);
  const expect = ((B * 6 * 4096 * 14336) / 989e12) * 1e6;
  assert.ok(Math.abs(big.compute - expect) / expect < 1e-9, `${big.compute} vs ${expect}`);
  const small = stepUs(mixtral, h100x2, dist, halves, 8);
  assert.ok(small.compute < big.compute);
});

test('DeepEP sanity: EP8, 128 tokens per GPU, d = 7168, top-8 of 256, at the measured 153 GB/s', () => {
  const v3: CostModel = {
    layers: 1,
    experts: 256,
    topK: 8,
    sharedExperts: 0,
    hidden: 7168,
    expertFfn: 2048,
    bytesPerExpert: 3 * 7168 * 2048,
    activationBytes: 1,
  };
  const hw: CostHardware = { ...h100x2, gpus: 8, gpusPerNode: 8, nvlink: { bytesPerS: 153e9, latencyS: 1e-6 } };
  const w = generateSynthetic({ kind: 'synthetic', tokens: 20000, seed: 4, skew: 0, concentration: 0, topics: 1 }, { layers: 1, experts: 256, topK: 8 });
  const placement = Array.from({ length: 8 }, (_, g) => Array.from({ length: 32 }, (_, i) => g * 32 + i));
  const fp8 = stepUs(v3, hw, w.layers[0], placement, 1024); // FP8 dispatch messages
  const bf16 = stepUs({ ...v3, activationBytes: 2 }, hw, w.layers[0], placement, 1024); // BF16 combine messages
  // measured: 77 µs dispatch, 114 µs combine; the model should be within a factor of 2
  assert.ok(fp8.dispatch > 77 / 2 && fp8.dispatch < 77 * 2, `dispatch ${fp8.dispatch}`);
  assert.ok(bf16.combine > 114 / 2 && bf16.combine < 114 * 2, `combine ${bf16.combine}`);
});

test('messages cross the network only between nodes', () => {
  const hw: CostHardware = { ...h100x2, gpus: 4, gpusPerNode: 2 };
  // Token {0, 2}: expert 0 on GPU 0, expert 2 on GPU 2 (other node).
  const dist = distributionFromSubsets(0, 4, 2, [[0, 2]], [1]);
  const oneNode = stepUs({ ...mixtral, experts: 4 }, { ...hw, gpusPerNode: 4 }, dist, [[0], [1], [2], [3]], 1);
  const twoNodes = stepUs({ ...mixtral, experts: 4 }, hw, dist, [[0], [1], [2], [3]], 1);
  assert.ok(twoNodes.dispatch > oneNode.dispatch, `${twoNodes.dispatch} vs ${oneNode.dispatch}`);
  const netUs = 3 + (8192 * 1e6) / 50e9;
  assert.ok(twoNodes.dispatch <= 2 * netUs + 1e-9);
});

test('batch sweep: step time grows with B and throughput rises; deterministic; balanced no slower than static on average', () => {
  const text = `model dbrx\ngpu h100-sxm x 4\nslots 6 per gpu\nworkload {\n  synthetic tokens 4000 seed 3 skew 1 concentration 0.5 topics 4\n  batch 32 tokens\n}\n`;
  const plan = checkText(text, '/tmp/sweep.moeplan').plan!;
  const w = generateSynthetic({ kind: 'synthetic', tokens: 4000, seed: 3, skew: 1, concentration: 0.5, topics: 4 }, { layers: 2, experts: 16, topK: 4 });
  const placement = Array.from({ length: 4 }, (_, g) => [0, 1, 2, 3].map((i) => g * 4 + i).concat([(g * 4 + 4) % 16, (g * 4 + 5) % 16]));
  const sweep = planBatchSweep(plan, w, [placement, placement], [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]);
  for (let i = 1; i < sweep.length; i++) {
    assert.ok(sweep[i].stepUs >= sweep[i - 1].stepUs * 0.98, `step ${sweep[i - 1].stepUs} → ${sweep[i].stepUs}`);
    assert.ok(sweep[i].tokensPerS > sweep[i - 1].tokensPerS, `throughput at ${sweep[i].batch}`);
  }
  assert.deepEqual(planBatchSweep(plan, w, [placement, placement], [8, 64]), planBatchSweep(plan, w, [placement, placement], [8, 64]));
  const better = sweep.filter((p) => p.byDispatch.balanced <= p.byDispatch.static * 1.0001).length;
  assert.ok(better >= sweep.length - 2, `balanced no slower at ${better} of ${sweep.length}`);
});
