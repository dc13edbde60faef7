import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadWorkload } from '../../server/src/workload/load';
import type { Plan, WorkloadSource } from '../../server/src/plan/types';
import { WorkloadError } from '../../server/src/workload/types';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'moeplan-load-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const s = <T>(value: T) => ({ value, source: 'test' });

/** A hand-built plan (the resolver is tested elsewhere). */
function tinyPlan(source: WorkloadSource | undefined, maxSubsets?: number): Plan {
  return {
    file: join(dir, 'p.moeplan'),
    model: {
      name: 'Tiny',
      layers: s(2),
      firstMoeLayer: s(0),
      totalLayers: s(2),
      experts: s(8),
      sharedExperts: s(0),
      topK: s(2),
      hidden: s(4096),
      expertFfn: s(14336),
      weightDtype: s('bf16'),
      activationDtype: s('bf16'),
      bytesPerExpert: s(3 * 4096 * 14336 * 2),
    },
    hardware: {
      gpu: { type: 'h100', name: 'H100', memoryBytes: s(80e9), hbmBytesPerS: s(3.35e12), flops: s(989e12) },
      count: 2,
      nodes: 1,
      gpusPerNode: 2,
      nvlink: { bytesPerS: s(450e9), latencyS: s(2e-6) },
      network: { bytesPerS: s(50e9), latencyS: s(3e-6) },
      pcie: { bytesPerS: s(55e9), latencyS: s(2e-6) },
      reserveBytes: s(0),
      slotsPerGpu: [4, 4],
      slotsSource: 'test',
    },
    workload: { source, batch: s(8), phase: s('decode'), tokens: s(100), maxSubsets },
    placement: {
      policy: s('greedy'),
      objective: s('latency'),
      dispatch: s('static'),
      timeBudgetMs: s(1000),
      seed: 1,
      replicas: true,
      pins: [],
      forbids: [],
      committed: new Map(),
    },
    refs: [],
  };
}

test('trace source', async () => {
  const p = join(dir, 't.jsonl');
  writeFileSync(p, '{"layer":0,"experts":[0,1]}\n{"layer":1,"experts":[2,1]}\n{"layer":0,"experts":[3,1]}\n');
  const w = await loadWorkload(tinyPlan({ kind: 'trace', path: 't.jsonl', absPath: p }));
  assert.equal(w.layers[0].count, 2);
});

test('synthetic source and maxSubsets with a kept-mass note', async () => {
  const w = await loadWorkload(tinyPlan({ kind: 'synthetic', tokens: 2000, seed: 3, skew: 1, concentration: 0.5, topics: 4 }, 5));
  assert.equal(w.layers.length, 2);
  assert.ok(w.layers.every((d) => d.count <= 5));
  assert.ok(w.notes.some((n) => /kept the 5 most frequent subsets/.test(n)));
});

test('inline source: every-layer list, per-layer override, bad subsets located', async () => {
  const layers = new Map([
    [
      -1,
      [
        { experts: [0, 1], weight: 0.7 },
        { experts: [1, 0], weight: 0.1 },
        { experts: [2, 3], weight: 0.2 },
      ],
    ],
    [1, [{ experts: [4, 5], weight: 1 }]],
  ]);
  const w = await loadWorkload(tinyPlan({ kind: 'inline', layers }));
  assert.equal(w.layers[0].count, 2);
  assert.ok(Math.abs(w.layers[0].weights[0] - 0.8) < 1e-12);
  assert.equal(w.layers[1].count, 1);
  const bad = new Map([[-1, [{ experts: [0, 9], weight: 1, range: { start: { line: 11, character: 2 }, end: { line: 11, character: 9 } } }]]]);
  await assert.rejects(
    loadWorkload(tinyPlan({ kind: 'inline', layers: bad })),
    (e: unknown) => e instanceof WorkloadError && e.line === 12 && /out of range/.test(e.message),
  );
});

test('no source is a clear error', async () => {
  await assert.rejects(loadWorkload(tinyPlan(undefined)), /no workload source/);
});
