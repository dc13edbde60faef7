// `npm run bench -- traces [--tokens N]`: trace ingestion at production size.
//
// Generates, in a temporary folder, a DeepSeek-V3-scale routing trace with
// the project's seeded generator (17,300 tokens × 58 MoE layers × top-8 =
// 1,003,400 token-layer records, group-limited routing) written as a vLLM
// routing logger writes it (a meta line, then "type": "route" records with
// req_id, token_idx, layer 3–60, topk_ids and topk_weights), then:
//
// 1. moeplan's JSONL reader against plain loops over the same file, in this
//    process, interleaved, best of 3: readline + JSON.parse alone, and
//    readline + JSON.parse + counting each layer's sorted expert subsets in
//    a Map (the same output as the reader, minus the token order it also
//    keeps). Wall and CPU time; CPU time is the steadier on a shared machine.
// 2. `moeplan trace stats` and `moeplan trace aggregate` (the bundled CLI,
//    each in its own process) on it: time and max RSS.
// 3. The same routing as moeplan's own JSONL, list-column Parquet, one
//    column per rank Parquet and the aggregated counts (CSV and Parquet):
//    `trace stats` on each, records/s and max RSS, and a check that every
//    form gives the same E[T] (EPLB placement, layer 0).
//
// The machine is shared: read ratios within one run, not absolute figures.
import { createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { generateSynthetic } from '../server/src/workload/synthetic';
import { readTrace } from '../server/src/workload/readers/index';
import { solveLayer } from '../server/src/solve/index';
import type { TokenSequence } from '../server/src/workload/types';
import { deepseekV3Input } from './data';

const DEEPSEEK_V3 = { layers: 58, experts: 256, topK: 8, firstMoeLayer: 3, name: 'DeepSeek-V3' };
const REQUEST_TOKENS = 512;
const CLI = resolve(__dirname, '..', 'dist', 'cli.js');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function mib(bytes: number): string {
  return `${fmt(bytes / (1 << 20), 1)} MiB`;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number; cpu: number }> {
  const c0 = cpuMs();
  const t0 = performance.now();
  const value = await f();
  return { value, ms: performance.now() - t0, cpu: cpuMs() - c0 };
}

/** Writes lines through a stream in ~1 MiB pieces. */
async function writeLines(file: string, each: (emit: (line: string) => void) => void): Promise<void> {
  const ws = createWriteStream(file);
  let buf = '';
  const pending: string[] = [];
  each((line) => {
    buf += line + '\n';
    if (buf.length > 1 << 20) {
      pending.push(buf);
      buf = '';
    }
  });
  pending.push(buf);
  for (const piece of pending) if (!ws.write(piece)) await once(ws, 'drain');
  ws.end();
  await once(ws, 'finish');
}

function idsOf(seq: TokenSequence, t: number, l: number): number[] {
  const base = (t * seq.layers + l) * seq.k;
  return Array.from(seq.ids.subarray(base, base + seq.k));
}

async function writeVllm(file: string, seq: TokenSequence): Promise<void> {
  await writeLines(file, (emit) => {
    emit(JSON.stringify({ type: 'meta', model: 'DeepSeek-V3', num_layers: 61, first_k_dense_replace: 3, top_k: 8 }));
    for (let t = 0; t < seq.tokens; t++)
      for (let l = 0; l < seq.layers; l++) {
        const ids = idsOf(seq, t, l);
        // Router weights as a logger prints float32 values.
        const weights = ids.map((e, j) => Number(Math.fround(0.9 / (j + 1.5) + e / 100000).toPrecision(8)));
        emit(
          JSON.stringify({
            type: 'route',
            req_id: `req-${Math.floor(t / REQUEST_TOKENS)}`,
            token_idx: t % REQUEST_TOKENS,
            layer: l + 3,
            topk_ids: ids,
            topk_weights: weights,
          }),
        );
      }
  });
}

async function writeOwn(file: string, seq: TokenSequence): Promise<void> {
  await writeLines(file, (emit) => {
    for (let t = 0; t < seq.tokens; t++)
      for (let l = 0; l < seq.layers; l++)
        emit(JSON.stringify({ problem_id: Math.floor(t / REQUEST_TOKENS), token_idx: t % REQUEST_TOKENS, layer: l + 3, experts: idsOf(seq, t, l) }));
  });
}

function writeParquet(file: string, seq: TokenSequence, wide: boolean): void {
  const n = seq.tokens * seq.layers;
  const layer = new Int32Array(n);
  const request = new Int32Array(n);
  const position = new Int32Array(n);
  const lists: number[][] = [];
  const ranks = Array.from({ length: seq.k }, () => new Int32Array(n));
  let r = 0;
  for (let t = 0; t < seq.tokens; t++)
    for (let l = 0; l < seq.layers; l++, r++) {
      layer[r] = l + 3;
      request[r] = Math.floor(t / REQUEST_TOKENS);
      position[r] = t % REQUEST_TOKENS;
      const ids = idsOf(seq, t, l);
      if (wide) ids.forEach((e, j) => (ranks[j][r] = e));
      else lists.push(ids);
    }
  const buf = wide
    ? parquetWriteBuffer({
        columnData: [
          { name: 'request_id', data: request },
          { name: 'token_idx', data: position },
          { name: 'layer', data: layer },
          ...ranks.map((data, j) => ({ name: `expert_${j}`, data })),
        ],
        rowGroupSize: 131072,
      })
    : parquetWriteBuffer({
        columnData: [
          { name: 'request_id', data: request },
          { name: 'token_idx', data: position },
          { name: 'layer', data: layer },
          { name: 'topk_ids', data: lists },
        ],
        schema: [
          { name: 'root', num_children: 4 },
          { name: 'request_id', type: 'INT32', repetition_type: 'REQUIRED' },
          { name: 'token_idx', type: 'INT32', repetition_type: 'REQUIRED' },
          { name: 'layer', type: 'INT32', repetition_type: 'REQUIRED' },
          { name: 'topk_ids', repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
          { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
          { name: 'element', type: 'INT32', repetition_type: 'REQUIRED' },
        ],
        rowGroupSize: 131072,
      });
  writeFileSync(file, new Uint8Array(buf));
}

/** readline + JSON.parse, nothing else. */
async function plainParse(file: string): Promise<number> {
  let n = 0;
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) {
    if (line === '') continue;
    const r = JSON.parse(line) as { layer?: number };
    if (r.layer !== undefined) n++;
  }
  return n;
}

/** readline + JSON.parse + each layer's sorted subsets counted in a Map: what the reader produces, written plainly. */
async function plainCount(file: string): Promise<number> {
  const layers = new Map<number, Map<string, number>>();
  let n = 0;
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) {
    if (line === '') continue;
    const r = JSON.parse(line) as { layer?: number; topk_ids?: number[]; experts?: number[] };
    const ids = r.topk_ids ?? r.experts;
    if (r.layer === undefined || !ids) continue;
    const key = [...ids].sort((a, b) => a - b).join(',');
    let m = layers.get(r.layer);
    if (!m) layers.set(r.layer, (m = new Map()));
    m.set(key, (m.get(key) ?? 0) + 1);
    n++;
  }
  let distinct = 0;
  for (const m of layers.values()) distinct += m.size;
  return n + distinct * 0;
}

interface ChildFigures {
  code: number;
  ms: number;
  maxRssKiB: number;
  out: string;
  err: string;
}

/**
 * The child's own peak RSS in KiB: VmHWM from /proc (Linux), since getrusage's
 * maxrss survives exec and would report this (large) parent's peak.
 */
const PEAK_RSS = `(() => { try { return Number(/VmHWM:\\s*(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]); } catch { return process.resourceUsage().maxRSS; } })()`;

/** Runs the bundled CLI in its own process; reports wall time and the process's peak RSS. */
function runCli(args: string[]): ChildFigures {
  const script =
    `const t0 = performance.now();` +
    `require(${JSON.stringify(CLI)}).main(${JSON.stringify(args)}).then((code) => {` +
    `process.stderr.write('\\n@@' + JSON.stringify({ code, ms: performance.now() - t0, maxRssKiB: ${PEAK_RSS} }));` +
    `process.exitCode = code; });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const at = r.stderr.lastIndexOf('\n@@');
  if (at < 0) throw new Error(`moeplan ${args.join(' ')} failed: ${r.stderr}`);
  const fig = JSON.parse(r.stderr.slice(at + 3)) as { code: number; ms: number; maxRssKiB: number };
  return { ...fig, out: r.stdout, err: r.stderr.slice(0, at) };
}

/** A baseline: the RSS of a process that loads the CLI and does nothing. */
function idleRss(): number {
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(CLI)}); process.stderr.write(String(${PEAK_RSS}))`], { encoding: 'utf8' });
  return Number(r.stderr);
}

export async function run(): Promise<void> {
  const tokens = Number(arg('--tokens') ?? 17_300);
  const dir = mkdtempSync(join(tmpdir(), 'moeplan-bench-traces-'));
  try {
    const gen = await timed(async () =>
      generateSynthetic(
        { kind: 'synthetic', tokens, seed: 3, skew: 1.2, concentration: 0.6, topics: 32 },
        { layers: 58, experts: 256, topK: 8, groups: { count: 8, topGroups: 4 } },
        { maxSequenceIds: tokens * 58 * 8 },
      ),
    );
    const seq = gen.value.sequence!;
    const files = {
      vllm: join(dir, 'routing-vllm.jsonl'),
      own: join(dir, 'routing-own.jsonl'),
      list: join(dir, 'routing-list.parquet'),
      wide: join(dir, 'routing-wide.parquet'),
      countsCsv: join(dir, 'counts.csv'),
      countsParquet: join(dir, 'counts.parquet'),
    };
    await writeVllm(files.vllm, seq);
    const records = seq.tokens * seq.layers;
    console.log(
      `trace: ${fmt(seq.tokens)} tokens × 58 layers × top-8 = ${fmt(records)} records (DeepSeek-V3 scale, generated in ${fmt(gen.ms / 1000, 1)} s), ` +
        `vLLM-logger JSONL ${mib(statSync(files.vllm).size)}`,
    );

    // 1. The reader against plain loops, interleaved, best of 3.
    const best = { parse: Infinity, parseCpu: Infinity, count: Infinity, countCpu: Infinity, read: Infinity, readCpu: Infinity };
    let sequenceTokens = 0;
    for (let rep = 0; rep < 3; rep++) {
      const p = await timed(() => plainParse(files.vllm));
      const c = await timed(() => plainCount(files.vllm));
      const r = await timed(() => readTrace(files.vllm, { model: DEEPSEEK_V3 }));
      if (p.value !== records || c.value !== records) throw new Error(`plain loops read ${p.value} and ${c.value} records, expected ${records}`);
      sequenceTokens = r.value.sequence?.tokens ?? 0;
      best.parse = Math.min(best.parse, p.ms);
      best.parseCpu = Math.min(best.parseCpu, p.cpu);
      best.count = Math.min(best.count, c.ms);
      best.countCpu = Math.min(best.countCpu, c.cpu);
      best.read = Math.min(best.read, r.ms);
      best.readCpu = Math.min(best.readCpu, r.cpu);
    }
    const rate = (ms: number) => `${fmt(records / (ms / 1000))} records/s`;
    console.log(`plain readline + JSON.parse:                  ${fmt(best.parse)} ms (cpu ${fmt(best.parseCpu)} ms), ${rate(best.parse)}`);
    console.log(`plain readline + JSON.parse + subset counts:  ${fmt(best.count)} ms (cpu ${fmt(best.countCpu)} ms), ${rate(best.count)}`);
    console.log(
      `moeplan readTrace (counts + token order):      ${fmt(best.read)} ms (cpu ${fmt(best.readCpu)} ms), ${rate(best.read)}; ` +
        `token order kept for ${fmt(sequenceTokens)} tokens`,
    );
    console.log(
      `  speed-up over the plain counting loop: ${fmt(best.count / best.read, 2)}× wall, ${fmt(best.countCpu / best.readCpu, 2)}× cpu; ` +
        `over readline + JSON.parse alone: ${fmt(best.parse / best.read, 2)}× wall, ${fmt(best.parseCpu / best.readCpu, 2)}× cpu (best of 3 each)`,
    );

    if (!existsSync(CLI)) {
      console.log(`skipped the CLI figures: ${CLI} is missing (npm run build)`);
      return;
    }
    // 2. trace stats and trace aggregate, each in its own process.
    const idle = idleRss();
    const stats = runCli(['trace', 'stats', files.vllm, '--json']);
    const agg = runCli(['trace', 'aggregate', files.vllm, '-o', files.countsParquet]);
    const aggCsv = runCli(['trace', 'aggregate', files.vllm, '-o', files.countsCsv]);
    for (const [name, r] of [
      ['stats', stats],
      ['aggregate', agg],
      ['aggregate csv', aggCsv],
    ] as const)
      if (r.code !== 0) throw new Error(`trace ${name} failed: ${r.err}`);
    const distinct = (JSON.parse(stats.out) as { layers: { distinctSubsets: number }[] }).layers.reduce((s, l) => s + l.distinctSubsets, 0);
    console.log(
      `moeplan trace stats:     ${fmt(stats.ms)} ms, max RSS ${fmt(stats.maxRssKiB / 1024)} MiB (a process that only loads the CLI: ${fmt(idle / 1024)} MiB); ${fmt(distinct)} distinct subsets`,
    );
    console.log(
      `moeplan trace aggregate: ${fmt(agg.ms)} ms to Parquet (${mib(statSync(files.countsParquet).size)}), ${fmt(aggCsv.ms)} ms to CSV (${mib(statSync(files.countsCsv).size)}); max RSS ${fmt(agg.maxRssKiB / 1024)} / ${fmt(aggCsv.maxRssKiB / 1024)} MiB`,
    );

    // 3. Every form of the same routing.
    await writeOwn(files.own, seq);
    writeParquet(files.list, seq, false);
    writeParquet(files.wide, seq, true);
    const eplb = (file: string) => readTrace(file, { model: DEEPSEEK_V3 }).then((w) => solveLayer('eplb', deepseekV3Input(w.layers[0], 0)).expectedTime);
    const reference = await eplb(files.vllm);
    console.log('format                       size        trace stats     records/s   max RSS   E[T] layer 0 (EPLB, 32 GPUs × 9 slots)');
    for (const [name, file] of [
      ['vLLM-logger JSONL', files.vllm],
      ['moeplan JSONL', files.own],
      ['Parquet, list column', files.list],
      ['Parquet, column per rank', files.wide],
      ['counts CSV (aggregate)', files.countsCsv],
      ['counts Parquet (aggregate)', files.countsParquet],
    ] as const) {
      const r = runCli(['trace', 'stats', file, '--json']);
      if (r.code !== 0) throw new Error(`trace stats ${file}: ${r.err}`);
      const s = JSON.parse(r.out) as { records: number; ms: number };
      const e = await eplb(file);
      console.log(
        `${name.padEnd(28)} ${mib(statSync(file).size).padStart(10)}  ${`${fmt(s.ms)} ms`.padStart(10)}  ${fmt(s.records / (s.ms / 1000)).padStart(12)}  ${`${fmt(r.maxRssKiB / 1024)} MiB`.padStart(8)}   ${e.toFixed(12)}${e === reference ? ' (same)' : ' (DIFFERS)'}`,
      );
    }
    console.log(
      `(records/s counts rows read: the counts files have one row per distinct subset; max RSS includes ${fmt(idle / 1024)} MiB for Node and the CLI)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
