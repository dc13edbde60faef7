// Parquet routing traces, as MoE routing datasets and SQL engines write
// them: one row per token and layer, with
//   layer                        (or layer_id, …: fields.ts)
//   experts                      a list column of the token's expert ids
//                                (or topk_ids, …), or one column per rank,
//                                experts_0 … experts_{k−1} (also expert_0 …)
//   request_id, token_idx        optional, as in JSONL: they give the order
//   count                        optional: the row is that many tokens (the
//                                counts `moeplan trace aggregate` writes)
// read one row group at a time (hyparquet: only these columns, from a file
// handle), so memory holds one row group plus the distinct subsets. Bad
// input is reported by row group and row.
import { open } from 'node:fs/promises';
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { parquetMetadataAsync, parquetRead, type AsyncBuffer, type Compressors, type DecodedArray, type FileMetaData } from 'hyparquet';
import { WorkloadError } from '../types';
import { MAX_COUNT, MAX_COUNT_TEXT, checkAborted, checkFile } from './common';
import { progressReporter } from './progress';
import { FIELD_KEYWORDS, namesFor, quotedNames } from './fields';
import { NONE, RequestIds, atRecord, type RecordRules, type RoutingCollector, type RoutingSink } from './records';
import type { SourceOptions, SourceSummary } from './source';

/** Column names of a per-row token count (aggregated counts). */
const COUNT_COLUMNS = ['count', 'weight', 'tokens'];

/** Prefixes of one-column-per-rank expert ids, besides the expert-field names. */
const WIDE_PREFIXES = ['expert'];

/** Page codecs beyond hyparquet's own snappy: Node's zlib and a pure-JS zstd. */
const COMPRESSORS: Compressors = {
  GZIP: (input) => new Uint8Array(gunzipSync(input)),
  BROTLI: (input) => new Uint8Array(brotliDecompressSync(input)),
  ZSTD: (input) => zstdDecompress(input),
};

export function looksLikeParquet(buf: Uint8Array): boolean {
  return buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x41 && buf[2] === 0x52 && buf[3] === 0x31;
}

/** Which columns hold what. */
interface Columns {
  layer: string;
  /** A list column, or the per-rank columns in rank order. */
  experts: { list: string } | { wide: string[] };
  request?: string;
  position?: string;
  count?: string;
}

/**
 * Streams a Parquet trace's rows into `sink`, checked by `rules`. A file
 * with a count column is subset counts (`collector.counts` is set when the
 * sink is a collector).
 */
export async function readParquetRecords(
  file: string,
  opts: SourceOptions,
  sink: RoutingSink,
  rules: RecordRules,
  collector?: RoutingCollector,
): Promise<SourceSummary> {
  const size = checkFile(file, opts.maxBytes);
  const fh = await open(file, 'r');
  try {
    let bytesRead = 0;
    const buffer: AsyncBuffer = {
      byteLength: size,
      slice: async (start, end = size) => {
        const out = new Uint8Array(end - start);
        let got = 0;
        while (got < out.length) {
          const { bytesRead: n } = await fh.read(out, got, out.length - got, start + got);
          if (n === 0) throw new Error(`unexpected end of file at byte ${start + got}`);
          got += n;
        }
        bytesRead += out.length;
        return out.buffer;
      },
    };
    const head = new Uint8Array(await buffer.slice(0, Math.min(4, size)));
    if (!looksLikeParquet(head)) throw new WorkloadError('not a Parquet file (it does not start with "PAR1")', file);
    let metadata: FileMetaData;
    try {
      metadata = await parquetMetadataAsync(buffer);
    } catch (e) {
      throw new WorkloadError(`not a readable Parquet file: ${(e as Error).message}`, file);
    }
    const columns = pickColumns(metadata, opts, file);
    if (columns.count && collector) collector.counts = true;
    const wanted = [columns.layer, ...('list' in columns.experts ? [columns.experts.list] : columns.experts.wide)];
    for (const c of [columns.request, columns.position, columns.count]) if (c) wanted.push(c);
    const requests = new RequestIds();
    const report = progressReporter(file, size, opts.onProgress, opts.progressEveryMs);
    let records = 0;
    let ids = new Int32Array(0);
    let fileRow = 0;
    const maxLayer = rules.maxLayer;
    const experts = rules.model?.experts ?? 2 ** 31;
    let k = rules.topK ?? -1;
    const groups = metadata.row_groups;
    for (let g = 0; g < groups.length; g++) {
      checkAborted(opts.signal, file);
      const rows = Number(groups[g].num_rows);
      const data = await readGroup(buffer, metadata, fileRow, fileRow + rows, wanted, file, g);
      const layerCol = data.get(columns.layer)!;
      const listCol = 'list' in columns.experts ? data.get(columns.experts.list)! : undefined;
      const wideCols = 'wide' in columns.experts ? columns.experts.wide.map((c) => data.get(c)!) : undefined;
      const reqCol = columns.request ? data.get(columns.request) : undefined;
      const posCol = columns.position ? data.get(columns.position) : undefined;
      const countCol = columns.count ? data.get(columns.count) : undefined;
      const where = (r: number) => `row group ${g}, row ${r} (row ${(fileRow + r).toLocaleString('en-US')} of the file): `;
      const fail = (r: number, msg: string): never => {
        throw new WorkloadError(where(r) + msg, file);
      };
      let lastReq: unknown = undefined;
      let lastReqIndex = NONE;
      for (let r = 0; r < rows; r++) {
        const layer = wholeNumber(layerCol[r]);
        if (layer < 0) fail(r, `"${columns.layer}" must be a non-negative integer (got ${show(layerCol[r])})`);
        if (layer > maxLayer) fail(r, rules.layerProblem(layer)!);
        let n: number;
        if (listCol) {
          const list = listCol[r] as unknown;
          if (!Array.isArray(list)) fail(r, `"${(columns.experts as { list: string }).list}" must be a list of expert ids (got ${show(list)})`);
          const arr = list as unknown[];
          n = arr.length;
          if (ids.length !== n) ids = new Int32Array(n);
          for (let j = 0; j < n; j++) {
            const v = wholeNumber(arr[j]);
            if (v < 0 || v > 0x7fffffff) fail(r, `expert id ${show(arr[j])} is not a non-negative integer`);
            ids[j] = v;
          }
        } else {
          const cols = wideCols!;
          n = cols.length;
          if (ids.length !== n) ids = new Int32Array(n);
          for (let j = 0; j < n; j++) {
            const v = wholeNumber(cols[j][r]);
            if (v < 0 || v > 0x7fffffff)
              fail(r, `"${(columns.experts as { wide: string[] }).wide[j]}" must be a non-negative integer expert id (got ${show(cols[j][r])})`);
            ids[j] = v;
          }
        }
        if (!plainIds(ids, n, k, experts)) {
          const problem = rules.idsProblem(ids, `row ${fileRow + r}`);
          if (problem) fail(r, `experts [${Array.from(ids).join(', ')}] ${problem}`);
          k = rules.topK ?? k;
        }
        let weight = 1;
        if (countCol) {
          const v = countCol[r];
          weight = typeof v === 'bigint' ? Number(v) : (v as number);
          if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) fail(r, `"${columns.count}" must be a number ≥ 0 (got ${show(v)})`);
          if (weight > MAX_COUNT) fail(r, `count ${weight} is too large: a count is a number of tokens, at most ${MAX_COUNT_TEXT} per row`);
        }
        let pos = NONE;
        if (posCol) {
          pos = wholeNumber(posCol[r]);
          if (pos < 0) fail(r, `token position "${columns.position}" must be a non-negative integer (got ${show(posCol[r])})`);
        }
        let req = NONE;
        if (reqCol) {
          const v = reqCol[r];
          if (v !== lastReq || lastReqIndex === NONE) {
            lastReq = v;
            lastReqIndex = requests.intern(String(v));
          }
          req = lastReqIndex;
        }
        try {
          sink.add(layer, ids, weight, req, pos);
        } catch (e) {
          throw atRecord(e, file, undefined, where(r));
        }
        records++;
      }
      fileRow += rows;
      report(bytesRead, records);
    }
    if (records === 0) throw new WorkloadError('no routing records found: the file has no rows', file);
    const expertsText =
      'list' in columns.experts
        ? `"${columns.experts.list}" (a list)`
        : `"${columns.experts.wide[0]}" … "${columns.experts.wide[columns.experts.wide.length - 1]}"`;
    const used = [`layer "${columns.layer}"`, `experts ${expertsText}`];
    if (columns.request) used.push(`request "${columns.request}"`);
    if (columns.position) used.push(`position "${columns.position}"`);
    if (columns.count) used.push(`count "${columns.count}"`);
    return {
      records,
      requests,
      notes: [`columns read: ${used.join(', ')}`],
      counts: columns.count !== undefined,
      label: `parquet, ${records.toLocaleString('en-US')} rows in ${groups.length} row group${groups.length === 1 ? '' : 's'}`,
    };
  } finally {
    await fh.close();
  }
}

/** The file's top-level columns for each field, by the plan's names or the usual ones. */
function pickColumns(metadata: FileMetaData, opts: SourceOptions, file: string): Columns {
  const top = topLevelColumns(metadata);
  const has = (n: string) => top.includes(n);
  const first = (names: readonly string[]) => names.find(has);
  const listing = `the file has columns ${top.map((c) => `"${c}"`).join(', ')}`;
  const layerNames = namesFor('layer', opts.fields);
  const layer = first(layerNames);
  if (!layer)
    throw new WorkloadError(
      `no layer column: looked for ${quotedNames(layerNames)}; ${listing}. Name it with \`${FIELD_KEYWORDS.layer}\` on the trace line`,
      file,
    );
  const expertNames = namesFor('experts', opts.fields);
  let experts: Columns['experts'] | undefined;
  const list = first(expertNames);
  if (list) experts = { list };
  else {
    const prefixes = opts.fields?.experts !== undefined ? expertNames : [...expertNames, ...WIDE_PREFIXES];
    for (const p of prefixes) {
      const wide: string[] = [];
      while (has(`${p}_${wide.length}`)) wide.push(`${p}_${wide.length}`);
      if (wide.length > 0) {
        experts = { wide };
        break;
      }
    }
  }
  if (!experts)
    throw new WorkloadError(
      `no expert-id column: looked for a list column ${quotedNames(expertNames)} or one column per rank (${expertNames[0]}_0, ${expertNames[0]}_1, …${opts.fields?.experts === undefined ? ' or expert_0, expert_1, …' : ''}); ${listing}. ` +
        `Name it with \`${FIELD_KEYWORDS.experts}\` on the trace line`,
      file,
    );
  const request = first(namesFor('request', opts.fields));
  const position = first(namesFor('position', opts.fields));
  const count = first(COUNT_COLUMNS);
  return { layer, experts, request, position, count };
}

/** Names of the schema's top-level fields. */
function topLevelColumns(metadata: FileMetaData): string[] {
  const schema = metadata.schema;
  const out: string[] = [];
  // schema[0] is the root; its children follow depth-first.
  let i = 1;
  const skip = (): void => {
    const n = schema[i++].num_children ?? 0;
    for (let c = 0; c < n; c++) skip();
  };
  const rootChildren = schema[0]?.num_children ?? 0;
  for (let c = 0; c < rootChildren && i < schema.length; c++) {
    out.push(schema[i].name);
    skip();
  }
  return out;
}

/** One row group's wanted columns, each as one array indexed by the row within the group. */
async function readGroup(
  buffer: AsyncBuffer,
  metadata: FileMetaData,
  rowStart: number,
  rowEnd: number,
  columns: string[],
  file: string,
  group: number,
): Promise<Map<string, DecodedArray>> {
  const chunks = new Map<string, { data: DecodedArray; rowStart: number }[]>();
  try {
    await parquetRead({
      file: buffer,
      metadata,
      columns,
      rowStart,
      rowEnd,
      compressors: COMPRESSORS,
      onChunk: (c) => {
        let list = chunks.get(c.columnName);
        if (!list) chunks.set(c.columnName, (list = []));
        list.push({ data: c.columnData, rowStart: c.rowStart });
      },
    });
  } catch (e) {
    const msg = (e as Error).message;
    const codec = /unsupported compression codec: (\w+)/.exec(msg);
    throw new WorkloadError(
      codec
        ? `row group ${group}: pages compressed with ${codec[1]}, which moeplan does not read; write the file with snappy, zstd, gzip or brotli`
        : `row group ${group}: not readable (${msg})`,
      file,
    );
  }
  const out = new Map<string, DecodedArray>();
  const rows = rowEnd - rowStart;
  for (const name of columns) {
    const list = chunks.get(name) ?? [];
    if (list.length === 1 && list[0].rowStart === rowStart && list[0].data.length === rows) {
      out.set(name, list[0].data);
      continue;
    }
    const joined: unknown[] = new Array(rows);
    let filled = 0;
    for (const { data, rowStart: at } of list) {
      for (let i = 0; i < data.length; i++) {
        const r = at + i - rowStart;
        if (r >= 0 && r < rows) {
          joined[r] = data[i];
          filled++;
        }
      }
    }
    if (filled < rows) throw new WorkloadError(`row group ${group}: column "${name}" has ${filled} of ${rows} rows`, file);
    out.set(name, joined);
  }
  return out;
}

/** A non-negative integer as a number (from a bigint when INT64), or -1. */
function wholeNumber(v: unknown): number {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : -1;
  if (typeof v === 'bigint') return v >= 0n && v <= MAX_SAFE ? Number(v) : -1;
  return -1;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The usual case, checked without building a message: k distinct ids below `experts`. */
function plainIds(ids: Int32Array, n: number, k: number, experts: number): boolean {
  if (n !== k) return false;
  for (let j = 0; j < n; j++) {
    const e = ids[j];
    if (e >= experts) return false;
    for (let q = 0; q < j; q++) if (ids[q] === e) return false;
  }
  return true;
}

function show(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') return v.toString();
  const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}…` : s;
}
