// Line input of the text trace formats: LF, CRLF and lone CR all end a line,
// lines split across chunks are joined exactly, the work is linear, and a
// file with no line ends is refused early with its line. Counts that would
// overflow the sums behind E[T] are refused at their row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forEachLine, forEachLineBytes } from '../../server/src/workload/readers/lines';
import { readTrace, detectFormat } from '../../server/src/workload/readers/index';
import { WorkloadError } from '../../server/src/workload/types';
import { subsetAt } from '../../server/src/workload/distribution';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'moeplan-lines-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(content: string | Buffer, name = `f${n++}.txt`): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

async function lines(path: string, chunkBytes?: number): Promise<string[]> {
  const out: string[] = [];
  await forEachLine(
    path,
    (t, line) => {
      assert.equal(line, out.length + 1);
      out.push(t);
    },
    { chunkBytes },
  );
  return out;
}

const tiny = { layers: 2, experts: 8, topK: 2, name: 'Tiny' };

test('LF, CRLF and lone CR each end one line; no terminator after the last line is fine', async () => {
  assert.deepEqual(await lines(file('a\nb\r\nc\rd')), ['a', 'b', 'c', 'd']);
  assert.deepEqual(await lines(file('a\r\rb\n\nc\r\n')), ['a', '', 'b', '', 'c']);
  assert.deepEqual(await lines(file('')), []);
  assert.deepEqual(await lines(file('\r\n')), ['']);
});

test('a CRLF split between two chunks is one line end, not two', async () => {
  // chunk of 4 bytes: "abc\r" | "\ndef" | "\r"
  assert.deepEqual(await lines(file('abc\r\ndef\r'), 4), ['abc', 'def']);
  assert.deepEqual(await lines(file('abc\r\rdef'), 4), ['abc', '', 'def']);
});

test('property: any text, any line ends, any chunk size reads as the reference split', async () => {
  const piece = fc.string({ unit: fc.constantFrom('a', 'é', '€', ',', ' ', '{', '"'), maxLength: 12 });
  const end = fc.constantFrom('\n', '\r\n', '\r');
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(piece, end), { maxLength: 20 }), piece, fc.integer({ min: 1, max: 9 }), async (body, last, chunk) => {
      const text = body.map(([p, e]) => p + e).join('') + last;
      // A CR then an LF, even from two pieces, is one CRLF.
      const expected = text.split(/\r\n|\r|\n/);
      if (expected[expected.length - 1] === '') expected.pop();
      assert.deepEqual(await lines(file(text), chunk), expected);
    }),
    { numRuns: 150 },
  );
});

test('a long line split into many small chunks is joined once (linear), byte for byte', async () => {
  // 4 MiB in 1 KiB chunks: appending each chunk to the pending line would copy ~8 GB.
  const big = Buffer.alloc(4 << 20, 0x61);
  big[12345] = 0x62;
  const p = file(Buffer.concat([big, Buffer.from('\nz')]));
  const seen: { len: number; b: number }[] = [];
  await forEachLineBytes(p, (buf, s, e) => seen.push({ len: e - s, b: buf[s + 12345] }), { chunkBytes: 1024 });
  assert.deepEqual(seen, [
    { len: 4 << 20, b: 0x62 },
    { len: 1, b: undefined },
  ]);
});

test('a file with no line end is refused once the line passes the limit, without reading the rest', async () => {
  const p = file(Buffer.alloc(40 << 20, 0x7b), 'noline.jsonl');
  let read = 0;
  await assert.rejects(
    forEachLineBytes(p, () => undefined, { onBytes: (b) => (read = b) }),
    (e: unknown) => e instanceof WorkloadError && e.line === 1 && /line 1 is longer than 16\.0 MiB with no line end/.test(e.message),
  );
  assert.ok(read <= 18 << 20, `read ${read} bytes of 40 MiB`);
  await assert.rejects(
    readTrace(p, { model: tiny, format: 'jsonl' }),
    (e: unknown) => e instanceof WorkloadError && e.line === 1 && /longer than/.test(e.message),
  );
});

test('CR-only CSV (Excel "CSV (Macintosh)") is detected and read like the LF one', async () => {
  const rows = ['layer,experts,count', '0,0 1,3', '0,2 3,1', '1,4 5,2'];
  const lf = file(rows.join('\n') + '\n', 'counts-lf.csv');
  const cr = file(rows.join('\r') + '\r', 'counts-cr.csv');
  assert.equal(detectFormat(cr), 'csv');
  const a = await readTrace(lf, { model: tiny });
  const b = await readTrace(cr, { model: tiny });
  for (const w of [a, b]) {
    assert.equal(w.layers[0].total, 4);
    assert.deepEqual(subsetAt(w.layers[1], 0), [4, 5]);
  }
  assert.deepEqual(
    b.layers.map((d) => [...d.weights]),
    a.layers.map((d) => [...d.weights]),
  );
});

test('CR-only JSONL reads every record, and its errors name the right line', async () => {
  const recs = [0, 1, 0, 1].map((l, i) => JSON.stringify({ layer: l, experts: [i, i + 2] }));
  const w = await readTrace(file(recs.join('\r') + '\r', 'cr.jsonl'), { model: tiny });
  assert.equal(w.layers[0].total + w.layers[1].total, 4);
  const bad = [...recs.slice(0, 2), '{"layer": 0, "experts": [1, 9]}', recs[3]].join('\r');
  await assert.rejects(
    readTrace(file(bad, 'cr-bad.jsonl'), { model: tiny }),
    (e: unknown) => e instanceof WorkloadError && e.line === 3 && /out of range/.test(e.message),
  );
});

test('CSV counts that would overflow E[T] are refused at their row', async () => {
  const huge = file('layer,experts,count\n0,0 1,3\n0,2 3,1e308\n1,4 5,2\n', 'huge.csv');
  await assert.rejects(
    readTrace(huge, { model: tiny }),
    (e: unknown) => e instanceof WorkloadError && e.line === 3 && /count 1e308 is too large/.test(e.message) && e.message.startsWith(`${huge}:3:`),
  );
  const sum = file('layer,experts,count\n0,0 1,5e15\n1,4 5,2\n0,2 3,5e15\n', 'sum.csv');
  await assert.rejects(
    readTrace(sum, { model: tiny }),
    (e: unknown) => e instanceof WorkloadError && e.line === 4 && /layer 0 add up to more than/.test(e.message),
  );
  // The largest exact counts still read.
  const ok = await readTrace(file('layer,experts,count\n0,0 1,4e15\n1,4 5,2\n', 'ok.csv'), { model: tiny });
  assert.equal(ok.layers[0].total, 4e15);
});
