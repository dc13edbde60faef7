import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  SubsetCounter,
  coactivationMatrix,
  distributionFromSortedTokens,
  distributionFromSubsets,
  expertLoads,
  subsetAt,
  topCoactivationPairs,
  truncateDistribution,
} from '../../server/src/workload/distribution';

/** Reference: count subsets with a string-keyed map. */
function reference(subsets: number[][]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of subsets) {
    const key = [...s].sort((a, b) => a - b).join(',');
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

function asMap(d: ReturnType<typeof distributionFromSubsets>): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < d.count; i++) m.set(subsetAt(d, i).join(','), d.weights[i]);
  return m;
}

const subsetArb = (n: number, k: number) => fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { minLength: k, maxLength: k });

test('subsets are sorted and duplicates merged (any order within a subset)', () => {
  const d = distributionFromSubsets(0, 8, 2, [
    [5, 1],
    [1, 5],
    [2, 3],
    [3, 2],
    [3, 2],
  ]);
  assert.equal(d.count, 2);
  assert.equal(d.total, 5);
  assert.deepEqual(
    asMap(d),
    new Map([
      ['1,5', 2],
      ['2,3', 3],
    ]),
  );
});

test('counter agrees with a string-keyed reference, including across rehashes', () => {
  fc.assert(
    fc.property(fc.array(subsetArb(12, 3), { minLength: 1, maxLength: 400 }), (subsets) => {
      const d = distributionFromSubsets(0, 12, 3, subsets);
      assert.deepEqual(asMap(d), reference(subsets));
      assert.equal(d.total, subsets.length);
    }),
    { numRuns: 60 },
  );
});

test('radix dedupe agrees with the hash table (64-bit and fallback paths)', () => {
  for (const [n, k] of [
    [256, 8],
    [64, 6],
    [1000, 8],
    [8, 2],
  ] as const) {
    fc.assert(
      fc.property(fc.array(subsetArb(Math.min(n, 40), k), { minLength: 1, maxLength: 300 }), (subsets) => {
        const flat = new Int32Array(subsets.length * k);
        subsets.forEach((s, t) =>
          flat.set(
            [...s].sort((a, b) => a - b),
            t * k,
          ),
        );
        const d = distributionFromSortedTokens(0, n, k, flat, subsets.length);
        assert.deepEqual(asMap(d), reference(subsets));
      }),
      { numRuns: 25 },
    );
  }
});

test('invalid subsets are rejected with the reason', () => {
  assert.throws(() => distributionFromSubsets(0, 8, 2, [[1, 8]]), /out of range.*8 routed experts/);
  assert.throws(() => distributionFromSubsets(0, 8, 2, [[1, 1]]), /appears twice/);
  assert.throws(() => distributionFromSubsets(0, 8, 2, [[1, 2, 3]]), /top-2/);
});

test('loads sum to k and co-activation is symmetric with the right mass', () => {
  fc.assert(
    fc.property(fc.array(subsetArb(10, 3), { minLength: 1, maxLength: 100 }), (subsets) => {
      const d = distributionFromSubsets(0, 10, 3, subsets);
      const load = expertLoads(d);
      assert.ok(Math.abs(load.reduce((a, b) => a + b, 0) - 3) < 1e-9);
      const m = coactivationMatrix(d);
      let sum = 0;
      for (let a = 0; a < 10; a++)
        for (let b = 0; b < 10; b++) {
          assert.ok(Math.abs(m[a * 10 + b] - m[b * 10 + a]) < 1e-12);
          sum += m[a * 10 + b];
        }
      // every token contributes k(k-1) ordered pairs
      assert.ok(Math.abs(sum - 6) < 1e-9);
    }),
    { numRuns: 40 },
  );
});

test('top pairs: most frequent first', () => {
  const d = distributionFromSubsets(0, 8, 2, [
    [5, 6],
    [5, 6],
    [5, 6],
    [0, 1],
  ]);
  const pairs = topCoactivationPairs(d, 5);
  assert.deepEqual(
    pairs.map((p) => [p.a, p.b]),
    [
      [5, 6],
      [0, 1],
    ],
  );
  assert.ok(Math.abs(pairs[0].probability - 0.75) < 1e-12);
});

test('truncate keeps the most frequent, renormalises and reports kept mass', () => {
  const d = distributionFromSubsets(
    0,
    8,
    2,
    [
      [0, 1],
      [2, 3],
      [4, 5],
    ],
    [6, 3, 1],
  );
  const t = truncateDistribution(d, 2);
  assert.equal(t.dist.count, 2);
  assert.equal(t.dropped, 1);
  assert.ok(Math.abs(t.keptMass - 0.9) < 1e-12);
  assert.ok(Math.abs(t.dist.weights.reduce((a, b) => a + b, 0) - d.total) < 1e-9);
  assert.deepEqual(asMap(t.dist).has('4,5'), false);
  assert.equal(truncateDistribution(d, 5).dist, d);
  assert.throws(() => truncateDistribution(d, 0));
});

test('SubsetCounter reports size and total weight', () => {
  const c = new SubsetCounter(0, 4, 2, 1);
  for (let i = 0; i < 100; i++) c.add([i % 4, (i + 1) % 4], 0, 0.5);
  assert.equal(c.size, 4);
  assert.equal(c.totalWeight, 50);
});
