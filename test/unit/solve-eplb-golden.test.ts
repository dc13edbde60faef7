// moeplan's EPLB baseline against DeepSeek's own: placements that
// deepseek-ai/EPLB's eplb.py (rebalance_experts) produced for the same loads,
// where no constraint applies (test/fixtures/eplb/README.md says how they
// were made). moeplan must put the same experts on each GPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eplb } from '../../server/src/solve/baselines';
import type { Instance } from '../../server/src/solve/instance';

interface GoldenCase {
  name: string;
  experts: number;
  groups: number;
  nodes: number;
  gpus: number;
  slotsPerGpu: number;
  /** Per layer: the load of each expert (DeepSeek's `weight` rows). */
  weights: number[][];
  /** Per layer, per GPU: the experts DeepSeek's EPLB placed there, sorted. */
  placement: number[][][];
}

const golden = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'eplb', 'golden.json'), 'utf8')) as { source: string; cases: GoldenCase[] };

/** No pins, no forbids, replicas on, any number of copies: EPLB's own setting. */
function unconstrained(c: GoldenCase): Instance {
  const n = c.experts;
  return {
    experts: n,
    k: 1,
    gpus: c.gpus,
    capacity: new Array<number>(c.gpus).fill(c.slotsPerGpu),
    allowed: new Uint8Array(n * c.gpus).fill(1),
    pinned: new Uint8Array(n * c.gpus),
    maxCopies: new Int32Array(n).fill(c.gpus),
    replicas: true,
    totalSlots: c.gpus * c.slotsPerGpu,
    constrained: false,
  };
}

test('the fixtures come from DeepSeek EPLB and cover the global and hierarchical policies', () => {
  assert.match(golden.source, /deepseek-ai\/EPLB/);
  const layers = golden.cases.reduce((t, c) => t + c.weights.length, 0);
  assert.ok(layers >= 30, `${layers} layers`);
  assert.ok(
    golden.cases.some((c) => c.nodes > 1 && c.groups % c.nodes === 0),
    'a hierarchical case',
  );
  assert.ok(
    golden.cases.some((c) => c.nodes > 1 && c.groups % c.nodes !== 0),
    'groups that do not divide over the nodes',
  );
});

for (const c of golden.cases) {
  test(`eplb places what DeepSeek's EPLB places: ${c.name}`, () => {
    c.weights.forEach((load, l) => {
      const out = eplb(unconstrained(c), load, c.gpus / c.nodes, c.groups);
      assert.deepEqual(out.notes, []);
      const mine = out.placement.map((gpu) => [...gpu].sort((a, b) => a - b));
      assert.deepEqual(mine, c.placement[l], `layer ${l}`);
    });
  });
}
