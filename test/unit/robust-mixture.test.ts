// Several workloads in one plan: each normalised, then mixed by weight; the
// worst-case rule; the language that names them; the cache that keys on
// every file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { checkText } from '../../server/src/plan/check';
import { loadWorkload } from '../../server/src/workload/load';
import { mixLayers } from '../../server/src/workload/mixture';
import { distributionFromSubsets } from '../../server/src/workload/distribution';
import type { LayerDistribution } from '../../server/src/workload/types';
import { analyzePlan } from '../../server/src/analysis/index';
import { meanRatio, pickWorst, worstRatio } from '../../server/src/analysis/robust';
import { workloadKey } from '../../server/src/analysis/workloadCache';
import { parseTraceArg } from '../../server/src/analysis/overrides';
import { sourcesOf } from '../../server/src/plan/workloadSources';
import { inTemp } from './fileKinds';
import { syntheticSpec, writeSyntheticTrace } from './trace-fixtures';

const MODEL = { layers: 2, experts: 8, topK: 2 };

function planText(workload: string, placement = ''): string {
  return (
    `model custom {\n  layers 2\n  experts 8\n  top-k 2\n  hidden 1024\n  expert-ffn 2048\n}\ngpu h100-sxm x 2\nslots 5 per gpu\n` +
    `workload {\n${workload}\n}\nplacement {\n${placement}\n}\n`
  );
}

function resolve(dir: string, workload: string, placement = '') {
  return checkText(planText(workload, placement), join(dir, 'p.moeplan'), { fileExists: () => true });
}

/** P(S) of every subset of a distribution. */
function probabilities(d: LayerDistribution): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < d.count; i++) m.set(Array.from(d.ids.subarray(i * d.k, i * d.k + d.k)).join(' '), d.weights[i] / d.total);
  return m;
}

const subsetArb = fc.uniqueArray(fc.integer({ min: 0, max: 7 }), { minLength: 2, maxLength: 2 });
const distArb = fc.array(fc.tuple(subsetArb, fc.integer({ min: 1, max: 1000 })), { minLength: 1, maxLength: 12 });

test('a mixture gives each workload its share of the mass whatever its token count (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(distArb, fc.double({ min: 0.01, max: 100, noNaN: true })), { minLength: 1, maxLength: 4 }), (parts) => {
      const dists = parts.map(([subsets]) =>
        distributionFromSubsets(
          0,
          8,
          2,
          subsets.map((s) => s[0]),
          subsets.map((s) => s[1]),
        ),
      );
      const sum = parts.reduce((a, [, w]) => a + w, 0);
      const [mixed] = mixLayers(dists.map((d, i) => ({ layers: [d], share: parts[i][1] / sum })));
      const expected = new Map<string, number>();
      dists.forEach((d, i) => {
        for (const [k, p] of probabilities(d)) expected.set(k, (expected.get(k) ?? 0) + (parts[i][1] / sum) * p);
      });
      const got = probabilities(mixed);
      assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort());
      for (const [k, p] of expected) assert.ok(Math.abs(got.get(k)! - p) < 1e-9, `${k}: ${got.get(k)} vs ${p}`);
      assert.ok(Math.abs(mixed.total - dists.reduce((a, d) => a + d.total, 0)) < 1e-6 * mixed.total, 'total on the scale of tokens');
    }),
    { numRuns: 200 },
  );
});

test(
  'two traces of different lengths, weight 3 and 1: each normalised, then mixed 75/25',
  inTemp('moeplan-mix-', async (dir) => {
    writeSyntheticTrace(join(dir, 'a.jsonl'), syntheticSpec(600, 1), MODEL, { requestTokens: 100 });
    writeSyntheticTrace(join(dir, 'b.jsonl'), syntheticSpec(150, 2, { concentration: 0.2 }), MODEL, { requestTokens: 50 });
    const checked = resolve(dir, '  trace "a.jsonl" weight 3\n  trace "b.jsonl"');
    const w = await loadWorkload(checked.plan!);
    assert.deepEqual(
      w.parts!.map((p) => [p.name, p.weight, p.share]),
      [
        ['a.jsonl', 3, 0.75],
        ['b.jsonl', 1, 0.25],
      ],
    );
    const [a, b] = w.parts!;
    for (let l = 0; l < 2; l++) {
      const pa = probabilities(a.layers[l]);
      const pb = probabilities(b.layers[l]);
      for (const [k, p] of probabilities(w.layers[l])) assert.ok(Math.abs(p - (0.75 * (pa.get(k) ?? 0) + 0.25 * (pb.get(k) ?? 0))) < 1e-12, k);
    }
    // Each part split by its own rule, the held-out parts mixed with the same shares.
    assert.match(w.split!.description, /a\.jsonl by request: .*; b\.jsonl by request: /);
    assert.match(w.description, /2 workloads mixed \(mean\): a\.jsonl 75%, b\.jsonl 25%/);
  }),
);

test('the plan language: weight on every source, mix, the same trace twice, drift', () => {
  const dir = '/plans';
  const ok = resolve(
    dir,
    '  trace "a.jsonl" weight 3 format jsonl\n  synthetic tokens 500 seed 2 weight 50%\n  subsets weight 2 {\n    subset 0 1: 1\n  }\n  mix worst\n  drift "new/" max-regression 7.5%',
  );
  assert.deepEqual(
    ok.diagnostics.filter((d) => d.severity !== 'information').map((d) => d.message),
    [],
  );
  const p = ok.plan!;
  assert.deepEqual(
    sourcesOf(p.workload).map((s) => [s.kind, s.weight]),
    [
      ['trace', 3],
      ['synthetic', 0.5],
      ['inline', 2],
    ],
  );
  assert.equal(p.workload.mix?.value, 'worst');
  assert.equal(p.workload.drift?.path, 'new/');
  assert.ok(Math.abs(p.workload.drift!.maxRegression.value - 0.075) < 1e-12);
  const codes = (w: string) => resolve(dir, w).diagnostics.map((d) => `${d.severity} ${d.code}`);
  assert.deepEqual(codes('  trace "a.jsonl"\n  trace "a.jsonl"'), ['warning MP305']);
  assert.ok(codes('  trace "a.jsonl" weight 0').includes('error MP116'));
  assert.ok(codes('  trace "a.jsonl" weight 1 weight 2').includes('error MP111'));
  assert.ok(codes('  trace "a.jsonl"\n  mix median').includes('error MP112'));
  assert.ok(codes('  trace "a.jsonl"\n  drift "b.jsonl" max-regression 5').includes('error MP114'), 'the limit needs its %');
});

test('--trace FILE[:WEIGHT]', () => {
  assert.deepEqual(parseTraceArg('a.jsonl:3'), { path: 'a.jsonl', weight: 3 });
  assert.deepEqual(parseTraceArg('logs/:25%'), { path: 'logs/', weight: 0.25 });
  assert.deepEqual(parseTraceArg('C:\\logs\\a.jsonl'), { path: 'C:\\logs\\a.jsonl' });
  assert.deepEqual(parseTraceArg('a:b.jsonl'), { path: 'a:b.jsonl' });
  assert.match(parseTraceArg('a.jsonl:0') as string, /more than 0/);
});

test('the worst-case objective equals the mean when the workloads are identical (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: 1, max: 10, noNaN: true }), { minLength: 1, maxLength: 12 }),
      fc.array(fc.double({ min: 0.01, max: 1, noNaN: true }), { minLength: 1, maxLength: 5 }),
      (figures, weights) => {
        const sum = weights.reduce((a, b) => a + b, 0);
        const shares = weights.map((w) => w / sum);
        // Every workload the same: candidate c has the same figure on each.
        const objectives = figures.map((x) => shares.map(() => x));
        const best = shares.map(() => Math.min(...figures));
        for (const o of objectives) assert.ok(Math.abs(worstRatio(o, best) - meanRatio(o, best, shares)) < 1e-12);
        const c = pickWorst(objectives, shares);
        assert.ok(figures[c] <= Math.min(...figures) * (1 + 1e-12), 'the same choice as the mean (to rounding)');
      },
    ),
    { numRuns: 300 },
  );
});

test(
  'identical workloads: mix worst and mix mean give the same figures, and each workload sits at its own best',
  inTemp('moeplan-mix-', async (dir) => {
    const workload = (mix: string) =>
      `  synthetic tokens 3000 seed 4 skew 1.3 concentration 0.7 topics 5\n  synthetic tokens 3000 seed 4 skew 1.3 concentration 0.7 topics 5 weight 2\n  mix ${mix}`;
    const run = async (mix: string) => {
      const checked = resolve(dir, workload(mix), '  policy exact 2 s\n  objective expected-time');
      return analyzePlan(checked.plan!, { sweeps: false, workers: 1, workloadCache: false });
    };
    const mean = await run('mean');
    const worst = await run('worst');
    assert.ok(Math.abs(mean.expectedTime - worst.expectedTime) < 1e-9, `${mean.expectedTime} vs ${worst.expectedTime}`);
    for (const r of [mean, worst]) {
      assert.equal(r.workloads!.length, 2);
      for (const w of r.workloads!) assert.ok(Math.abs(w.expectedTime - w.best.expectedTime) < 1e-9);
    }
    assert.equal(worst.mix, 'worst');
  }),
);

test(
  'the workload cache keys on every file: a new log in the folder or a rewritten one changes the key, nothing else does',
  inTemp('moeplan-mix-', async (dir) => {
    mkdirSync(join(dir, 'logs'));
    writeSyntheticTrace(join(dir, 'logs', 'r-1.jsonl'), syntheticSpec(40, 1), MODEL, {});
    writeSyntheticTrace(join(dir, 'other.jsonl'), syntheticSpec(40, 2), MODEL, {});
    const plan = (w = '') => resolve(dir, `  trace "logs/"\n  trace "other.jsonl"${w}`).plan!;
    const k1 = await workloadKey(plan());
    assert.equal(await workloadKey(plan()), k1);
    writeSyntheticTrace(join(dir, 'logs', 'r-2.jsonl'), syntheticSpec(40, 3), MODEL, {});
    const k2 = await workloadKey(plan());
    assert.notEqual(k2, k1, 'a new file in the folder');
    utimesSync(join(dir, 'other.jsonl'), new Date(), new Date(Date.now() + 5000));
    const k3 = await workloadKey(plan());
    assert.notEqual(k3, k2, 'a rewritten file');
    assert.notEqual(await workloadKey(plan(' weight 2')), k3, 'a weight');
    writeFileSync(join(dir, 'logs', '.swap'), 'x');
    assert.equal(await workloadKey(plan()), k3, 'a hidden file is not a trace');
  }),
);
