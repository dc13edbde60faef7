import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTrace, detectFormat } from '../../server/src/workload/readers/index';
import { encodeNpy } from '../../server/src/workload/readers/npy';
import { sampleIndependent } from '../../server/src/workload/readers/sglang';
import { Rng } from '../../server/src/workload/random';
import { WorkloadError } from '../../server/src/workload/types';
import { subsetAt } from '../../server/src/workload/distribution';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'moeplan-readers-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const mixtral = { layers: 2, experts: 8, topK: 2, name: 'Tiny' };

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

async function rejects(p: Promise<unknown>, line: number | undefined, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof WorkloadError, `expected WorkloadError, got ${String(e)}`);
    assert.equal(e.line, line, `line of: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

function jsonl(records: object[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

test('jsonl: distributions per layer, token order kept, incomplete tokens dropped from the order', async () => {
  const recs: object[] = [];
  for (let t = 0; t < 5; t++)
    for (let l = 0; l < 2; l++)
      if (!(t === 3 && l === 1)) recs.push({ dataset: 'x', problem_id: 0, layer: l, experts: [(t + l) % 8, 7 - t], token_idx: t, gating_probs: [0.5, 0.5] });
  const w = await readTrace(file('a.jsonl', jsonl(recs)), { model: mixtral });
  assert.equal(w.layers.length, 2);
  assert.equal(w.layers[0].total, 5);
  assert.equal(w.layers[1].total, 4);
  assert.equal(w.layers[0].coactivationKnown, true);
  assert.ok(w.sequence);
  assert.equal(w.sequence.tokens, 4);
  // token 4 (index 3 after dropping token 3), layer 1: experts (4+1)%8=5 and 7-4=3
  assert.deepEqual(Array.from(w.sequence.ids.subarray((3 * 2 + 1) * 2, (3 * 2 + 1) * 2 + 2)), [5, 3]);
  assert.ok(w.notes.some((n) => /1 token missing/.test(n)));
});

test('jsonl: token order follows (request, position), not file order', async () => {
  const recs = [
    { request_id: 'b', token_idx: 0, layer: 0, experts: [0, 1] },
    { request_id: 'a', token_idx: 1, layer: 0, experts: [2, 3] },
    { request_id: 'a', token_idx: 0, layer: 0, experts: [4, 5] },
    { request_id: 'b', token_idx: 0, layer: 1, experts: [0, 1] },
    { request_id: 'a', token_idx: 1, layer: 1, experts: [2, 3] },
    { request_id: 'a', token_idx: 0, layer: 1, experts: [4, 5] },
  ];
  const w = await readTrace(file('order.jsonl', jsonl(recs)), { model: mixtral });
  // requests in first-appearance order (b, a); within a, position order
  assert.deepEqual(Array.from(w.sequence!.ids.filter((_, i) => Math.floor(i / 2) % 2 === 0)), [0, 1, 4, 5, 2, 3]);
});

test('jsonl: bad input names the line', async () => {
  const good = JSON.stringify({ layer: 0, experts: [0, 1] });
  await rejects(readTrace(file('b1.jsonl', `${good}\n${good}\n{"layer": 0, "experts": [1, 9]}\n`), { model: mixtral }), 3, /out of range.*8 routed experts/);
  await rejects(readTrace(file('b2.jsonl', `${good}\n{"layer": 0, "experts": [1, 2, 3]}\n`), { model: mixtral }), 2, /top-2/);
  await rejects(readTrace(file('b3.jsonl', `${good}\n\n{"layer": 0, "experts": [1, 2]\n`), { model: mixtral, format: 'jsonl' }), 3, /not valid JSON/);
  await rejects(readTrace(file('b4.jsonl', `${good}\n{"experts": [1, 2]}\n`), { model: mixtral }), 2, /missing the layer: looked for "layer"/);
  await rejects(readTrace(file('b5.jsonl', `${good}\n{"layer": 7, "experts": [1, 2]}\n`), { model: mixtral }), 2, /outside the model/);
  await rejects(readTrace(file('b6.jsonl', `${good}\n{"layer": 0, "experts": [2, 2]}\n`), { model: mixtral }), 2, /twice/);
  await rejects(readTrace(file('b7.jsonl', `${good}\n{"layer": 0, "experts": "1 2"}\n`), { model: mixtral }), 2, /array/);
});

test('jsonl: missing layers are an error naming the model figures', async () => {
  await rejects(readTrace(file('m.jsonl', jsonl([{ layer: 0, experts: [0, 1] }])), { model: mixtral }), undefined, /no routing for MoE layer 1.*2 MoE layers/);
});

test('jsonl: model-layer numbering is mapped to MoE layers', async () => {
  const model = { layers: 2, experts: 8, topK: 2, firstMoeLayer: 3 };
  const w = await readTrace(
    file(
      'ml.jsonl',
      jsonl([
        { layer: 3, experts: [0, 1] },
        { layer: 4, experts: [2, 1] },
      ]),
    ),
    { model },
  );
  assert.deepEqual(subsetAt(w.layers[1], 0), [1, 2]);
  assert.ok(w.notes.some((n) => /model layers/.test(n)));
});

test('csv and tsv: columns by header, experts space- or semicolon-separated', async () => {
  const csv = '# counts\nlayer,experts,count\n0,5 6,3\n0,6;5,1\n1,"0,1",2\n1,2 3,0.5\n';
  const w = await readTrace(file('c.csv', csv), { model: mixtral });
  assert.equal(w.layers[0].count, 1);
  assert.equal(w.layers[0].total, 4);
  assert.equal(w.layers[1].total, 2.5);
  const tsv = 'count\tlayer\texperts\n3\t0\t5 6\n1\t1\t1 2\n';
  const t = await readTrace(file('c.tsv', tsv), { model: mixtral });
  assert.deepEqual(subsetAt(t.layers[0], 0), [5, 6]);
  assert.equal(t.layers[0].weights[0], 3);
});

test('csv: bad input names the line', async () => {
  await rejects(readTrace(file('c1.csv', 'layer,experts,count\n0,5 6,3\n0,5 x,1\n'), { model: mixtral }), 3, /"x" is not an integer/);
  await rejects(readTrace(file('c2.csv', 'layer,experts,count\n0,5 6,-1\n'), { model: mixtral }), 2, /count must be/);
  await rejects(readTrace(file('c3.csv', 'layer,subsetz\n0,5 6\n'), { model: mixtral, format: 'csv' }), 1, /header must name/);
  await rejects(readTrace(file('c4.csv', 'layer,experts,count\n0,5 6,1\n1,5\n'), { model: mixtral }), 3, /expected 3 fields/);
  await rejects(readTrace(file('c5.csv', 'layer,experts,count\n0,5 6,1\n1,5 6 7,1\n'), { model: mixtral }), 3, /top-2/);
});

test('sglang: loads only, dense rows dropped, time axis summed, co-activation marked unknown', async () => {
  const model = { layers: 2, experts: 4, topK: 2, firstMoeLayer: 1 };
  const counts = [
    [0, 0, 0, 0],
    [10, 0, 5, 5],
    [1, 1, 1, 1],
  ];
  const w = await readTrace(file('s.json', JSON.stringify({ logical_count: counts })), { model, sampleTokens: 4000 });
  assert.equal(w.layers.length, 2);
  assert.equal(w.layers[0].coactivationKnown, false);
  assert.ok(w.notes[0].includes('co-activation unknown'));
  assert.equal(w.sequence, undefined);
  // expert 1 has no load in layer 0: never drawn
  for (let i = 0; i < w.layers[0].count; i++) assert.ok(!subsetAt(w.layers[0], i).includes(1));
  // expert 0 carries half the load, so appears in most tokens
  const timed = await readTrace(file('st.json', JSON.stringify({ logical_count: [counts, counts] })), { model, sampleTokens: 4000 });
  assert.equal(timed.layers[1].total, 4000);
  // MoE-only rows also accepted
  const moeOnly = await readTrace(file('s2.json', JSON.stringify({ logical_count: counts.slice(1) })), { model, sampleTokens: 10 });
  assert.equal(moeOnly.layers.length, 2);
});

test('sglang: wrong shapes name the row and its line', async () => {
  const model = { layers: 2, experts: 4, topK: 2 };
  const text = '{"logical_count": [\n[1, 2, 3, 4],\n[1, 2, 3]\n]}';
  await rejects(readTrace(file('s3.json', text), { model }), 3, /layer row 1 has 3 counts.*4 routed experts/);
  await rejects(readTrace(file('s4.json', '{"logical_count": [[1,2,3,4],[1,2,3,4],[1,2,3,4]]}'), { model }), undefined, /3 layer rows/);
  await rejects(readTrace(file('s5.json', '{"logical_count": [[1,2,3,4],\n[1,2,"x",4]]}'), { model }), 2, /count must be a number/);
});

test('npy: tokens × layers × k in several dtypes; dense rows skipped; order kept', async () => {
  const model = { layers: 2, experts: 8, topK: 2, firstMoeLayer: 1 };
  // 3 tokens × 3 layers (first dense) × 2
  const vals = [0, 0, 1, 2, 3, 4, 0, 0, 5, 6, 7, 0, 0, 0, 1, 2, 3, 4];
  for (const descr of ['<i4', '<i8', '<i2', '|u1', '<u2', '>i4']) {
    const w = await readTrace(file(`n${descr.replace(/[<>|]/g, '')}.npy`, encodeNpy(vals, [3, 3, 2], descr)), { model });
    assert.equal(w.layers[0].total, 3, descr);
    assert.equal(w.sequence!.tokens, 3);
    assert.deepEqual(Array.from(w.sequence!.ids.subarray(4, 8)), [5, 6, 7, 0]);
  }
});

test('npy: rejects Fortran order, wrong shapes, floats and out-of-range ids clearly', async () => {
  await rejects(readTrace(file('f.npy', encodeNpy([0, 1, 2, 3], [1, 2, 2], '<i4', true)), { model: mixtral }), undefined, /Fortran/);
  await rejects(readTrace(file('s.npy', encodeNpy([0, 1, 2, 3], [2, 2], '<i4')), { model: mixtral }), undefined, /2-D; expected tokens × layers × k/);
  await rejects(readTrace(file('k.npy', encodeNpy([0, 1, 2, 3, 4, 5], [1, 2, 3], '<i4')), { model: mixtral }), undefined, /top-k 2/);
  await rejects(readTrace(file('r.npy', encodeNpy([0, 1, 2, 9], [1, 2, 2], '<i4')), { model: mixtral }), undefined, /token 0, layer 1: expert id 9/);
  const float = encodeNpy([0, 1, 2, 3], [1, 2, 2], '<i4');
  const fixed = Buffer.from(float.toString('latin1').replace("'<i4'", "'<f4'"), 'latin1');
  await rejects(readTrace(file('fl.npy', fixed), { model: mixtral }), undefined, /not an integer type/);
  await rejects(readTrace(file('t.npy', encodeNpy([0, 1, 2, 3], [1, 2, 2], '<i4').subarray(0, 130)), { model: mixtral }), undefined, /truncated/);
});

test('format is detected from content, not the extension', () => {
  assert.equal(detectFormat(file('x.txt', encodeNpy([0, 1], [1, 1, 2]))), 'npy');
  assert.equal(detectFormat(file('y.txt', '{"logical_count": [[1]]}')), 'sglang');
  assert.equal(detectFormat(file('y2.jsonl', '\n  {\n "logical_count": [[1]]}')), 'sglang');
  assert.equal(detectFormat(file('z.json', '{"layer": 0, "experts": [1, 2]}\n{"layer": 1, "experts": [1, 2]}\n')), 'jsonl');
  assert.equal(detectFormat(file('w.dat', 'layer\texperts\n0\t1 2\n')), 'csv');
  assert.throws(() => detectFormat(file('v.csv', 'hello world\n')), /cannot tell the trace format/);
});

test('missing files and size limits are clear', async () => {
  await rejects(readTrace(join(dir, 'nope.jsonl'), { model: mixtral }), undefined, /file not found/);
  await rejects(
    readTrace(
      file(
        'big.jsonl',
        jsonl([
          { layer: 0, experts: [0, 1] },
          { layer: 1, experts: [0, 1] },
        ]),
      ),
      { model: mixtral, maxBytes: 10 },
    ),
    undefined,
    /over the 10 B limit/,
  );
});

test('reading can be cancelled', async () => {
  const ac = new AbortController();
  ac.abort();
  await rejects(readTrace(file('c.jsonl', jsonl([{ layer: 0, experts: [0, 1] }])), { model: mixtral, signal: ac.signal }), undefined, /cancelled/);
});

test('sglang assumption: experts drawn in proportion to load without replacement (sequential renormalised)', () => {
  // loads 2:1:1, k = 2 → P({1,2}) = ¼·⅓ + ¼·⅓ = 1/6, P({0,1}) = P({0,2}) = 5/12
  const d = sampleIndependent(0, [2, 1, 1], 2, 30000, new Rng(9));
  const share = (a: number, b: number) => {
    for (let i = 0; i < d.count; i++) if (d.ids[2 * i] === a && d.ids[2 * i + 1] === b) return d.weights[i] / d.total;
    return 0;
  };
  assert.ok(Math.abs(share(1, 2) - 1 / 6) < 0.012, `${share(1, 2)}`);
  assert.ok(Math.abs(share(0, 1) - 5 / 12) < 0.015, `${share(0, 1)}`);
  assert.equal(d.coactivationKnown, false);
});
