// Past one machine: the GROUP BY that docs/traces.md gives for counting a
// fleet's traces in SQL, run as written by DuckDB on Parquet traces, writes
// counts moeplan reads as the same distributions and the same E[T] as the
// traces themselves. DuckDB also writes a zstd-compressed trace the way a
// database does (dictionary pages, its own row groups), which moeplan reads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { readTrace } from '../../server/src/workload/readers/index';
import { expectedTime } from '../../server/src/cost/evaluate';
import { solveLayer } from '../../server/src/solve/index';
import type { LayerDistribution, Workload } from '../../server/src/workload/types';
import { FIXTURE_MODEL, fixtureRouting, rowsOf, writeListParquet, writeWideParquet } from './traceFixtures';

let dir: string;
let db: DuckDBInstance;
let sql: DuckDBConnection;
let list: string;
let wide: string;
let reference: Workload;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'moeplan-duckdb-'));
  const rows = rowsOf(fixtureRouting(1200, 11));
  list = writeListParquet(dir, rows);
  wide = writeWideParquet(dir, rows);
  reference = await readTrace(list, { model: FIXTURE_MODEL });
  db = await DuckDBInstance.create(':memory:');
  sql = await db.connect();
});
after(() => {
  sql?.closeSync();
  db?.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

/** The SQL block after `<!-- aggregate-sql: NAME -->` in docs/traces.md. */
function documentedSql(name: string): string {
  const doc = readFileSync(join(__dirname, '../../docs/traces.md'), 'utf8');
  const m = new RegExp(`<!-- aggregate-sql: ${name} -->\\s*\`\`\`sql\\n([\\s\\S]*?)\`\`\``).exec(doc);
  assert.ok(m, `docs/traces.md has the ${name} aggregation`);
  return m[1];
}

function canonical(d: LayerDistribution): string[] {
  const out: string[] = [];
  for (let i = 0; i < d.count; i++) out.push(`${Array.from(d.ids.subarray(i * d.k, i * d.k + d.k)).join(' ')}:${d.weights[i]}`);
  return out.sort();
}

/**
 * Same distributions exactly; the same E[T] up to the order of a floating
 * sum (a GROUP BY lists the subsets in its own order, so E[T] adds the same
 * terms in another order: equal to about 1e-16).
 */
function sameAsReference(w: Workload, what: string): void {
  assert.deepEqual(w.layers.map(canonical), reference.layers.map(canonical), `${what}: distributions`);
  const close = (a: number, b: number, msg: string) => assert.ok(Math.abs(a - b) <= 1e-12 * Math.abs(b), `${msg}: ${a} vs ${b}`);
  for (let l = 0; l < w.layers.length; l++) {
    const input = { gpus: 4, slotsPerGpu: [5, 5, 5, 5], gpusPerNode: 4, constraints: { pins: [], forbids: [], replicas: true }, seed: 1, timeBudgetMs: 0 };
    const ref = solveLayer('eplb', { ...input, dist: reference.layers[l] });
    close(solveLayer('eplb', { ...input, dist: w.layers[l] }).expectedTime, ref.expectedTime, `${what}: E[T] of layer ${l}`);
    close(expectedTime(w.layers[l], ref.placement), ref.expectedTime, `${what}: E[T] of the same placement, layer ${l}`);
  }
}

const quote = (p: string) => p.replace(/'/g, "''");

test('the documented GROUP BY over a list-column trace writes Parquet counts moeplan reads as the trace', async () => {
  const out = join(dir, 'counts-list.parquet');
  await sql.run(
    documentedSql('list')
      .replace("'trace.parquet'", `'${quote(list)}'`)
      .replace("'counts.parquet'", `'${quote(out)}'`),
  );
  const w = await readTrace(out, { model: FIXTURE_MODEL });
  assert.ok(
    w.notes.some((n) => /count "count"/.test(n)),
    w.notes.join(' | '),
  );
  sameAsReference(w, 'DuckDB counts (Parquet)');
});

test('the documented GROUP BY over one column per rank writes CSV counts ("[5, 6]" lists) moeplan reads as the trace', async () => {
  const out = join(dir, 'counts-wide.csv');
  await sql.run(
    documentedSql('wide')
      .replace("'trace.parquet'", `'${quote(wide)}'`)
      .replace("'counts.csv'", `'${quote(out)}'`),
  );
  assert.match(readFileSync(out, 'utf8'), /^layer,experts,count\n\d+,"\[\d+, \d+, \d+, \d+\]",\d+\n/);
  sameAsReference(await readTrace(out, { model: FIXTURE_MODEL }), 'DuckDB counts (CSV)');
});

test('a trace DuckDB writes (zstd, dictionary pages, INT64 ids) reads as the same routing', async () => {
  const out = join(dir, 'duck-trace.parquet');
  await sql.run(`COPY (SELECT * FROM read_parquet('${quote(list)}')) TO '${quote(out)}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 2048)`);
  const w = await readTrace(out, { model: FIXTURE_MODEL });
  sameAsReference(w, 'DuckDB zstd trace');
  assert.deepEqual(Array.from(w.sequence!.ids), Array.from(reference.sequence!.ids));
  const gz = join(dir, 'duck-trace-gzip.parquet');
  await sql.run(
    `COPY (SELECT layer::BIGINT AS layer, topk_ids::BIGINT[] AS experts FROM read_parquet('${quote(list)}')) TO '${quote(gz)}' (FORMAT parquet, COMPRESSION gzip)`,
  );
  sameAsReference(await readTrace(gz, { model: FIXTURE_MODEL }), 'DuckDB gzip trace, INT64 ids');
});
