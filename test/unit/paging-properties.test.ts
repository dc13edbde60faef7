// Paging simulators against brute-force replays and the offline optimum, on
// random traces (fast-check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildSteps } from '../../server/src/cost/paging/steps';
import { replay } from '../../server/src/cost/paging/replay';
import { IndexedMaxHeap } from '../../server/src/cost/paging/indexedHeap';
import type { PagingPolicy } from '../../server/src/cost/paging/types';
import type { TokenSequence } from '../../server/src/workload/types';
import { UNIT_HARDWARE } from './paging-fixtures';

interface Case {
  layers: number;
  experts: number;
  k: number;
  batch: number;
  seq: TokenSequence;
  capacity: number;
  pinned: Uint8Array;
}

/** Random trace with k distinct experts per token-layer, a capacity and pinned ids. */
const caseArb: fc.Arbitrary<Case> = fc
  .record({
    layers: fc.integer({ min: 1, max: 4 }),
    experts: fc.integer({ min: 2, max: 6 }),
    tokens: fc.integer({ min: 1, max: 40 }),
    batch: fc.integer({ min: 1, max: 3 }),
    kFrac: fc.double({ min: 0, max: 1, noNaN: true }),
    capFrac: fc.double({ min: 0, max: 1, noNaN: true }),
    seed: fc.integer(),
    pinEvery: fc.integer({ min: 0, max: 5 }),
  })
  .map(({ layers, experts, tokens, batch, kFrac, capFrac, seed, pinEvery }) => {
    const k = 1 + Math.floor(kFrac * Math.min(3, experts - 1));
    let x = seed >>> 0 || 1;
    const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8) / (1 << 24);
    const ids: number[] = [];
    for (let t = 0; t < tokens * layers; t++) {
      // Skewed choice so caches see some reuse.
      const pool = Array.from({ length: experts }, (_, e) => e);
      for (let j = 0; j < k; j++) {
        const i = Math.floor(rnd() * rnd() * pool.length);
        ids.push(pool.splice(i, 1)[0]);
      }
    }
    const universe = layers * experts;
    const pinned = new Uint8Array(universe);
    if (pinEvery > 0) for (let id = 0; id < universe; id += pinEvery + 1) pinned[id] = 1;
    let pinnedCount = 0;
    for (const p of pinned) pinnedCount += p;
    // Room for every pinned id plus at least one step's worth of experts.
    const step = Math.min(experts, k * batch);
    const capacity = pinnedCount + step + Math.floor(capFrac * universe);
    return { layers, experts, k, batch, seq: { tokens, layers, k, ids: Int32Array.from(ids) }, capacity, pinned };
  });

function sim(c: Case, policy: PagingPolicy) {
  return replay(buildSteps(c.seq, c.experts, c.batch), {
    policy,
    capacity: [c.capacity],
    pinned: c.pinned,
    prefetch: false,
    hardware: UNIT_HARDWARE,
  });
}

function total(a: Float64Array): number {
  return a.reduce((x, y) => x + y, 0);
}

/** The steps' distinct ids, straight from the sequence. */
function stepsOf(c: Case): { layer: number; ids: number[] }[] {
  const out: { layer: number; ids: number[] }[] = [];
  const { tokens, layers, k, ids } = c.seq;
  for (let t0 = 0; t0 < tokens; t0 += c.batch) {
    for (let l = 0; l < layers; l++) {
      const set: number[] = [];
      for (let t = t0; t < Math.min(tokens, t0 + c.batch); t++) {
        for (let j = 0; j < k; j++) {
          const id = l * c.experts + ids[(t * layers + l) * k + j];
          if (!set.includes(id)) set.push(id);
        }
      }
      out.push({ layer: l, ids: set });
    }
  }
  return out;
}

/**
 * Brute force: the cache is a plain array of {id, last use tick}. Hits are
 * touched first, then misses evict an entry not used by the step, chosen by
 * `pick` (LRU: oldest tick; layer-aware: furthest layer in the cycle, then oldest).
 */
function bruteForce(c: Case, layerAware: boolean): number {
  const cap = c.capacity - c.pinned.reduce((a, b) => a + b, 0);
  let cache: { id: number; tick: number }[] = [];
  let tick = 0;
  let misses = 0;
  for (const { layer, ids } of stepsOf(c)) {
    const missing: number[] = [];
    for (const id of ids) {
      if (c.pinned[id]) continue;
      const e = cache.find((x) => x.id === id);
      if (e) e.tick = ++tick;
      else missing.push(id);
    }
    for (const id of missing) {
      misses++;
      if (cache.length >= cap) {
        const free = cache.filter((x) => !ids.includes(x.id));
        const distance = (id2: number) => {
          const l2 = Math.floor(id2 / c.experts);
          return (layer - l2 + c.layers) % c.layers; // 0 = the current layer = needed last
        };
        free.sort((a, b) => (layerAware ? distance(a.id) - distance(b.id) : 0) || a.tick - b.tick);
        const victim = free[0];
        if (!victim) continue; // every slot busy with this step: streamed through
        cache = cache.filter((x) => x !== victim);
      }
      cache.push({ id, tick: ++tick });
    }
  }
  return misses;
}

test('LRU misses match a brute-force replay', () => {
  fc.assert(
    fc.property(caseArb, (c) => {
      assert.equal(total(sim(c, 'lru').misses), bruteForce(c, false));
    }),
    { numRuns: 300 },
  );
});

test('layer-aware LRU misses match a brute-force replay of its rule', () => {
  fc.assert(
    fc.property(caseArb, (c) => {
      assert.equal(total(sim(c, 'layer-lru').misses), bruteForce(c, true));
    }),
    { numRuns: 300 },
  );
});

test('Belady never has more misses than LRU or layer-aware LRU', () => {
  fc.assert(
    fc.property(caseArb, (c) => {
      const opt = total(sim(c, 'belady').misses);
      assert.ok(opt <= total(sim(c, 'lru').misses), 'Belady > LRU');
      assert.ok(opt <= total(sim(c, 'layer-lru').misses), 'Belady > layer-LRU');
    }),
    { numRuns: 400 },
  );
});

test('hits + misses = accesses, and bytes = misses × bytes per expert without prefetch', () => {
  fc.assert(
    fc.property(caseArb, fc.constantFrom<PagingPolicy>('lru', 'layer-lru', 'belady'), (c, policy) => {
      const r = sim(c, policy);
      const accesses = stepsOf(c).reduce((a, s) => a + s.ids.length, 0);
      assert.equal(total(r.hits) + total(r.misses), accesses);
      assert.equal(total(r.bytes), total(r.misses) * UNIT_HARDWARE.bytesPerExpert);
      assert.ok(total(r.timeS) >= total(r.residentTimeS) - 1e-9);
    }),
    { numRuns: 200 },
  );
});

test('the indexed heap always returns the largest key (ties: larger id) under pushes, key changes and removals', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('push' as const), id: fc.integer({ min: 0, max: 19 }), key: fc.integer({ min: 0, max: 9 }) }),
    fc.record({ kind: fc.constant('set' as const), id: fc.integer({ min: 0, max: 19 }), key: fc.integer({ min: 0, max: 9 }) }),
    fc.record({ kind: fc.constant('remove' as const), id: fc.integer({ min: 0, max: 19 }), key: fc.constant(0) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
      const indexed = new IndexedMaxHeap(20);
      const model = new Map<number, number>();
      for (const o of ops) {
        if (o.kind === 'push' && !model.has(o.id)) {
          indexed.push(o.id, o.key);
          model.set(o.id, o.key);
        } else if (o.kind === 'set' && model.has(o.id)) {
          indexed.set(o.id, o.key);
          model.set(o.id, o.key);
        } else if (o.kind === 'remove') {
          indexed.remove(o.id);
          model.delete(o.id);
        }
        let want = -1;
        for (const [id, key] of model) if (want < 0 || key > model.get(want)! || (key === model.get(want)! && id > want)) want = id;
        assert.equal(indexed.top(), want);
        assert.equal(indexed.size, model.size);
      }
    }),
    { numRuns: 300 },
  );
});
