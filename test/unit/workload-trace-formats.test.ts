// The same routing written as moeplan's JSONL, as a vLLM logger's JSONL, as
// list-column Parquet, as one-column-per-rank Parquet and as aggregated
// counts (CSV and Parquet) reads as the same distributions and gives the
// same E[T] under deterministic policies, exactly; the token order is the
// same wherever the format carries it. Bad Parquet input names its row
// group and row; `moeplan trace stats|aggregate` work from the command line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { readTrace, detectFormat } from '../../server/src/workload/readers/index';
import { aggregateTraces, countsCsv, countsParquet } from '../../server/src/workload/aggregate';
import { solveLayer } from '../../server/src/solve/index';
import { expectedTime } from '../../server/src/cost/evaluate';
import type { LayerDistribution, Workload } from '../../server/src/workload/types';
import { WorkloadError } from '../../server/src/workload/types';
import type { PolicyName } from '../../server/src/plan/types';
import { main } from '../../server/src/cli/main';
import { checkText } from '../../server/src/plan/check';
import { loadWorkload } from '../../server/src/workload/load';
import { FIXTURE_MODEL, fixtureRouting, rowsOf, writeListParquet, writeOwnJsonl, writeVllmJsonl, writeWideParquet } from './traceFixtures';

let dir: string;
const files: Record<string, string> = {};
const seq = fixtureRouting();
const rows = rowsOf(seq);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'moeplan-formats-'));
  files.own = writeOwnJsonl(dir, rows);
  files.vllm = writeVllmJsonl(dir, rows);
  files.list = writeListParquet(dir, rows);
  files.wide = writeWideParquet(dir, rows);
  const a = await aggregateTraces([files.own]);
  files.countsCsv = join(dir, 'counts.csv');
  writeFileSync(files.countsCsv, countsCsv(a));
  files.countsParquet = join(dir, 'counts.parquet');
  writeFileSync(files.countsParquet, countsParquet(a));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A layer as sorted "ids:weight" entries, independent of subset order. */
function canonical(d: LayerDistribution): string[] {
  const out: string[] = [];
  for (let i = 0; i < d.count; i++) out.push(`${Array.from(d.ids.subarray(i * d.k, i * d.k + d.k)).join(' ')}:${d.weights[i]}`);
  return out.sort();
}

const POLICIES: PolicyName[] = ['contiguous', 'round-robin', 'eplb', 'greedy'];

function figures(w: Workload): number[][] {
  return w.layers.map((dist) =>
    POLICIES.map(
      (policy) =>
        solveLayer(policy, {
          dist,
          gpus: 4,
          slotsPerGpu: [5, 5, 5, 5],
          gpusPerNode: 4,
          constraints: { pins: [], forbids: [], replicas: true },
          seed: 3,
          timeBudgetMs: 1000,
        }).expectedTime,
    ),
  );
}

test('every format is detected from its content', () => {
  assert.equal(detectFormat(files.own), 'jsonl');
  assert.equal(detectFormat(files.vllm), 'jsonl');
  assert.equal(detectFormat(files.list), 'parquet');
  assert.equal(detectFormat(files.wide), 'parquet');
  assert.equal(detectFormat(files.countsCsv), 'csv');
  const renamed = join(dir, 'trace.dat');
  copyFileSync(files.list, renamed);
  assert.equal(detectFormat(renamed), 'parquet');
});

test('the same routing in six forms: identical distributions and identical E[T] under deterministic policies', async () => {
  const read: Record<string, Workload> = {};
  for (const [name, f] of Object.entries(files)) read[name] = await readTrace(f, { model: FIXTURE_MODEL });
  const ref = read.own;
  assert.equal(ref.layers.length, FIXTURE_MODEL.layers);
  assert.equal(ref.layers[0].total, seq.tokens);
  const refFigures = figures(ref);
  // The trace's own E[T] of a fixed placement, and each policy's, are the same numbers for every form.
  const placement = solveLayer('eplb', {
    dist: ref.layers[0],
    gpus: 4,
    slotsPerGpu: [5, 5, 5, 5],
    gpusPerNode: 4,
    constraints: { pins: [], forbids: [], replicas: true },
    seed: 3,
    timeBudgetMs: 0,
  }).placement;
  for (const [name, w] of Object.entries(read)) {
    assert.deepEqual(w.layers.map(canonical), ref.layers.map(canonical), `${name}: distributions`);
    assert.deepEqual(figures(w), refFigures, `${name}: E[T] per layer and policy`);
    assert.equal(expectedTime(w.layers[0], placement), expectedTime(ref.layers[0], placement), `${name}: E[T] of one placement`);
    assert.ok(
      w.notes.some((n) => /read as model layers/.test(n)),
      `${name}: layer numbering noted`,
    );
  }
});

test('the token order is the same wherever the format carries it, and the counts say they dropped it', async () => {
  const own = await readTrace(files.own, { model: FIXTURE_MODEL });
  assert.ok(own.sequence);
  assert.equal(own.sequence.tokens, seq.tokens);
  for (const name of ['vllm', 'list', 'wide']) {
    const w = await readTrace(files[name], { model: FIXTURE_MODEL });
    assert.ok(w.sequence, `${name}: order kept`);
    assert.deepEqual(Array.from(w.sequence.ids), Array.from(own.sequence.ids), `${name}: same order`);
  }
  for (const name of ['countsCsv', 'countsParquet']) {
    const w = await readTrace(files[name], { model: FIXTURE_MODEL });
    assert.equal(w.sequence, undefined);
    assert.ok(
      w.notes.some((n) => /subset counts carry no token order/.test(n)),
      `${name}: ${w.notes.join(' | ')}`,
    );
  }
  assert.match(readFileSync(files.countsCsv, 'utf8'), /^# .*\n# token order dropped/);
});

test('vLLM logger JSONL: the meta line is skipped with a note, and the fields read are named', async () => {
  const w = await readTrace(files.vllm, { model: FIXTURE_MODEL });
  assert.ok(w.notes.includes('fields read: layer "layer", experts "topk_ids", request "req_id", position "token_idx"'), w.notes.join(' | '));
  assert.ok(
    w.notes.some((n) => /skipped 1 record .* type "meta" \(first at line 1\)/.test(n)),
    w.notes.join(' | '),
  );
  const p = await readTrace(files.wide, { model: FIXTURE_MODEL });
  assert.ok(
    p.notes.some((n) => n === 'columns read: layer "layer", experts "expert_0" … "expert_3", request "req_id", position "token_idx"'),
    p.notes.join(' | '),
  );
});

test('aggregating several files merges their counts exactly', async () => {
  const half = Math.floor(rows.length / 2);
  const a = writeOwnJsonl(dir, rows.slice(0, half), 'part-a.jsonl');
  const b = writeListParquet(dir, rows.slice(half), 'part-b.parquet');
  const merged = await aggregateTraces([a, b]);
  const whole = await aggregateTraces([files.own]);
  assert.deepEqual(merged.layers.map(canonical), whole.layers.map(canonical));
  assert.deepEqual(
    merged.inputs.map((i) => [i.format, i.records]),
    [
      ['jsonl', half],
      ['parquet', rows.length - half],
    ],
  );
  assert.equal(merged.orderDropped, true);
});

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += t), err: (t) => (err += t), cwd: dir });
  return { code, out, err };
}

test("moeplan trace stats and aggregate on the command line; solving on the counts gives the trace's figures", async () => {
  const s = await cli(['trace', 'stats', 'vllm.jsonl']);
  assert.equal(s.code, 0, s.err);
  assert.match(s.out, /records: 3,600\n/);
  assert.match(s.out, /layers: 4 \(ids 2–5\), 16 experts seen \(ids 0–15\), top-4/);
  assert.match(s.out, /tokens: 900 per layer at most, in 25 requests/);
  assert.match(s.out, /distinct subsets per layer: min \d/);
  assert.match(s.out, /token order: kept/);
  assert.match(s.out, /read in [\d.]+ s: .*records\/s/);
  const j = JSON.parse((await cli(['trace', 'stats', 'list.parquet', '--json'])).out);
  assert.equal(j.records, rows.length);
  assert.equal(j.layers.length, 4);

  const agg = await cli(['trace', 'aggregate', 'vllm.jsonl', '-o', 'from-cli.parquet']);
  assert.equal(agg.code, 0, agg.err);
  assert.match(agg.err, /wrote from-cli\.parquet: \d[\d,]* distinct subsets in 4 layers from 3,600 records .*token order dropped/);
  const plan = (trace: string) =>
    `model custom {\n  layers 4\n  first-layer 2\n  experts 16\n  top-k 4\n  hidden 1024\n  expert-ffn 2048\n}\ngpu h100-sxm x 4\nslots 5 per gpu\nworkload {\n  trace "${trace}"\n}\nplacement {\n  policy eplb\n}\n`;
  writeFileSync(join(dir, 'on-trace.moeplan'), plan('vllm.jsonl'));
  writeFileSync(join(dir, 'on-counts.moeplan'), plan('from-cli.parquet'));
  const onTrace = await cli(['solve', 'on-trace.moeplan', '--json', '--no-sweeps']);
  const onCounts = await cli(['solve', 'on-counts.moeplan', '--json', '--no-sweeps']);
  assert.equal(onTrace.code, 0, onTrace.err);
  assert.equal(onCounts.code, 0, onCounts.err);
  const t = JSON.parse(onTrace.out);
  const c = JSON.parse(onCounts.out);
  assert.deepEqual(
    c.layers.map((l: { expectedTime: number }) => l.expectedTime),
    t.layers.map((l: { expectedTime: number }) => l.expectedTime),
  );
  assert.deepEqual(
    c.layers.map((l: { placement: number[][] }) => l.placement),
    t.layers.map((l: { placement: number[][] }) => l.placement),
  );
  assert.equal(c.expectedTime, t.expectedTime);
  assert.equal(c.lowerBound, t.lowerBound);

  // The output is never one of the inputs; usage errors exit 2.
  const self = await cli(['trace', 'aggregate', 'counts.csv', '-o', 'counts.csv']);
  assert.equal(self.code, 1, self.err);
  assert.match(self.err, /cannot write counts\.csv: .*input trace/);
  assert.equal((await cli(['trace', 'aggregate', 'own.jsonl', '-o', 'x.txt'])).code, 2);
  assert.equal((await cli(['trace', 'aggregate', 'own.jsonl'])).code, 2);
  const csvOut = await cli(['trace', 'aggregate', 'own.jsonl', '-o', '-']);
  assert.equal(csvOut.code, 0);
  assert.equal(csvOut.out, readFileSync(files.countsCsv, 'utf8').replace(files.own, 'own.jsonl'));
});

test('Parquet: bad input names the row group and the row', async () => {
  const bad = rows.slice(0, 30).map((r) => ({ ...r, ids: [...r.ids] }));
  bad[17].ids[2] = 99;
  const p = writeListParquet(dir, bad, 'bad.parquet');
  // Row groups of 1000: row 17 is in group 0; write with small groups to name another.
  const small = join(dir, 'bad-small.parquet');
  writeFileSync(
    small,
    new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: 'layer', data: Int32Array.from(bad, (r) => r.layer) },
          { name: 'experts', data: bad.map((r) => r.ids) },
        ],
        rowGroupSize: 10,
      }),
    ),
  );
  for (const [f, where] of [
    [p, 'row group 0, row 17 (row 17 of the file)'],
    [small, 'row group 1, row 7 (row 17 of the file)'],
  ]) {
    await assert.rejects(readTrace(f, { model: FIXTURE_MODEL }), (e: unknown) => {
      assert.ok(e instanceof WorkloadError);
      assert.ok(e.message.startsWith(`${f}: ${where}: experts [`), e.message);
      assert.match(e.message, /out of range: the model has 16 routed experts/);
      return true;
    });
  }
  const noExperts = join(dir, 'no-experts.parquet');
  writeFileSync(
    noExperts,
    new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: 'layer', data: Int32Array.from([2, 3]) },
          {
            name: 'moe_ids',
            data: [
              [1, 2, 3, 4],
              [1, 2, 3, 5],
            ],
          },
        ],
      }),
    ),
  );
  await assert.rejects(
    readTrace(noExperts, { model: FIXTURE_MODEL }),
    /no expert-id column: looked for a list column "experts", .*the file has columns "layer", "moe_ids"\. Name it with `experts-field`/,
  );
  const named = await readTrace(noExperts, { model: { ...FIXTURE_MODEL, layers: 2 }, fields: { experts: 'moe_ids' } });
  assert.equal(named.layers[0].total, 1);
  const truncated = join(dir, 'truncated.parquet');
  writeFileSync(truncated, readFileSync(files.list).subarray(0, 2000));
  await assert.rejects(
    readTrace(truncated, { model: FIXTURE_MODEL }),
    (e: unknown) => e instanceof WorkloadError && /not a readable Parquet file/.test(e.message),
  );
});

test("the plan names a trace's own fields: experts-field (a dotted path), layer-field, request-field, position-field", async () => {
  const nested = join(dir, 'nested.jsonl');
  writeFileSync(
    nested,
    rows.map((r) => JSON.stringify({ conv: r.request, step: r.position, moe_layer: r.layer, routing: { ids: r.ids, scores: [0.5, 0.25] } })).join('\n') + '\n',
  );
  const text = (opts: string) =>
    `model custom {\n  layers 4\n  first-layer 2\n  experts 16\n  top-k 4\n  hidden 1024\n  expert-ffn 2048\n}\ngpu h100-sxm x 4\nworkload {\n  trace "nested.jsonl" ${opts}\n}\n`;
  const planFile = join(dir, 'nested.moeplan');
  const ok = checkText(text('experts-field "routing.ids" layer-field "moe_layer" request-field "conv" position-field "step" format jsonl'), planFile);
  assert.deepEqual(
    ok.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message),
    [],
  );
  const src = ok.plan!.workload.source;
  assert.ok(src?.kind === 'trace');
  assert.deepEqual(src.fields, { experts: 'routing.ids', layer: 'moe_layer', request: 'conv', position: 'step' });
  const w = await loadWorkload(ok.plan!);
  const own = await readTrace(files.own, { model: FIXTURE_MODEL });
  assert.deepEqual(w.layers.map(canonical), own.layers.map(canonical));
  assert.deepEqual(Array.from(w.sequence!.ids), Array.from(own.sequence!.ids));
  assert.ok(w.notes.includes('fields read: layer "moe_layer", experts "routing.ids", request "conv", position "step"'), w.notes.join(' | '));

  const twice = checkText(text('experts-field "a" experts-field "b"'), planFile);
  assert.ok(twice.diagnostics.some((d) => d.code === 'MP111' && /experts-field/.test(d.message)));
  const bare = checkText(text('experts-field routing'), planFile);
  assert.ok(
    bare.diagnostics.some((d) => d.code === 'MP112' && /needs the field's name in quotes, e\.g\. `experts-field "routing\.ids"`/.test(d.message)),
    bare.diagnostics.map((d) => d.message).join(' | '),
  );
  // Without the names, the usual ones are looked for and the error says how to name them.
  const plain = checkText(text(''), planFile);
  await assert.rejects(
    loadWorkload(plain.plan!),
    (e: unknown) =>
      e instanceof WorkloadError &&
      /no routing records found: 3,600 records have neither a layer \("layer", .*\) nor expert ids \("experts", "topk_ids", .*\); the first has "conv", "step", "moe_layer", "routing"\. Name the fields with `layer-field` and `experts-field`/.test(
        e.message,
      ),
  );
});
