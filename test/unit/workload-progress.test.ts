// Progress of long trace reads: the readers report bytes and records as they
// go, the analysis relays the worker's reports before any layer is solved,
// and every surface words them the same way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTrace } from '../../server/src/workload/readers/index';
import { describeReadProgress } from '../../server/src/workload/readers/progress';
import type { ReadProgress } from '../../server/src/workload/types';
import { checkText } from '../../server/src/plan/check';
import { startAnalysis, type AnalysisProgress } from '../../server/src/analysis/index';

let dir: string;
let trace: string;
const tiny = { layers: 2, experts: 8, topK: 2, name: 'Tiny' };

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'moeplan-progress-'));
  // ~3 MiB: several 1 MiB chunks.
  const lines: string[] = [];
  for (let t = 0; t < 40_000; t++)
    for (let l = 0; l < 2; l++)
      lines.push(
        JSON.stringify({
          request_id: t >> 8,
          token_idx: t & 255,
          layer: l,
          experts: [(t + l) % 8, (t * 3 + l + 1) % 8 === (t + l) % 8 ? (t + l + 1) % 8 : (t * 3 + l + 1) % 8],
        }),
      );
  trace = join(dir, 't.jsonl');
  writeFileSync(trace, lines.join('\n') + '\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('a read reports bytes and records as it goes, rising, within the file', async () => {
  const seen: ReadProgress[] = [];
  await readTrace(trace, { model: tiny, onProgress: (p) => seen.push(p), progressEveryMs: 0 });
  const size = statSync(trace).size;
  assert.ok(seen.length >= 2, `${seen.length} reports`);
  for (let i = 1; i < seen.length; i++) {
    assert.ok(seen[i].bytesRead >= seen[i - 1].bytesRead);
    assert.ok(seen[i].records >= seen[i - 1].records);
  }
  for (const p of seen) {
    assert.equal(p.file, trace);
    assert.equal(p.totalBytes, size);
    assert.ok(p.bytesRead > 0 && p.bytesRead <= size);
  }
  assert.ok(seen[seen.length - 1].records > 0);
});

test('no listener, no reports; the default interval keeps them few', async () => {
  const seen: ReadProgress[] = [];
  const t0 = performance.now();
  await readTrace(trace, { model: tiny, onProgress: (p) => seen.push(p) });
  const ms = performance.now() - t0;
  assert.ok(seen.length <= Math.ceil(ms / 250) + 1, `${seen.length} reports in ${ms.toFixed(0)} ms`);
});

test('the progress text says what is read, how far, and how fast', () => {
  const text = describeReadProgress({ file: '/x/chat.jsonl', bytesRead: 3 << 20, totalBytes: 12 << 20, records: 1_500_000, elapsedMs: 1500 });
  assert.equal(text, 'reading chat.jsonl: 3.0 MiB of 12.0 MiB (25%), 1,500,000 records, 1,000,000 records/s');
});

test("the analysis relays the worker's read progress before any layer is solved", async () => {
  const planFile = join(dir, 'p.moeplan');
  const text = `model custom {\n  layers 2\n  experts 8\n  top-k 2\n  hidden 1024\n  expert-ffn 2048\n}\ngpu h100-sxm x 2\nworkload {\n  trace "t.jsonl"\n}\nplacement {\n  policy round-robin\n}\n`;
  writeFileSync(planFile, text);
  const r = checkText(text, planFile);
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message),
    [],
  );
  const events: AnalysisProgress[] = [];
  const h = startAnalysis(r.plan!, { sweeps: false, workers: 1, workloadCache: false, readProgressEveryMs: 0, onProgress: (p) => events.push(p) });
  const results = await h.result;
  assert.equal(results.layers.length, 2);
  const firstJob = events.findIndex((e) => e.done > 0);
  const reads = events.filter((e) => e.reading);
  assert.ok(reads.length >= 1, 'read progress relayed');
  assert.ok(firstJob < 0 || events.findIndex((e) => e.reading) < firstJob);
  assert.ok(reads.every((e) => e.reading!.file.endsWith('t.jsonl') && e.done === 0));
});
