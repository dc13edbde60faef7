// The evaluator against brute force, on random small cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { evaluateLayer, expectedTime, LayerEvaluator, PlacementError } from '../../server/src/cost/evaluate';
import { SubsetMatcher, copyTableOf } from '../../server/src/cost/matching';
import { bruteForceExpectedTime, bruteForceTime, distributionOf } from './bruteForce';
import { insertCopies } from '../../server/src/solve/greedy';
import { instanceOf } from '../../server/src/solve/instance';

/** Random case: n experts, k per token, G GPUs, a placement covering every expert, weighted subsets. */
const caseArb = fc
  .record({ n: fc.integer({ min: 2, max: 9 }), G: fc.integer({ min: 1, max: 4 }), seed: fc.integer() })
  .chain(({ n, G }) =>
    fc.record({
      n: fc.constant(n),
      G: fc.constant(G),
      k: fc.integer({ min: 1, max: Math.min(n, 5) }),
      // For each expert: a nonempty GPU set as a bitmask.
      masks: fc.array(fc.integer({ min: 1, max: (1 << G) - 1 }), { minLength: n, maxLength: n }),
      picks: fc.array(fc.array(fc.nat(), { minLength: 5, maxLength: 5 }), { minLength: 1, maxLength: 12 }),
      weights: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 12, maxLength: 12 }),
    }),
  )
  .map(({ n, G, k, masks, picks, weights }) => {
    const placement: number[][] = Array.from({ length: G }, () => []);
    masks.forEach((m, e) => {
      for (let g = 0; g < G; g++) if ((m >> g) & 1) placement[g].push(e);
    });
    const subsets = picks.map((p) => {
      const pool = Array.from({ length: n }, (_, i) => i);
      const out: number[] = [];
      for (let j = 0; j < k; j++) out.push(pool.splice(p[j] % pool.length, 1)[0]);
      return out;
    });
    return { n, G, k, placement, dist: distributionOf(n, k, subsets, weights.slice(0, subsets.length)) };
  });

test('T(S) equals brute force on random subsets and placements', () => {
  fc.assert(
    fc.property(caseArb, ({ G, k, placement, dist }) => {
      const table = copyTableOf(placement, dist.experts);
      const m = new SubsetMatcher(G, k);
      for (let s = 0; s < dist.count; s++) {
        const subset = Array.from(dist.ids.subarray(s * k, s * k + k));
        const t = m.time(dist.ids, s * k, k, table);
        m.clear();
        assert.equal(t, bruteForceTime(subset, placement), `subset ${subset} on ${JSON.stringify(placement)}`);
      }
    }),
    { numRuns: 400 },
  );
});

test('timeOf (T alone, fast path for ≤ 32 GPUs) equals the full matcher, and brute force where small', () => {
  const arb = fc
    .record({ G: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 30, max: 36 })), n: fc.integer({ min: 2, max: 24 }) })
    .chain(({ G, n }) =>
      fc.record({
        G: fc.constant(G),
        n: fc.constant(n),
        k: fc.integer({ min: 1, max: Math.min(n, 10) }),
        startT: fc.integer({ min: 1, max: 4 }),
        // Per expert: a few copies (mostly one, so single-copy experts pile up on a GPU).
        copies: fc.array(fc.array(fc.nat(G - 1), { minLength: 1, maxLength: 3 }), { minLength: n, maxLength: n }),
        picks: fc.array(fc.array(fc.nat(), { minLength: 10, maxLength: 10 }), { minLength: 1, maxLength: 10 }),
      }),
    );
  fc.assert(
    fc.property(arb, ({ G, n, k, startT, copies, picks }) => {
      const placement: number[][] = Array.from({ length: G }, () => []);
      copies.forEach((gs, e) => {
        for (const g of new Set(gs)) placement[g].push(e);
      });
      const table = copyTableOf(placement, n);
      const m = new SubsetMatcher(G, k);
      for (const p of picks) {
        const pool = Array.from({ length: n }, (_, i) => i);
        const subset: number[] = [];
        for (let j = 0; j < k; j++) subset.push(pool.splice(p[j] % pool.length, 1)[0]);
        const ids = Int32Array.from([7, ...subset]);
        const full = m.time(ids, 1, k, table, -1, startT);
        m.clear();
        const fast = m.timeOf(ids, 1, k, table, startT);
        assert.equal(fast, full, `subset ${subset}, startT ${startT}, on ${JSON.stringify(placement)}`);
        if (G <= 8 && k <= 7) assert.equal(fast, Math.max(startT, bruteForceTime(subset, placement)));
        assert.ok(
          m.load.every((x) => x === 0),
          'timeOf leaves the loads clear',
        );
      }
    }),
    { numRuns: 500 },
  );
});

test('expectedTime and evaluateLayer equal brute force; gpuLoad and tDistribution are consistent', () => {
  fc.assert(
    fc.property(caseArb, ({ k, placement, dist }) => {
      const bf = bruteForceExpectedTime(dist, placement);
      assert.ok(Math.abs(expectedTime(dist, placement) - bf) < 1e-12);
      const ev = evaluateLayer(dist, placement);
      assert.ok(Math.abs(ev.expectedTime - bf) < 1e-12);
      const pSum = ev.tDistribution.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(pSum - 1) < 1e-9);
      const mean = ev.tDistribution.reduce((a, p, t) => a + p * t, 0);
      assert.ok(Math.abs(mean - bf) < 1e-9);
      // Every token sends k experts to GPUs in all.
      assert.ok(Math.abs(ev.gpuLoad.reduce((a, b) => a + b, 0) - k) < 1e-9);
      assert.ok(Math.abs(ev.expertLoad.reduce((a, b) => a + b, 0) - k) < 1e-9);
      // A GPU never serves more than the expected max per token.
      for (const l of ev.gpuLoad) assert.ok(l <= bf + 1e-9);
    }),
    { numRuns: 300 },
  );
});

test('incremental probes agree with full re-evaluation after random moves', () => {
  fc.assert(
    fc.property(caseArb, fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 8 }), ({ n, G, placement, dist }, moves) => {
      const ev = new LayerEvaluator(dist, G);
      ev.setPlacement(placement);
      for (const [a, b] of moves) {
        const e = a % n;
        const g = b % G;
        // Toggle a copy of e on g, keeping at least one copy.
        if (ev.has(e, g)) {
          if (ev.copiesOf(e) < 2) continue;
          ev.removeCopy(e, g);
        } else ev.addCopy(e, g);
        ev.probe([e]);
        ev.commit();
        const full = bruteForceExpectedTime(dist, ev.placement());
        assert.ok(Math.abs(ev.expectedTime() - full) < 1e-9, `${ev.expectedTime()} vs ${full}`);
      }
    }),
    { numRuns: 200 },
  );
});

test('additionGains equals the exact decrease for every (expert, GPU)', () => {
  fc.assert(
    fc.property(caseArb, ({ n, G, placement, dist }) => {
      const ev = new LayerEvaluator(dist, G);
      ev.setPlacement(placement);
      const gains = new Float64Array(G);
      const scratch = new Uint8Array(G);
      for (let e = 0; e < n; e++) {
        ev.additionGains(e, gains, scratch);
        for (let g = 0; g < G; g++) {
          if (ev.has(e, g)) {
            assert.equal(gains[g], 0);
            continue;
          }
          ev.addCopy(e, g);
          const delta = ev.probe([e]);
          ev.removeCopy(e, g);
          assert.ok(Math.abs(-delta - gains[g]) < 1e-9, `expert ${e} gpu ${g}: gain ${gains[g]} vs exact ${-delta}`);
          assert.ok(gains[g] <= ev.additionGainBound(e) + 1e-9);
        }
      }
    }),
    { numRuns: 200 },
  );
});

test('a placement that leaves a routed expert without a copy is a clear error', () => {
  const dist = distributionOf(4, 2, [
    [0, 1],
    [2, 3],
  ]);
  assert.throws(
    () => expectedTime(dist, [[0, 1], [2]]),
    (e: unknown) => e instanceof PlacementError && /expert 3 has no copy/.test((e as Error).message),
  );
  assert.throws(
    () =>
      expectedTime(dist, [
        [0, 1],
        [2, 7],
      ]),
    PlacementError,
  );
});

test('hand case: Mixtral-like pair split or together', () => {
  const dist = distributionOf(
    4,
    2,
    [
      [0, 1],
      [2, 3],
      [0, 2],
    ],
    [2, 1, 1],
  );
  // {0,1} together on GPU 0 → T=2 for weight 2; the rest split → T=1.
  assert.equal(
    expectedTime(dist, [
      [0, 1],
      [2, 3],
    ]),
    (2 * 2 + 1 * 2 + 1 * 1) / 4,
  );
  assert.equal(
    expectedTime(dist, [
      [0, 2],
      [1, 3],
    ]),
    (2 * 1 + 1 * 1 + 1 * 2) / 4,
  );
  // A second copy of 0 on GPU 1 fixes {0,2}.
  assert.equal(
    expectedTime(dist, [
      [0, 2],
      [0, 1, 3],
    ]),
    1,
  );
});

test('greedy insertion with incremental gains equals recomputing every gain from scratch', () => {
  fc.assert(
    fc.property(caseArb, fc.integer({ min: 1, max: 3 }), ({ n, G, k, dist }, extra) => {
      if (G < 2) return;
      const slots = Math.ceil(n / G) + extra;
      const inst = instanceOf({
        dist,
        gpus: G,
        slotsPerGpu: new Array(G).fill(slots),
        gpusPerNode: G,
        constraints: { pins: [], forbids: [], replicas: true },
        seed: 1,
        timeBudgetMs: 1000,
      });
      // One copy each, round-robin.
      const first: number[][] = Array.from({ length: G }, () => []);
      for (let e = 0; e < n; e++) first[e % G].push(e);
      const load = new Array(n).fill(1);
      const fast = new LayerEvaluator(dist, G);
      fast.setPlacement(first);
      insertCopies(inst, fast, load, { deadline: Infinity });
      // Reference: the same rule with gains from additionGains at every step.
      const ref = new LayerEvaluator(dist, G);
      ref.setPlacement(first);
      const used = first.map((es) => es.length);
      const gains = new Float64Array(G);
      const scratch = new Uint8Array(G);
      for (;;) {
        let best = { e: -1, g: -1, v: 1e-12 };
        for (let e = 0; e < n; e++) {
          ref.additionGains(e, gains, scratch);
          for (let g = 0; g < G; g++) if (gains[g] > best.v && used[g] < slots && !ref.has(e, g)) best = { e, g, v: gains[g] };
        }
        if (best.e < 0) break;
        ref.addCopy(best.e, best.g);
        ref.probe([best.e]);
        ref.commit();
        used[best.g]++;
        // Both make the same first choices while gains are positive.
      }
      assert.ok(
        fast.expectedTime() <= ref.expectedTime() + 1e-9,
        `incremental greedy ${fast.expectedTime()} worse than reference ${ref.expectedTime()} (k=${k})`,
      );
    }),
    { numRuns: 150 },
  );
});
