// Workloads reused between analyses: same workload settings → no second load;
// anything the workload depends on (spec, model, trace file) → a new load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkText } from '../../server/src/plan/check';
import { analyzePlan } from '../../server/src/analysis/index';
import { WorkloadCache, workloadKey } from '../../server/src/analysis/workloadCache';
import type { Plan } from '../../server/src/plan/types';
import type { Workload } from '../../server/src/workload/types';

const dir = mkdtempSync(join(tmpdir(), 'moeplan-wcache-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function planOf(text: string, name = 'p.moeplan'): Plan {
  const file = join(dir, name);
  writeFileSync(file, text);
  const r = checkText(text, file);
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message),
    [],
  );
  return r.plan!;
}

const plan = (synthetic: string, placement: string) => `model mixtral-8x7b
gpu h100-sxm x 2
reserve 16 GiB per gpu
workload {
  ${synthetic}
}
placement {
  ${placement}
}
`;
const SYN = 'synthetic tokens 2000 seed 5 skew 1.0 concentration 0.6 topics 8';

/** Counts loads: the analysis stores a workload only after loading it. */
class CountingCache extends WorkloadCache {
  loads = 0;
  override set(key: string, w: Workload): void {
    this.loads++;
    super.set(key, w);
  }
}

test('a placement-only change reuses the workload; a workload change loads again', async () => {
  const cache = new CountingCache();
  const opts = { timeBudgetMs: 300, sweeps: false, workers: 2, workloadCache: cache };
  const a = await analyzePlan(planOf(plan(SYN, 'policy greedy')), opts);
  assert.equal(cache.loads, 1);
  const b = await analyzePlan(planOf(plan(SYN, 'policy eplb\n  seed 4')), opts);
  assert.equal(cache.loads, 1, 'same workload settings: no second load');
  assert.equal(b.workload.description, a.workload.description);
  assert.equal(b.layers.length, 32);
  await analyzePlan(planOf(plan(SYN.replace('seed 5', 'seed 6'), 'policy greedy')), opts);
  assert.equal(cache.loads, 2, 'another seed: loaded again');
  await analyzePlan(planOf(plan(SYN, 'policy greedy')), { ...opts, workloadCache: false });
  assert.equal(cache.loads, 2, 'workloadCache: false bypasses the cache');
});

test('cached workloads give the same results as fresh ones', async () => {
  const cache = new WorkloadCache();
  const p = planOf(plan(SYN, 'policy eplb'));
  const opts = { timeBudgetMs: 300, sweeps: false, workers: 1 };
  const fresh = await analyzePlan(p, { ...opts, workloadCache: false });
  await analyzePlan(p, { ...opts, workloadCache: cache });
  const again = await analyzePlan(p, { ...opts, workloadCache: cache });
  assert.deepEqual(
    again.layers.map((l) => l.expectedTime),
    fresh.layers.map((l) => l.expectedTime),
  );
  // A note added to one result does not leak into the cached workload.
  again.workload.notes.push('x');
  const third = await analyzePlan(p, { ...opts, workloadCache: cache });
  assert.ok(!third.workload.notes.includes('x'));
});

test('the key follows the trace file and the model, not the placement', async () => {
  const trace = join(dir, 't.csv');
  writeFileSync(trace, 'token,layer,experts\n0,0,0 1\n');
  const text = (model: string, placement: string) => `model ${model}\ngpu h100-sxm x 8\nworkload {\n  trace "t.csv"\n}\nplacement {\n  ${placement}\n}\n`;
  const k1 = await workloadKey(planOf(text('mixtral-8x7b', 'policy greedy')));
  const k2 = await workloadKey(planOf(text('mixtral-8x7b', 'policy eplb')));
  assert.ok(k1 !== undefined);
  assert.equal(k2, k1);
  utimesSync(trace, new Date(), new Date(Date.now() + 60_000));
  const k3 = await workloadKey(planOf(text('mixtral-8x7b', 'policy greedy')));
  assert.notEqual(k3, k1, 'a touched trace is read again');
  const k4 = await workloadKey(planOf(text('dbrx', 'policy greedy')));
  assert.notEqual(k4, k3);
});

test('LRU with a byte budget', () => {
  const w = (bytes: number): Workload => ({
    layers: [{ layer: 0, experts: 8, k: 2, ids: new Int32Array(bytes / 4), weights: new Float64Array(0), count: 0, total: 0, coactivationKnown: true }],
    description: '',
    notes: [],
  });
  const c = new WorkloadCache(2, 1000);
  c.set('a', w(400));
  c.set('b', w(400));
  assert.ok(c.get('a')); // a is now the most recent
  c.set('c', w(400)); // over both limits: b (least recent) goes
  assert.equal(c.get('b'), undefined);
  assert.ok(c.get('a') && c.get('c'));
  c.set('huge', w(2000)); // larger than the budget: not kept, nothing evicted
  assert.equal(c.get('huge'), undefined);
  assert.equal(c.size, 2);
});
