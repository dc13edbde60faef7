// simulatePaging on a resolved plan, the pinned-expert choice, and the blog
// formula set against the replay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Plan } from '../../server/src/plan/types';
import type { LayerDistribution, TokenSequence, Workload } from '../../server/src/workload/types';
import {
  choosePinned,
  compareWithFormula,
  distributionsFromSequence,
  needsPaging,
  sampleSequence,
  simulatePaging,
  type FormulaFigures,
} from '../../server/src/cost/paging';
import { planOffload } from '../../server/src/cost/offload';
import { pagingPlan } from './paging-fixtures';

/** A small plan: `layers` MoE layers of `experts` experts, top-2, BF16, one GPU by default. */
function plan(layers: number, experts: number, slotsPerGpu: number[], extra: Partial<Plan> = {}): Plan {
  return pagingPlan(
    {
      source: 'test',
      file: '/tmp/test.moeplan',
      name: 'tiny',
      layers,
      experts,
      topK: 2,
      hidden: 1024,
      ffn: 2048,
      bytesPerWeight: 2,
      slotsPerGpu,
      batch: 1,
      tokens: 1000,
      gpuName: 'H100',
      pcie: { bytesPerS: 55e9, latencyS: 10e-6 },
    },
    extra,
  );
}

/** Tokens with locality: each token keeps its previous expert pair with probability `stay`. */
function trace(tokens: number, layers: number, experts: number, seed: number, stay = 0.5): TokenSequence {
  let x = seed >>> 0 || 7;
  const rnd = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 4294967296;
  const ids = new Int32Array(tokens * layers * 2);
  const prev = Array.from({ length: layers }, () => [0, 1]);
  for (let t = 0; t < tokens; t++) {
    for (let l = 0; l < layers; l++) {
      if (rnd() > stay) {
        const a = Math.floor(rnd() * rnd() * experts);
        let b = Math.floor(rnd() * experts);
        if (b === a) b = (a + 1) % experts;
        prev[l] = [a, b];
      }
      ids[(t * layers + l) * 2] = prev[l][0];
      ids[(t * layers + l) * 2 + 1] = prev[l][1];
    }
  }
  return { tokens, layers, k: 2, ids };
}

function workloadOf(seq: TokenSequence, experts: number, withOrder = true): Workload {
  return {
    layers: distributionsFromSequence(seq, experts),
    description: 'test trace',
    notes: [],
    sequence: withOrder ? seq : undefined,
  };
}

test('choosePinned: co-activation pins a pair over a lone heavier expert', () => {
  // {0,1}×5, {2,3}×2, {0,2}×2, {2,4}×2 of 11: loads 0:7, 1:5, 2:6.
  const layer: LayerDistribution = {
    layer: 0,
    experts: 5,
    k: 2,
    ids: Int32Array.from([0, 1, 2, 3, 0, 2, 2, 4]),
    weights: Float64Array.from([5, 2, 2, 2]),
    count: 4,
    total: 11,
    coactivationKnown: true,
  };
  // 0 first (7/11); then 1 gains 5/11 + 5/11 (completes {0,1}) > 2's 6/11 + 2/11.
  assert.deepEqual([...choosePinned({ layers: [layer] }, 2)], [0, 1]);
  assert.deepEqual([...choosePinned({ layers: [layer] }, 1, { eligible: Uint8Array.from([0, 1, 1, 1, 1]) })], [2]);
  assert.deepEqual([...choosePinned({ layers: [layer] }, 0)], []);
  assert.throws(() => choosePinned({ layers: [layer] }, -1), /slots to pin must be a whole number ≥ 0, got -1/);
});

test('simulatePaging: figures add up per layer and overall, Belady is the bound', () => {
  const L = 4;
  const E = 8;
  const seq = trace(300, L, E, 11);
  const sim = simulatePaging(plan(L, E, [3]), workloadOf(seq, E));
  assert.equal(sim.perLayer.length, L);
  assert.deepEqual(Object.keys(sim.overall), ['lru', 'layer-lru', 'belady', 'static']);
  assert.equal(sim.details.static.pinned[0], 3 * L, 'static pins every slot');
  assert.ok(sim.overall.belady.misses <= sim.overall.static.misses);
  for (const policy of ['lru', 'layer-lru', 'belady']) {
    const o = sim.overall[policy];
    const misses = sim.perLayer.reduce((a, l) => a + l[policy].misses, 0);
    const us = sim.perLayer.reduce((a, l) => a + l[policy].usPerToken, 0);
    assert.equal(o.misses, misses);
    assert.ok(Math.abs(o.usPerToken - us) < 1e-6 * us);
    assert.ok(Math.abs(o.hitRate - o.hits / (o.hits + o.misses)) < 1e-12);
    assert.ok(o.usPerToken >= sim.residentUsPerToken);
    assert.ok(o.bytes >= o.misses * 3 * 1024 * 2048 * 2);
  }
  assert.ok(sim.overall.belady.misses <= sim.overall.lru.misses);
  assert.ok(sim.overall.belady.misses <= sim.overall['layer-lru'].misses);
  assert.equal(sim.details.belady.pinned[0], 0, 'the bound pins nothing');
  assert.equal(sim.chosen, 'layer-lru');
  assert.equal(sim.capacity[0], 3 * L);
});

test('simulatePaging: with room for every expert, only cold misses remain', () => {
  const seq = trace(100, 3, 4, 5);
  const sim = simulatePaging(plan(3, 4, [4]), workloadOf(seq, 4), { policies: ['lru'] });
  // Static pins all 12 expert-layers: nothing crosses PCIe.
  assert.equal(sim.overall.static.misses, 0);
  assert.equal(sim.overall.static.hitRate, 1);
  assert.ok(Math.abs(sim.overall.static.usPerToken - sim.residentUsPerToken) < 1e-9);
  // LRU never evicts: each unpinned expert-layer misses once at most.
  assert.ok(sim.overall.lru.misses <= 12 - sim.details.lru.pinned[0]);
});

test('simulatePaging: several GPUs share the layer and each owns a part', () => {
  const seq = trace(200, 2, 8, 3);
  const one = simulatePaging(plan(2, 8, [2]), workloadOf(seq, 8), { policies: ['belady'], prefetch: false });
  const two = simulatePaging(plan(2, 8, [2, 2]), workloadOf(seq, 8), { policies: ['belady'], prefetch: false });
  // Twice the slots: the optimum cannot miss more.
  assert.ok(two.overall.belady.misses <= one.overall.belady.misses);
  assert.equal(two.capacity.length, 2);
});

test('simulatePaging: a workload without token order is sampled, with a note', () => {
  const seq = trace(100, 2, 6, 9);
  const sim = simulatePaging(plan(2, 6, [2]), workloadOf(seq, 6, false), { sampleTokens: 500 });
  assert.equal(sim.tokens, 500);
  assert.match(sim.notes.join('\n'), /no token order; replayed 500 tokens drawn independently/);
});

test('simulatePaging: bad settings get clear errors', () => {
  const seq = trace(50, 2, 6, 1);
  const w = workloadOf(seq, 6);
  assert.throws(() => simulatePaging(plan(3, 6, [2]), w), /workload routes 2 layers but the model has 3 MoE layers/);
  assert.throws(() => simulatePaging(plan(2, 8, [2]), w), /workload layer 0 has 6 experts but the model has 8/);
  assert.throws(() => simulatePaging(plan(2, 6, [2]), w, { policies: ['fifo' as never] }), /unknown paging policy 'fifo'; use one of lru, layer-lru, belady/);
  assert.throws(() => simulatePaging(plan(2, 6, [2]), w, { pinFraction: 2 }), /between 0 and 1, got 2/);
  assert.throws(() => simulatePaging(plan(2, 6, [2]), w, { batch: 0 }), /batch must be a whole number of tokens ≥ 1/);
  assert.throws(() => simulatePaging(plan(2, 6, [-1]), w), /GPU 0: expert slots per layer must be a whole number ≥ 0, got -1/);
  const slowPcie = plan(2, 6, [2]);
  slowPcie.hardware.pcie.bytesPerS.value = 0;
  assert.throws(() => simulatePaging(slowPcie, w), /PCIe bandwidth must be a positive number, got 0/);
});

test('compareWithFormula: says when the formula and the replay disagree', () => {
  const seq = trace(300, 2, 8, 4);
  const p = plan(2, 8, [2]);
  const sim = simulatePaging(p, workloadOf(seq, 8), { policies: ['layer-lru'] });
  const stall = sim.overall['layer-lru'].usPerToken - sim.residentUsPerToken;
  assert.ok(stall > 0);
  const fig = (offloadUs: number, expertParallelUs: number): FormulaFigures => ({
    offloadUs,
    expertParallelUs,
    gamma: offloadUs / expertParallelUs,
    advice: offloadUs < expertParallelUs ? 'offload' : 'expert-parallel',
    usedExperts: 8,
    tokens: 10,
  });
  // Formula: offload 10× cheaper, but expert parallelism costs less than the replay's stall.
  const a = compareWithFormula(p, sim, 'layer-lru', fig(stall, stall * 5));
  assert.equal(a.agree, false);
  assert.equal(a.replayAdvice, 'expert-parallel');
  assert.match(a.message, /the formula says offload wins \(γ = 0\.20\), but the layer-lru replay's misses stall/);
  // Formula: expert parallelism, yet the cache makes offload cheap.
  const b = compareWithFormula(p, sim, 'layer-lru', fig(stall * 1000, stall * 100));
  assert.equal(b.agree, false);
  assert.equal(b.replayAdvice, 'offload');
  assert.match(b.message, /the formula says expert parallelism wins \(γ = 10\.00\), but the layer-lru cache serves/);
  // Both agree on expert parallelism.
  const c = compareWithFormula(p, sim, 'layer-lru', fig(stall, stall / 100));
  assert.equal(c.agree, true);
  assert.match(c.message, /^expert parallelism wins in both/);
  // By default the formula is cost/offload.ts's for the plan.
  const d = compareWithFormula(p, sim);
  assert.deepEqual(d.formula, planOffload(p));
  assert.equal(d.formula.usedExperts, 8);
  assert.ok(Math.abs(d.formulaOffloadUsPerToken - d.formula.offloadUs / d.formula.tokens) < 1e-9);
});

test('sampleSequence: same seed, same tokens; frequencies follow the weights', () => {
  const layer: LayerDistribution = {
    layer: 0,
    experts: 4,
    k: 2,
    ids: Int32Array.from([0, 1, 2, 3]),
    weights: Float64Array.from([3, 1]),
    count: 2,
    total: 4,
    coactivationKnown: true,
  };
  const a = sampleSequence([layer, layer], 4000, 7);
  const b = sampleSequence([layer, layer], 4000, 7);
  assert.deepEqual(a.ids, b.ids);
  assert.notDeepEqual(a.ids, sampleSequence([layer, layer], 4000, 8).ids);
  let first = 0;
  for (let t = 0; t < a.tokens * a.layers; t++) if (a.ids[t * 2] === 0) first++;
  const share = first / (a.tokens * a.layers);
  assert.ok(Math.abs(share - 0.75) < 0.03, `share of {0,1}: ${share}`);
  assert.throws(() => sampleSequence([layer], 0, 1), /tokens to sample must be a whole number ≥ 1, got 0/);
});

test('needsPaging: offload on, or slots short of one copy of every expert', () => {
  assert.equal(needsPaging(plan(2, 8, [4, 4], { offload: undefined })), false);
  assert.equal(needsPaging(plan(2, 8, [3, 4], { offload: undefined })), true);
  assert.equal(needsPaging(plan(2, 8, [4, 4])), true);
});
