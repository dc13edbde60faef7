// The batched step-time estimator against a straightforward reference, its
// incremental updates against fresh evaluations, batch 1 + balanced against
// E[T], and the lower bound against every placement tried.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  buildStepSamples,
  sampleShape,
  StepEvaluator,
  stepLowerBound,
  staticDispatchRow,
  type DispatchRule,
  type StepCosts,
  type StepSamples,
} from '../../server/src/cost/step';
import { distributionFromSubsets } from '../../server/src/workload/distribution';
import { expectedTime } from '../../server/src/cost/evaluate';
import { deriveSeed } from '../../server/src/workload/random';
import type { LayerDistribution } from '../../server/src/workload/types';

// --- a small random instance ----------------------------------------------------

interface Case {
  dist: LayerDistribution;
  costs: StepCosts;
  placement: number[][];
  batch: number;
  seed: number;
}

function costsFor(gpus: number, gpusPerNode: number, readS: number, mathS: number, shared: number): StepCosts {
  return {
    gpus,
    gpusPerNode,
    readS,
    mathS,
    messageBytes: 8192,
    nvlink: { latencyS: 1e-6, secondsPerByte: 1 / 450e9 },
    network: { latencyS: 3e-6, secondsPerByte: 1 / 50e9 },
    sharedS: (b) => shared * Math.max(1e-6, b / gpus) * mathS,
  };
}

const caseArb = fc
  .record({
    gpus: fc.integer({ min: 1, max: 6 }),
    perNode: fc.integer({ min: 1, max: 6 }),
    experts: fc.integer({ min: 2, max: 10 }),
    k: fc.integer({ min: 1, max: 3 }),
    subsets: fc.integer({ min: 1, max: 30 }),
    batch: fc.constantFrom(1, 2, 3, 8, 17),
    seed: fc.integer({ min: 1, max: 1e6 }),
    readUs: fc.constantFrom(0.5, 13, 105),
    mathUs: fc.constantFrom(0.05, 0.4, 2),
    shared: fc.constantFrom(0, 1),
    extra: fc.integer({ min: 0, max: 8 }),
  })
  .filter((r) => r.k <= r.experts)
  .map((r): Case => {
    let x = r.seed;
    const rnd = (n: number) => {
      x = deriveSeed(x, 1);
      return x % n;
    };
    const subsets: number[][] = [];
    const weights: number[] = [];
    for (let i = 0; i < r.subsets; i++) {
      const s = new Set<number>();
      while (s.size < r.k) s.add(rnd(r.experts));
      subsets.push([...s]);
      weights.push(1 + rnd(20));
    }
    const dist = distributionFromSubsets(0, r.experts, r.k, subsets, weights);
    const placement: number[][] = Array.from({ length: r.gpus }, () => []);
    for (let e = 0; e < r.experts; e++) placement[rnd(r.gpus)].push(e);
    for (let i = 0; i < r.extra; i++) {
      const e = rnd(r.experts);
      const g = rnd(r.gpus);
      if (!placement[g].includes(e)) placement[g].push(e);
    }
    return { dist, costs: costsFor(r.gpus, Math.min(r.perNode, r.gpus), r.readUs * 1e-6, r.mathUs * 1e-6, r.shared), placement, batch: r.batch, seed: r.seed };
  });

function samplesOf(c: Case, pairs = 600): StepSamples {
  return buildStepSamples(c.dist, { batch: c.batch, gpus: c.costs.gpus, seed: c.seed, pairs, minBatches: 3 });
}

// --- the reference: every batch from scratch, one pair at a time ----------------

function referenceStep(s: StepSamples, costs: StepCosts, placement: number[][], rule: DispatchRule, seed: number): number {
  const G = costs.gpus;
  const copies: number[][] = Array.from({ length: s.experts }, () => []);
  placement.forEach((es, g) => es.forEach((e) => copies[e].includes(g) || copies[e].push(g)));
  copies.forEach((c) => c.sort((a, b) => a - b));
  const node = (g: number) => Math.floor(g / costs.gpusPerNode);
  const rows = copies.map((c, e) => {
    const row = new Int32Array(G);
    if (c.length > 0)
      staticDispatchRow(
        c,
        c.length,
        Int32Array.from({ length: G }, (_, g) => node(g)),
        deriveSeed(seed, e, 0x57a7),
        row,
        0,
      );
    return row;
  });
  let total = 0;
  for (let b = 0; b < s.batches; b++) {
    const pairs: { e: number; o: number; g: number }[] = [];
    for (let i = 0; i < s.batch; i++) {
      const t = b * s.batch + i;
      for (let j = 0; j < s.k; j++) {
        const e = s.ids[t * s.k + j];
        const c = copies[e];
        assert.ok(c.length > 0);
        const g = c.length === 1 ? c[0] : rule === 'static' ? rows[e][s.origin[t]] : c[(s.localPos[t] * s.k + j) % c.length];
        pairs.push({ e, o: s.origin[t], g });
      }
    }
    let compute = 0;
    let link = 0;
    for (let g = 0; g < G; g++) {
      const mine = pairs.filter((p) => p.g === g);
      const distinct = new Set(mine.map((p) => p.e)).size;
      compute = Math.max(compute, Math.max(distinct * costs.readS, mine.length * costs.mathS));
      const count = (f: (p: { e: number; o: number; g: number }) => boolean) => pairs.filter(f).length;
      const nv = Math.max(
        count((p) => p.o === g && p.g !== g && node(p.g) === node(g)),
        count((p) => p.g === g && p.o !== g && node(p.o) === node(g)),
      );
      const net = Math.max(
        count((p) => p.o === g && node(p.g) !== node(g)),
        count((p) => p.g === g && node(p.o) !== node(g)),
      );
      const tNv = nv > 0 ? costs.nvlink.latencyS + nv * costs.messageBytes * costs.nvlink.secondsPerByte : 0;
      const tNet = net > 0 ? costs.network.latencyS + net * costs.messageBytes * costs.network.secondsPerByte : 0;
      link = Math.max(link, tNv, tNet);
    }
    total += s.weight[b] * (compute + costs.sharedS(s.batch) + 2 * link);
  }
  return total;
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)) + 1e-15;

test('step time equals the reference under the static and random rules (random small cases)', () => {
  fc.assert(
    fc.property(caseArb, fc.constantFrom<DispatchRule>('static', 'random'), (c, rule) => {
      const s = samplesOf(c);
      const ev = new StepEvaluator(s, c.costs, rule, c.seed);
      ev.setPlacement(c.placement);
      const ref = referenceStep(s, c.costs, c.placement, rule, c.seed);
      assert.ok(close(ev.value(), ref), `evaluator ${ev.value()} vs reference ${ref}`);
    }),
    { numRuns: 300 },
  );
});

/** A random valid copy change: add, remove (when ≥ 2 copies) or move. */
function randomChange(ev: StepEvaluator, r: () => number): { undo: () => void } | undefined {
  const G = ev.gpus;
  const e = r() % ev.experts;
  const g = r() % G;
  const kind = r() % 3;
  if (kind === 0 && !ev.has(e, g)) {
    ev.addCopy(e, g);
    return { undo: () => ev.removeCopy(e, g) };
  }
  if (kind === 1 && ev.has(e, g) && ev.copiesOf(e) >= 2) {
    ev.removeCopy(e, g);
    return { undo: () => ev.addCopy(e, g) };
  }
  const h = r() % G;
  if (kind === 2 && ev.has(e, g) && !ev.has(e, h)) {
    ev.removeCopy(e, g);
    ev.addCopy(e, h);
    return {
      undo: () => {
        ev.removeCopy(e, h);
        ev.addCopy(e, g);
      },
    };
  }
  return undefined;
}

test('incremental probes equal a fresh evaluation; reverts restore the value exactly (every rule)', () => {
  fc.assert(
    fc.property(caseArb, fc.constantFrom<DispatchRule>('static', 'random', 'balanced'), fc.integer({ min: 1, max: 1e9 }), (c, rule, moveSeed) => {
      const s = samplesOf(c);
      const ev = new StepEvaluator(s, c.costs, rule, c.seed);
      ev.setPlacement(c.placement);
      let x = moveSeed;
      const r = () => (x = deriveSeed(x, 3));
      for (let step = 0; step < 25; step++) {
        const before = ev.value();
        const ch = randomChange(ev, r);
        if (!ch) continue;
        const v = ev.probe();
        const fresh = new StepEvaluator(s, c.costs, rule, c.seed);
        fresh.setPlacement(ev.placement());
        assert.ok(close(v, fresh.value()), `step ${step}: probe ${v} vs fresh ${fresh.value()}`);
        if (r() % 2 === 0) ev.commit();
        else {
          ch.undo();
          ev.revert();
          assert.equal(ev.value(), before);
          const again = new StepEvaluator(s, c.costs, rule, c.seed);
          again.setPlacement(ev.placement());
          assert.ok(close(ev.value(), again.value()));
        }
      }
    }),
    { numRuns: 150 },
  );
});

test('batch 1 with balanced dispatch on the whole distribution: the expert time is E[T] × one expert (exact)', () => {
  fc.assert(
    fc.property(caseArb, (c0) => {
      const c = { ...c0, batch: 1 };
      const s = samplesOf(c);
      assert.ok(s.exact);
      const ev = new StepEvaluator(s, c.costs, 'balanced', c.seed);
      ev.setPlacement(c.placement);
      const unit = Math.max(c.costs.readS, c.costs.mathS);
      const computeNoShared = ev.breakdown().computeS - c.costs.sharedS(1);
      const et = expectedTime(c.dist, c.placement);
      assert.ok(Math.abs(computeNoShared - et * unit) <= 1e-12 * Math.max(1, et * unit), `${computeNoShared} vs ${et * unit}`);
    }),
    { numRuns: 200 },
  );
});

test('the lower bound is below the step time of every placement tried, under every rule', () => {
  fc.assert(
    fc.property(caseArb, fc.constantFrom<DispatchRule>('static', 'random', 'balanced'), (c, rule) => {
      const s = samplesOf(c);
      const slots = c.placement.map((es) => es.length);
      const bound = stepLowerBound(s, c.costs, slots);
      const ev = new StepEvaluator(s, c.costs, rule, c.seed);
      ev.setPlacement(c.placement);
      assert.ok(bound.stepS <= ev.value() + 1e-15, `bound ${bound.stepS} > step ${ev.value()}`);
    }),
    { numRuns: 300 },
  );
});

test("the samples' shape, told without drawing them, is what buildStepSamples draws", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 28 }),
      fc.constantFrom(1, 2, 7, 64, 4096),
      fc.integer({ min: 1, max: 64 }),
      fc.constantFrom(8, 4096, 32768),
      fc.option(fc.constantFrom(1, 16, 4096), { nil: undefined }),
      (subsets, batch, gpus, pairs, enumerateUpTo) => {
        // The first `subsets` pairs of 8 experts, weights 1–3.
        const all: number[][] = [];
        for (let a = 0; a < 8; a++) for (let b = a + 1; b < 8; b++) all.push([a, b]);
        const chosen = all.slice(0, subsets);
        const dist = distributionFromSubsets(
          0,
          8,
          2,
          chosen,
          chosen.map((_, i) => 1 + (i % 3)),
        );
        const opts = { batch, gpus, seed: 3, pairs, minBatches: 2, enumerateUpTo };
        const drawn = buildStepSamples(dist, opts);
        const shape = sampleShape(dist, opts);
        assert.equal(shape.batches, drawn.batches);
        assert.equal(shape.exact, drawn.exact);
      },
    ),
    { numRuns: 150 },
  );
});
