// The held-out split (workload/split.ts, docs/cost-model.md "Held-out
// figures"): by request when the trace names requests, else by position;
// the same split on every read; planning + held-out = the whole routing;
// no split invented for counts or inline subsets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { checkText } from '../../server/src/plan/check';
import { loadWorkload } from '../../server/src/workload/load';
import type { LayerDistribution, Workload } from '../../server/src/workload/types';
import { HELD_OUT_SHARE, SplitRecorder } from '../../server/src/workload/split';
import { inTemp } from './fileKinds';
import { ROOT } from './plan-arbitraries';
import { syntheticSpec, writeSyntheticTrace } from './trace-fixtures';

const MODEL = { layers: 2, experts: 8, topK: 2 };

function planText(workload: string): string {
  return `model custom {\n  layers 2\n  experts 8\n  top-k 2\n  hidden 1024\n  expert-ffn 2048\n}\ngpu h100-sxm x 2\nslots 5 per gpu\nworkload {\n${workload}\n}\n`;
}

async function load(dir: string, workload: string): Promise<Workload> {
  const file = join(dir, 'p.moeplan');
  const checked = checkText(planText(workload), file, { fileExists: () => true });
  assert.deepEqual(
    checked.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message),
    [],
  );
  return loadWorkload(checked.plan!);
}

/** subset key → weight of a distribution. */
function weights(d: LayerDistribution): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < d.count; i++) m.set(Array.from(d.ids.subarray(i * d.k, i * d.k + d.k)).join(' '), d.weights[i]);
  return m;
}

function assertPartsAddUp(w: Workload): void {
  const s = w.split!;
  w.layers.forEach((d, l) => {
    const all = weights(d);
    const sum = new Map<string, number>();
    for (const part of [s.planning[l], s.heldOut[l]]) for (const [k, v] of weights(part)) sum.set(k, (sum.get(k) ?? 0) + v);
    assert.deepEqual([...sum].sort(), [...all].sort(), `layer ${l}: planning + held out = the whole`);
  });
}

test(
  'by request: the last requests in order of first appearance, as few as hold 20% of the records, are held out',
  inTemp('moeplan-split-', async (dir) => {
    // 10 requests of 40 tokens: the last 2 hold exactly 20%.
    const tokens = writeSyntheticTrace(join(dir, 't.jsonl'), syntheticSpec(400, 3), MODEL, { requestTokens: 40 });
    const w = await load(dir, '  trace "t.jsonl"');
    const s = w.split!;
    assert.equal(s.by, 'request');
    assert.match(s.description, /by request: the last 2 of 10 requests/);
    for (const d of s.heldOut) assert.equal(d.total, 80);
    for (const d of s.planning) assert.equal(d.total, tokens - 80);
    assertPartsAddUp(w);
  }),
);

test(
  'the split is the same on every read, and the description says how it was made',
  inTemp('moeplan-split-', async (dir) => {
    writeSyntheticTrace(join(dir, 't.jsonl'), syntheticSpec(300, 5), MODEL, { requestTokens: 70 });
    const a = await load(dir, '  trace "t.jsonl"');
    const b = await load(dir, '  trace "t.jsonl"');
    assert.deepEqual(b.split, a.split);
    assert.match(a.split!.description, /requests \(in order of first appearance\) held out/);
  }),
);

test(
  'by position when the records name no request: the last 20% of each layer’s records in trace order',
  inTemp('moeplan-split-', async (dir) => {
    const tokens = writeSyntheticTrace(join(dir, 't.jsonl'), syntheticSpec(250, 7), MODEL, {});
    const w = await load(dir, '  trace "t.jsonl"');
    const s = w.split!;
    assert.equal(s.by, 'position');
    assert.match(s.description, /by position \(the records carry no request id\): the last 20%/);
    const held = Math.round(tokens * HELD_OUT_SHARE);
    for (const d of s.heldOut) assert.equal(d.total, held);
    // The held-out part is exactly the last records: read them back from the file.
    const lines = readFileSync(join(dir, 't.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { layer: number; experts: number[] });
    for (let l = 0; l < MODEL.layers; l++) {
      const last = lines.filter((r) => r.layer === l).slice(-held);
      const expect = new Map<string, number>();
      for (const r of last) {
        const key = [...r.experts].sort((x, y) => x - y).join(' ');
        expect.set(key, (expect.get(key) ?? 0) + 1);
      }
      assert.deepEqual([...weights(s.heldOut[l])].sort(), [...expect].sort());
    }
    assertPartsAddUp(w);
  }),
);

test(
  'one request only: split by position, and the description says why',
  inTemp('moeplan-split-', async (dir) => {
    writeSyntheticTrace(join(dir, 't.jsonl'), syntheticSpec(200, 2), MODEL, { requestTokens: 1000 });
    const w = await load(dir, '  trace "t.jsonl"');
    assert.equal(w.split!.by, 'position');
    assert.match(w.split!.description, /the trace has a single request/);
  }),
);

test(
  'subset counts and inline subsets cannot be split: no held-out figure is invented, and the reason is given',
  inTemp('moeplan-split-', async (dir) => {
    writeFileSync(join(dir, 'c.csv'), 'layer,experts,count\n0,0 1,10\n0,2 3,5\n1,4 5,7\n1,0 7,3\n');
    const counts = await load(dir, '  trace "c.csv"');
    assert.equal(counts.split, undefined);
    assert.match(counts.splitMissing!, /neither token order nor request ids/);
    const inline = await load(dir, '  subsets {\n    subset 0 1: 60%\n    subset 2 3: 40%\n  }');
    assert.equal(inline.split, undefined);
    assert.match(inline.splitMissing!, /inline subsets are probabilities/);
  }),
);

test(
  'a folder of rolling logs is one trace in name order (numbers as numbers); requests of different files stay apart',
  inTemp('moeplan-split-', async (dir) => {
    mkdirSync(join(dir, 'logs'));
    // Files written so that name order ≠ text order: routing-2 comes before routing-10.
    writeSyntheticTrace(join(dir, 'logs', 'routing-10.jsonl'), syntheticSpec(60, 11), MODEL, { requestTokens: 60 });
    writeSyntheticTrace(join(dir, 'logs', 'routing-2.jsonl'), syntheticSpec(240, 12), MODEL, { requestTokens: 60 });
    writeFileSync(join(dir, 'logs', '.hidden.jsonl'), 'not a trace\n');
    const w = await load(dir, '  trace "logs/"');
    assert.match(w.notes[0], /read 2 files of logs\/ as one trace, in name order: logs\/routing-2\.jsonl, logs\/routing-10\.jsonl/);
    for (const d of w.layers) assert.equal(d.total, 300);
    // 5 requests (4 in routing-2, 1 in routing-10, all named r0…): the last one, routing-10's, is held out.
    assert.match(w.split!.description, /the last 1 of 5 requests/);
    for (const d of w.split!.heldOut) assert.equal(d.total, 60);
    const glob = await load(dir, '  trace "logs/routing-*.jsonl"');
    assert.deepEqual(glob.layers, w.layers);
  }),
);

test('the recorder splits any record stream by the documented rule (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ layer: fc.integer({ min: 0, max: 1 }), a: fc.integer({ min: 0, max: 3 }), request: fc.integer({ min: 0, max: 4 }) }), {
        minLength: 8,
        maxLength: 80,
      }),
      fc.boolean(),
      (records, withRequests) => {
        for (const l of [0, 1]) if (records.filter((r) => r.layer === l).length < 2) return;
        const rec = new SplitRecorder();
        for (const r of records) rec.add(r.layer, Int32Array.of(r.a, r.a + 4), 1, withRequests ? r.request : -1, -1);
        const out = rec.finish({ layers: 2, experts: 8, topK: 2 }, 'x');
        const maxRequest = Math.max(...records.map((r) => r.request));
        const byRequest = withRequests && maxRequest >= 1;
        // The documented rule, restated: the last requests until they hold 20% of the records, at least one, never request 0.
        const held = new Set<number>();
        let heldRecords = 0;
        for (let q = maxRequest; q >= 1 && (held.size === 0 || heldRecords < HELD_OUT_SHARE * records.length); q--) {
          held.add(q);
          heldRecords += records.filter((r) => r.request === q).length;
        }
        const expectedHeld = (l: number) => records.filter((r) => r.layer === l && held.has(r.request)).length;
        const planningOf = (l: number) => records.filter((r) => r.layer === l).length - expectedHeld(l);
        if (byRequest && [0, 1].some((l) => expectedHeld(l) === 0 || planningOf(l) === 0)) {
          assert.match(out.missing!, /without tokens on one side/);
          return;
        }
        const split = out.split!;
        assert.equal(split.by, byRequest ? 'request' : 'position');
        for (let l = 0; l < 2; l++) {
          const mine = records.filter((r) => r.layer === l);
          const expected = byRequest ? mine.filter((r) => held.has(r.request)).length : Math.max(1, Math.round(mine.length * HELD_OUT_SHARE));
          assert.equal(split.heldOut[l].total, expected);
          assert.equal(split.planning[l].total + split.heldOut[l].total, mine.length);
        }
      },
    ),
    { numRuns: 200 },
  );
});

test('docs/cost-model.md documents the split rule', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'cost-model.md'), 'utf8');
  const at = doc.search(/^## (\d+\. )?Held-out figures/m);
  assert.ok(at >= 0, 'a "Held-out figures" section');
  const section = doc.slice(at, doc.indexOf('\n## ', at + 3) > 0 ? doc.indexOf('\n## ', at + 3) : undefined);
  for (const phrase of ['by request', 'by position', 'last 20%', 'first appearance', 'fresh']) assert.ok(section.includes(phrase), phrase);
});
