// Every policy's output is valid; exact equals brute force; search is never
// worse than EPLB; cancellation stops a long search.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { solveLayer } from '../../server/src/solve/index';
import { POLICY } from '../../server/src/plan/vocabulary';
import { instanceOf, placementProblems, SolveError } from '../../server/src/solve/instance';
import { bruteForceOptimum, distributionOf } from './bruteForce';
import { expectedTime } from '../../server/src/cost/evaluate';
import { lowerBound } from '../../server/src/cost/bounds';
import { Rng } from '../../server/src/workload/random';
import { integerProgram } from '../../server/src/solve/ip';
import type { SolveInput, SolveConstraints } from '../../server/src/solve/types';

/** Random routing with popular experts and co-activated pairs. */
function randomDist(n: number, k: number, tokens: number, seed: number) {
  const rng = new Rng(seed);
  const pop = Array.from({ length: n }, () => Math.exp(rng.next() * 2));
  const subsets: number[][] = [];
  for (let t = 0; t < tokens; t++) {
    const s = new Set<number>();
    while (s.size < k) {
      let r = rng.next() * pop.reduce((a, b) => a + b, 0);
      let e = 0;
      while (r > pop[e]) r -= pop[e++];
      s.add(Math.min(e, n - 1));
    }
    subsets.push([...s]);
  }
  return distributionOf(n, k, subsets);
}

function input(n: number, k: number, G: number, slots: number, seed: number, constraints?: Partial<SolveConstraints>, tokens = 60): SolveInput {
  return {
    dist: randomDist(n, k, tokens, seed),
    gpus: G,
    slotsPerGpu: new Array(G).fill(slots),
    gpusPerNode: G,
    constraints: { pins: [], forbids: [], replicas: true, ...constraints },
    seed,
    timeBudgetMs: 300,
  };
}

/** A small random instance: experts, GPUs, seed, spare slots per GPU, k, and optional constraints. */
interface RandomCase {
  n: number;
  G: number;
  seed: number;
  extra: number;
  k: number;
  replicas: boolean;
  pin?: [number, number];
  forbid?: [number, number];
  maxCopies?: number;
}

const smallCase = fc
  .record({
    n: fc.integer({ min: 3, max: 8 }),
    G: fc.integer({ min: 2, max: 3 }),
    seed: fc.integer({ min: 0, max: 1e6 }),
    extra: fc.integer({ min: 0, max: 3 }),
  })
  .chain((c) =>
    fc.record({
      ...Object.fromEntries(Object.entries(c).map(([key, v]) => [key, fc.constant(v)])),
      k: fc.integer({ min: 1, max: Math.min(3, c.n) }),
      replicas: fc.boolean(),
      pin: fc.option(fc.tuple(fc.nat(c.n - 1), fc.nat(c.G - 1)), { nil: undefined }),
      forbid: fc.option(fc.tuple(fc.nat(c.n - 1), fc.nat(c.G - 1)), { nil: undefined }),
      maxCopies: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    }),
  ) as fc.Arbitrary<RandomCase>;

function caseInput(c: RandomCase): SolveInput {
  const slots = Math.ceil(c.n / c.G) + c.extra;
  const pin = c.pin && ([c.pin[0] % c.n, c.pin[1]] as const);
  const forbid = c.forbid && ([c.forbid[0] % c.n, c.forbid[1]] as const);
  const pins = pin ? [{ expert: pin[0], gpu: pin[1] }] : [];
  const forbids = forbid && !(pin && pin[0] === forbid[0] && pin[1] === forbid[1]) ? [{ expert: forbid[0], gpu: forbid[1] }] : [];
  const inp = input(c.n, c.k, c.G, slots, c.seed, { pins, forbids, replicas: c.replicas, maxCopies: c.maxCopies }, 40);
  inp.timeBudgetMs = 200;
  return inp;
}

test('every policy returns a valid placement that honours the constraints, with exact E[T]', () => {
  fc.assert(
    fc.property(smallCase, (c) => {
      const inp = caseInput(c);
      const inst = instanceOf(inp);
      for (const policy of POLICY.words) {
        const r = solveLayer(policy, inp);
        assert.deepEqual(placementProblems(inst, r.placement), [], `${policy}: ${JSON.stringify(r.placement)}`);
        assert.ok(Math.abs(r.expectedTime - expectedTime(inp.dist, r.placement)) < 1e-12);
        assert.ok(r.expectedTime >= (r.lowerBound ?? 0) - 1e-9, `${policy}: E[T] ${r.expectedTime} below bound ${r.lowerBound}`);
        if (!c.replicas) for (const es of r.placement) for (const e of es) assert.equal(r.placement.filter((x) => x.includes(e)).length, 1);
      }
    }),
    { numRuns: 25 },
  );
});

test('exact equals brute force and proves it; lower bounds hold', () => {
  fc.assert(
    fc.property(smallCase, (c) => {
      const inp = caseInput({ ...c, n: Math.min(c.n, 6) });
      inp.timeBudgetMs = 2000;
      const inst = instanceOf(inp);
      const bf = bruteForceOptimum(inst, inp.dist, (p) => expectedTime(inp.dist, p));
      const exact = solveLayer('exact', inp);
      assert.equal(exact.optimal, true);
      assert.ok(Math.abs(exact.expectedTime - bf.value) < 1e-9, `exact ${exact.expectedTime} vs brute ${bf.value}`);
      const lb = lowerBound({ dist: inp.dist, capacity: inst.capacity, replicas: inst.replicas });
      assert.ok(lb.value <= bf.value + 1e-9, `bound ${lb.value} above optimum ${bf.value}`);
    }),
    { numRuns: 30 },
  );
});

test('search (the default) reaches and proves the optimum on small layers', () => {
  fc.assert(
    fc.property(smallCase, (c) => {
      const inp = caseInput({ ...c, n: Math.min(c.n, 6) });
      inp.timeBudgetMs = 3000;
      const inst = instanceOf(inp);
      const bf = bruteForceOptimum(inst, inp.dist, (p) => expectedTime(inp.dist, p));
      const s = solveLayer('search', inp);
      assert.equal(s.optimal, true, 'search did not prove a 6-expert layer optimal');
      assert.ok(Math.abs(s.expectedTime - bf.value) < 1e-9, `search ${s.expectedTime} vs optimum ${bf.value}`);
    }),
    { numRuns: 20 },
  );
});

test('the integer program (javascript-lp-solver) equals brute force on tiny layers', () => {
  for (let seed = 1; seed <= 6; seed++) {
    const inp = input(5, 2, 2, 3 + (seed % 2), seed, { replicas: seed % 3 !== 0 }, 25);
    const inst = instanceOf(inp);
    const ip = integerProgram(inst, inp.dist, 10_000);
    assert.ok(ip, 'IP refused a tiny layer');
    assert.deepEqual(placementProblems(inst, ip.placement), []);
    const bf = bruteForceOptimum(inst, inp.dist, (p) => expectedTime(inp.dist, p));
    assert.ok(Math.abs(expectedTime(inp.dist, ip.placement) - bf.value) < 1e-9, `seed ${seed}: IP ${expectedTime(inp.dist, ip.placement)} vs ${bf.value}`);
    assert.equal(ip.proved, true);
  }
});

test('search (the default policy) is never worse than eplb', () => {
  for (let seed = 1; seed <= 12; seed++) {
    const n = [8, 12, 16][seed % 3];
    const G = [2, 4][seed % 2];
    const inp = input(n, 2 + (seed % 3), G, n / G + (seed % 3), seed, {}, 200);
    const s = solveLayer('search', inp);
    const e = solveLayer('eplb', inp);
    assert.ok(s.expectedTime <= e.expectedTime + 1e-12, `seed ${seed}: search ${s.expectedTime} > eplb ${e.expectedTime}`);
  }
});

test('search is deterministic for a seed on a small instance', () => {
  const a = solveLayer('search', input(12, 3, 3, 5, 7, {}, 150));
  const b = solveLayer('search', input(12, 3, 3, 5, 7, {}, 150));
  assert.deepEqual(a.placement, b.placement);
});

test('eplb never puts two copies of one expert on a GPU, and is hierarchical over nodes', () => {
  const inp = input(16, 4, 4, 6, 3, {}, 400);
  inp.gpusPerNode = 2;
  inp.groups = 4;
  const r = solveLayer('eplb', inp);
  for (const es of r.placement) assert.equal(new Set(es).size, es.length);
  // Hierarchical: experts of one routing group (4 consecutive ids) stay within one node.
  for (let grp = 0; grp < 4; grp++) {
    const nodes = new Set<number>();
    r.placement.forEach((es, g) => es.forEach((e) => Math.floor(e / 4) === grp && nodes.add(Math.floor(g / 2))));
    assert.equal(nodes.size, 1, `group ${grp} spread over nodes ${[...nodes]}`);
  }
});

test('contiguous is vLLM linear when slots equal experts / GPUs', () => {
  const r = solveLayer('contiguous', input(8, 2, 2, 4, 1));
  assert.deepEqual(r.placement, [
    [0, 1, 2, 3],
    [4, 5, 6, 7],
  ]);
  const rr = solveLayer('round-robin', input(8, 2, 2, 4, 1));
  assert.deepEqual(rr.placement, [
    [0, 2, 4, 6],
    [1, 3, 5, 7],
  ]);
});

test('infeasible constraints give a clear error', () => {
  assert.throws(
    () => solveLayer('greedy', input(8, 2, 2, 3, 1)),
    (e: unknown) => e instanceof SolveError && /need at least 8 expert slots/.test((e as Error).message),
  );
  assert.throws(
    () =>
      solveLayer(
        'search',
        input(8, 2, 2, 4, 1, {
          pins: [
            { expert: 0, gpu: 0 },
            { expert: 0, gpu: 1 },
          ],
          replicas: false,
        }),
      ),
    /replicas are off/,
  );
});

test('an aborted search returns promptly with a valid placement', () => {
  const inp = input(64, 6, 8, 10, 5, {}, 3000);
  inp.timeBudgetMs = 60_000;
  const ac = new AbortController();
  ac.abort();
  inp.signal = ac.signal;
  const t0 = performance.now();
  const r = solveLayer('search', inp);
  assert.ok(performance.now() - t0 < 5000, 'aborted search took too long');
  assert.deepEqual(placementProblems(instanceOf(inp), r.placement), []);
  assert.ok(r.notes?.some((n) => /cancelled/.test(n)));
});
