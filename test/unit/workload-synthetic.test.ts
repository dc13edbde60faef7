import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSynthetic, groupSets, setChances, syntheticLayer, syntheticTopics } from '../../server/src/workload/synthetic';
import { expertLoads, subsetAt } from '../../server/src/workload/distribution';
import { Rng } from '../../server/src/workload/random';
import type { SyntheticSpec } from '../../server/src/plan/types';

const spec = (over: Partial<SyntheticSpec> = {}): SyntheticSpec => ({
  kind: 'synthetic',
  tokens: 3000,
  seed: 7,
  skew: 1,
  concentration: 0.6,
  topics: 8,
  ...over,
});

test('deterministic per seed, different across seeds', () => {
  const m = { layers: 3, experts: 16, topK: 4 };
  const a = generateSynthetic(spec(), m);
  const b = generateSynthetic(spec(), m);
  const c = generateSynthetic(spec({ seed: 8 }), m);
  for (let l = 0; l < 3; l++) {
    assert.deepEqual(a.layers[l].ids, b.layers[l].ids);
    assert.deepEqual(a.layers[l].weights, b.layers[l].weights);
  }
  assert.deepEqual(a.sequence!.ids, b.sequence!.ids);
  assert.notDeepEqual(a.sequence!.ids, c.sequence!.ids);
});

test('requested shape: layers, k distinct valid ids, total = tokens, sequence consistent with distributions', () => {
  const m = { layers: 4, experts: 32, topK: 6 };
  const w = generateSynthetic(spec({ tokens: 2000 }), m);
  assert.equal(w.layers.length, 4);
  for (const d of w.layers) {
    assert.equal(d.k, 6);
    assert.equal(d.total, 2000);
    for (let i = 0; i < d.count; i++) {
      const s = subsetAt(d, i);
      assert.equal(new Set(s).size, 6);
      assert.ok(s.every((e) => e >= 0 && e < 32));
    }
  }
  const seq = w.sequence!;
  assert.equal(seq.tokens, 2000);
  // the sequence's layer-2 subsets, counted, give layer 2's distribution
  const counts = new Map<string, number>();
  for (let t = 0; t < seq.tokens; t++) {
    const key = Array.from(seq.ids.subarray((t * 4 + 2) * 6, (t * 4 + 2) * 6 + 6))
      .sort((a, b) => a - b)
      .join(',');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const d = w.layers[2];
  for (let i = 0; i < d.count; i++) assert.equal(counts.get(subsetAt(d, i).join(',')), d.weights[i]);
});

test('skew 0 and no topics gives near-uniform loads; higher skew concentrates load', () => {
  const m = { layers: 1, experts: 16, topK: 2 };
  const flat = expertLoads(generateSynthetic(spec({ tokens: 20000, skew: 0, topics: 0 }), m).layers[0]);
  for (const x of flat) assert.ok(Math.abs(x - 2 / 16) < 0.02, `load ${x}`);
  const skewed = expertLoads(generateSynthetic(spec({ tokens: 20000, skew: 2, topics: 0 }), m).layers[0]);
  assert.ok(Math.max(...skewed) > 2 * Math.max(...flat));
});

test('concentration makes subsets repeat more (fewer distinct subsets)', () => {
  const m = { layers: 1, experts: 64, topK: 6 };
  const loose = generateSynthetic(spec({ tokens: 5000, concentration: 0 }), m).layers[0].count;
  const tight = generateSynthetic(spec({ tokens: 5000, concentration: 0.95, topics: 4 }), m).layers[0].count;
  assert.ok(tight < loose, `${tight} vs ${loose}`);
});

test('group-limited routing: every token within its top groups', () => {
  const m = { layers: 2, experts: 64, topK: 8, groups: { count: 8, topGroups: 3 } };
  const w = generateSynthetic(spec({ tokens: 3000 }), m);
  for (const d of w.layers) for (let i = 0; i < d.count; i++) assert.ok(new Set(subsetAt(d, i).map((e) => e >> 3)).size <= 3);
  assert.match(w.description, /group-limited 3 of 8/);
});

test('sequence is capped by maxSequenceIds, with a note', () => {
  const m = { layers: 2, experts: 16, topK: 2 };
  const w = generateSynthetic(spec({ tokens: 1000 }), m, { maxSequenceIds: 400 });
  assert.equal(w.sequence!.tokens, 100);
  assert.ok(w.notes.some((n) => /first 100 of 1,000/.test(n)));
  assert.equal(generateSynthetic(spec({ tokens: 10 }), m, { maxSequenceIds: 0 }).sequence, undefined);
});

test('bad specs are refused with the reason', () => {
  const m = { layers: 1, experts: 16, topK: 4 };
  assert.throws(() => generateSynthetic(spec({ tokens: 0 }), m), /tokens must be a positive integer/);
  assert.throws(() => generateSynthetic(spec({ concentration: 2 }), m), /concentration/);
  assert.throws(() => generateSynthetic(spec(), { ...m, groups: { count: 3, topGroups: 1 } }), /equal routing groups/);
  assert.throws(() => generateSynthetic(spec(), { ...m, groups: { count: 8, topGroups: 1 } }), /cannot fit/);
});

test('PRNG: uniform-ish and reproducible', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const bins = new Array(10).fill(0);
  for (let i = 0; i < 20000; i++) {
    const x = a.next();
    assert.equal(x, b.next());
    assert.ok(x >= 0 && x < 1);
    bins[Math.floor(x * 10)]++;
  }
  for (const c of bins) assert.ok(Math.abs(c - 2000) < 200, `bin ${c}`);
});

test('layers generated one by one equal the whole workload (for parallel generation)', () => {
  const m = { layers: 3, experts: 64, topK: 6, groups: { count: 8, topGroups: 2 } };
  const s = spec({ tokens: 1500 });
  const whole = generateSynthetic(s, m);
  const topics = syntheticTopics(s);
  for (const l of [2, 0]) {
    const one = syntheticLayer(s, m, l, topics);
    assert.deepEqual(one.ids, whole.layers[l].ids);
    assert.deepEqual(one.weights, whole.layers[l].weights);
  }
});

test('chance of each set of top groups equals drawing groups one by one in proportion to mass', () => {
  // masses 1, 2, 3; two groups: P({0,1}) = 1/6·2/5 + 2/6·1/4 = 0.15, P({0,2}) = 1/6·3/5 + 3/6·1/3, P({1,2}) = 2/6·3/4 + 3/6·2/3
  const sets = groupSets(3, 2)!;
  assert.deepEqual(sets, [0b011, 0b101, 0b110]);
  const p = setChances(new Float64Array([1, 2, 3]), sets, 2)!;
  const expected = [0.15, 1 / 10 + 1 / 6, 1 / 4 + 1 / 3];
  p.forEach((x, i) => assert.ok(Math.abs(x - expected[i]) < 1e-12, `${i}: ${x}`));
  assert.equal(groupSets(20, 4), undefined);
});
