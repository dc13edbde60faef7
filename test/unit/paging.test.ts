// Paging simulators: hand-computed sequences, the time model, prefetch, and
// the errors users see for bad settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSteps } from '../../server/src/cost/paging/steps';
import { replay } from '../../server/src/cost/paging/replay';
import { PagingError, type PagingHardware, type PagingPolicy } from '../../server/src/cost/paging/types';
import type { TokenSequence } from '../../server/src/workload/types';
import { UNIT_HARDWARE } from './paging-fixtures';

/** tokens as arrays of per-layer expert lists. */
function seqOf(tokens: number[][][]): TokenSequence {
  const layers = tokens[0].length;
  const k = tokens[0][0].length;
  return { tokens: tokens.length, layers, k, ids: Int32Array.from(tokens.flat(2)) };
}

function run(policy: PagingPolicy, seq: TokenSequence, experts: number, capacity: number, batch = 1) {
  return replay(buildSteps(seq, experts, batch), { policy, capacity: [capacity], prefetch: false, hardware: UNIT_HARDWARE });
}

test('one layer, capacity 2: LRU and Belady on 0 1 2 0 3 0 1', () => {
  const seq = seqOf([0, 1, 2, 0, 3, 0, 1].map((e) => [[e]]));
  // LRU: 0m 1m 2m(-0) 0m(-1) 3m(-2) 0h 1m(-3)
  const lru = run('lru', seq, 4, 2);
  assert.equal(lru.hits[0], 1);
  assert.equal(lru.misses[0], 6);
  // Belady: 0m 1m 2m(-1: next at 6, 0 next at 3) 0h 3m(-2: never again) 0h 1m
  const opt = run('belady', seq, 4, 2);
  assert.equal(opt.hits[0], 2);
  assert.equal(opt.misses[0], 5);
  // 1 s per miss transfer + 1 s compute per expert; hits only compute.
  assert.equal(lru.timeS[0], 6 * 2 + 1);
  assert.equal(opt.timeS[0], 5 * 2 + 2);
  assert.equal(lru.residentTimeS[0], 7);
  assert.equal(lru.bytes[0], 6);
});

test('two layers, capacity 3: layer-aware LRU keeps the next layer, LRU evicts it', () => {
  // tokens (layer 0 expert, layer 1 expert): (0,0) (0,1) (1,0) (0,1); ids = layer·3 + expert
  const seq = seqOf([
    [[0], [0]],
    [[0], [1]],
    [[1], [0]],
    [[0], [1]],
  ]);
  // LRU: s0 m, s1 m, s2 h, s3 m, s4 m(-id3), s5 m(-id0), s6 m(-id4), s7 m(-id1)
  const lru = run('lru', seq, 3, 3);
  assert.deepEqual([lru.hits[0] + lru.hits[1], lru.misses[0] + lru.misses[1]], [1, 7]);
  // Layer-LRU: s4 evicts layer 0's id0 (layer 0 is needed again last), so s5 hits;
  // s6 evicts layer 0's id1, s7 hits.
  const llru = run('layer-lru', seq, 3, 3);
  assert.deepEqual([...llru.hits], [1, 2]);
  assert.deepEqual([...llru.misses], [3, 2]);
  // Belady: s4 evicts id4 (next use s7, furthest); misses s0 s1 s3 s4 s7.
  const opt = run('belady', seq, 3, 3);
  assert.deepEqual([opt.hits[0] + opt.hits[1], opt.misses[0] + opt.misses[1]], [3, 5]);
});

test('time model: hits run first, misses run as they arrive over PCIe', () => {
  // One step needing experts 0 (pinned), 1, 2; transfer 1.5 s, run 1 s each.
  const hw: PagingHardware = { ...UNIT_HARDWARE, pcieLatencyS: 0.5 };
  const seq = seqOf([[[0, 1, 2]]]);
  const pinned = Uint8Array.from([1, 0, 0, 0]);
  const r = replay(buildSteps(seq, 4, 1), { policy: 'lru', capacity: [3], pinned, prefetch: false, hardware: hw });
  // f = 1 (pinned hit); miss 1 arrives 1.5 → 2.5; miss 2 arrives 3 → 4.
  assert.equal(r.timeS[0], 4);
  assert.equal(r.residentTimeS[0], 3);
  assert.equal(r.hits[0], 1);
  assert.equal(r.misses[0], 2);
});

test('roofline: an expert run on many tokens becomes compute-bound', () => {
  // 4 tokens in one batch all use expert 0: 4 · 2 FLOP / 1 FLOP/s = 8 s > 1 s of memory.
  const hw: PagingHardware = { ...UNIT_HARDWARE, flopsPerTokenPerExpert: 2 };
  const seq = seqOf([[[0]], [[0]], [[0]], [[0]]]);
  const r = replay(buildSteps(seq, 2, 4), { policy: 'lru', capacity: [1], prefetch: false, hardware: hw });
  assert.equal(r.steps, 1);
  assert.equal(r.misses[0], 1, 'a batch loads a shared expert once');
  assert.equal(r.timeS[0], 1 + 8);
});

test('batch steps need the union of the batch experts', () => {
  const seq = seqOf([[[0, 1]], [[1, 2]], [[0, 1]], [[3, 1]]]);
  const st = buildSteps(seq, 4, 2);
  assert.equal(st.steps, 2);
  assert.deepEqual([...st.ids], [0, 1, 2, 0, 1, 3]);
  assert.deepEqual([...st.counts], [1, 2, 1, 1, 2, 1]);
  const r = replay(st, { policy: 'lru', capacity: [3], prefetch: false, hardware: UNIT_HARDWARE });
  // step 0: 3 misses; step 1: 0 and 1 hit, 3 misses and evicts 2.
  assert.equal(r.hits[0], 2);
  assert.equal(r.misses[0], 4);
});

test('prefetch loads the next layer in the link idle time and counts its bytes', () => {
  // 2 layers × 2 experts, one token (layer 0: expert 0, layer 1: expert 1).
  // Transfer 1 s, run 2 s: step 0 misses (arrives 1, ends 3); the link is idle from 1.
  const hw: PagingHardware = { ...UNIT_HARDWARE, hbmBytesPerS: 0.5 };
  const seq = seqOf([[[0], [1]]]);
  const order = [Int32Array.from([0, 1]), Int32Array.from([1, 0])];
  const cfg = { policy: 'lru' as const, capacity: [2], prefetchOrder: order, prefetchLimit: 2, prefetchMinShare: 0, hardware: hw };
  const r = replay(buildSteps(seq, 2, 1), { ...cfg, prefetch: true });
  // Layer 1's expert 1 arrives at 2, before step 1 starts at 3; the second
  // candidate would evict the step's locked expert, so prefetch stops there.
  assert.deepEqual([...r.prefetches], [0, 1]);
  assert.deepEqual([...r.prefetchHits], [0, 1]);
  assert.deepEqual([...r.hits], [0, 1]);
  assert.deepEqual([...r.misses], [1, 0]);
  assert.equal(r.bytes[0] + r.bytes[1], 2);
  assert.deepEqual([...r.timeS], [3, 2]);
  const off = replay(buildSteps(seq, 2, 1), { ...cfg, prefetch: false });
  assert.deepEqual([...off.timeS], [3, 3]);
});

test('a prefetch still in flight is a late hit; a wrong one delays the next misses', () => {
  // Transfer 3 s, run 2 s. Step 0: miss arrives 3, ends 5; prefetch starts at 3, arrives 6.
  const hw: PagingHardware = { ...UNIT_HARDWARE, bytesPerExpert: 3, hbmBytesPerS: 1.5, pcieBytesPerS: 1 };
  const seq = seqOf([[[0], [1]]]);
  const run = (layer1First: number, prefetch: boolean) =>
    replay(buildSteps(seq, 2, 1), {
      policy: 'lru',
      capacity: [2],
      prefetch,
      prefetchOrder: [Int32Array.from([0, 1]), Int32Array.from([layer1First, 1 - layer1First])],
      prefetchLimit: 1,
      prefetchMinShare: 0,
      hardware: hw,
    });
  // Right guess: step 1 (from 5) waits for the arrival at 6, then runs 2 s.
  const right = run(1, true);
  assert.deepEqual([...right.timeS], [5, 3]);
  assert.deepEqual([...right.hits], [0, 1]);
  // No prefetch: step 1 misses, transfer 5→8, runs to 10.
  assert.deepEqual([...run(1, false).timeS], [5, 5]);
  // Wrong guess (expert 0 of layer 1): the link is busy until 6, so the miss arrives at 9.
  const wrong = run(0, true);
  assert.deepEqual([...wrong.timeS], [5, 6]);
  assert.deepEqual([...wrong.misses], [1, 1]);
  assert.deepEqual([...wrong.prefetchHits], [0, 0]);
  // Two misses and two prefetches (the second, during step 1, for the next token's layer 0).
  assert.deepEqual([...wrong.prefetches], [1, 1]);
  assert.equal(wrong.bytes[0] + wrong.bytes[1], 12);
});

test('a cache smaller than one step streams the rest through (bypass)', () => {
  const seq = seqOf([[[0, 1, 2]], [[0, 1, 2]]]);
  for (const policy of ['lru', 'layer-lru', 'belady'] as const) {
    const r = run(policy, seq, 3, 1);
    assert.equal(r.misses[0] + r.hits[0], 6, policy);
    assert.ok(r.bypasses >= 2, `${policy}: ${r.bypasses} bypasses`);
  }
  const none = run('lru', seq, 3, 0);
  assert.equal(none.misses[0], 6);
  assert.equal(none.bypasses, 6);
});

test('bad paging settings get clear errors', () => {
  const seq = seqOf([[[0, 1]], [[2, 3]]]);
  const st = buildSteps(seq, 4, 1);
  const base = { policy: 'lru' as const, prefetch: false, hardware: UNIT_HARDWARE };
  assert.throws(() => replay(st, { ...base, capacity: [-1] }), /GPU 0: expert slots must be a whole number ≥ 0, got -1/);
  assert.throws(() => replay(st, { ...base, capacity: [] }), /at least one GPU/);
  assert.throws(
    () => replay(st, { ...base, capacity: [1], pinned: Uint8Array.from([1, 1, 0, 0]) }),
    /GPU 0 pins 2 expert-layers but has only 1 slots; pin fewer experts/,
  );
  assert.throws(
    () => replay(st, { ...base, capacity: [2], hardware: { ...UNIT_HARDWARE, pcieBytesPerS: 0 } }),
    /PCIe bandwidth must be a positive number, got 0/,
  );
  assert.throws(
    () => replay(st, { ...base, capacity: [1, 1], owner: Int32Array.from([0, 1, 2, 0]) }),
    /expert 2 of layer 0 is owned by GPU 2, but there are 2 GPUs/,
  );
  assert.throws(
    () => replay(st, { ...base, capacity: [2], prefetch: true, prefetchMinShare: 1.5 }),
    /prefetch threshold must be a share between 0 and 1, got 1.5/,
  );
  assert.throws(() => buildSteps(seq, 3, 1), /token 1, layer 0: expert id 3 is outside 0..2/);
  assert.throws(() => buildSteps(seq, 4, 0), /batch must be a whole number of tokens ≥ 1, got 0/);
  assert.throws(() => buildSteps(seq, 4, 1.5), PagingError);
});
