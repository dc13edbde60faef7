// JSON Lines traces: one object per token per layer, as routing loggers
// write them:
//   {"layer": 3, "experts": [5, 1], …}                          (moeplan's own)
//   {"type": "route", "req_id": "r7", "token_idx": 12, "layer": 3,
//    "topk_ids": [5, 1], "topk_weights": [0.6, 0.4]}             (vLLM loggers)
// The expert ids, layer, request and position are read under the names in
// fields.ts (or the plan's own names); other fields are ignored. A record
// with neither a layer nor expert ids is not a routing record (a meta line,
// a header) and is skipped, counted by its `type`. With positions, the token
// order is kept (requests in order of first appearance, then position).
//
// Lines are read as bytes by a scanner that picks out only those fields
// (jsonScan.ts); a line it does not answer for is read by JSON.parse, which
// also words every error, so both paths accept and reject the same lines.
import { WorkloadError } from '../types';
import { checkFile } from './common';
import { forEachLineBytes } from './lines';
import { progressReporter } from './progress';
import { FieldKind, JsonFieldScanner } from './jsonScan';
import { FIELD_KEYWORDS, TYPE_FIELD, namesFor, quotedNames, type FieldRole } from './fields';
import { NONE, RequestIds, atRecord, type RecordRules, type RoutingSink } from './records';
import type { SourceOptions, SourceSummary } from './source';

/** Scanner slots. */
const LAYER = 0;
const EXPERTS = 1;
const REQUEST = 2;
const POSITION = 3;
const ROLES: readonly FieldRole[] = ['layer', 'experts', 'request', 'position'];

/** Streams a JSONL trace's routing records into `sink`, checked by `rules`. */
export async function readJsonlRecords(file: string, opts: SourceOptions, sink: RoutingSink, rules: RecordRules): Promise<SourceSummary> {
  const size = checkFile(file, opts.maxBytes);
  const report = progressReporter(file, size, opts.onProgress, opts.progressEveryMs);
  const names = ROLES.map((r) => namesFor(r, opts.fields));
  const scanner = new JsonFieldScanner(names.map((n, slot) => ({ names: n, ids: slot === EXPERTS })));
  const requests = new RequestIds();
  // Which of each field's names were read (by rank in names).
  const used = names.map((n) => new Uint8Array(n.length));
  const skipped = new Map<string, { count: number; firstLine: number }>();
  let firstSkippedFields: string[] | undefined;
  let records = 0;
  let ids = new Int32Array(0);
  // The last request seen, to intern without decoding when it repeats.
  let lastReq = Buffer.alloc(256);
  let lastReqLength = -1;
  let lastReqRank = -1;
  let lastReqNumber = -1;
  let lastReqIndex = NONE;

  const add = (layer: number, src: Int32Array, request: number, position: number, line: number) => {
    try {
      sink.add(layer, src, 1, request, position);
    } catch (e) {
      throw atRecord(e, file, line);
    }
    records++;
  };

  const skip = (type: string, line: number, fields: () => string[]) => {
    const s = skipped.get(type);
    if (s) s.count++;
    else skipped.set(type, { count: 1, firstLine: line });
    if (!firstSkippedFields) firstSkippedFields = fields();
  };

  /** The reference reading of a line (JSON.parse): accepts, skips, or throws with the reason. */
  const slow = (text: string, line: number) => {
    if (text.trim() === '') return;
    let rec: unknown;
    try {
      rec = JSON.parse(text);
    } catch (e) {
      throw new WorkloadError(`not valid JSON (${(e as Error).message}); each line must be one JSON object`, file, line);
    }
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec))
      throw new WorkloadError(`expected a JSON object with the layer and the expert ids, e.g. {"layer": 3, "experts": [5, 1]}`, file, line);
    const r = rec as Record<string, unknown>;
    const layer = pick(r, names[LAYER]);
    const experts = pick(r, names[EXPERTS]);
    if (!layer && !experts) {
      const t = r[TYPE_FIELD];
      skip(typeof t === 'string' ? `type "${t}"` : t === undefined ? 'no type' : `type ${JSON.stringify(t)}`, line, () => Object.keys(r));
      return;
    }
    const fieldsHere = () =>
      `this record has ${
        Object.keys(r)
          .map((k) => `"${k}"`)
          .join(', ') || 'no fields'
      }`;
    if (!layer)
      throw new WorkloadError(
        `missing the layer: looked for ${quotedNames(names[LAYER])}; ${fieldsHere()}. Name the field with \`${FIELD_KEYWORDS.layer}\` on the trace line`,
        file,
        line,
      );
    const lv = layer.value;
    if (typeof lv !== 'number' || !Number.isInteger(lv) || lv < 0)
      throw new WorkloadError(`"${layer.name}" must be a non-negative integer (got ${JSON.stringify(lv)})`, file, line);
    const layerProblem = rules.layerProblem(lv);
    if (layerProblem) throw new WorkloadError(layerProblem, file, line);
    if (!experts)
      throw new WorkloadError(
        `missing the expert ids: looked for ${quotedNames(names[EXPERTS])}; ${fieldsHere()}. Name the field with \`${FIELD_KEYWORDS.experts}\` on the trace line`,
        file,
        line,
      );
    const ev = experts.value;
    if (!Array.isArray(ev)) throw new WorkloadError(`"${experts.name}" must be an array of expert ids (got ${JSON.stringify(ev) ?? 'nothing'})`, file, line);
    const problem = rules.idsProblem(ev as number[], `line ${line}`);
    if (problem) throw new WorkloadError(`"${experts.name}" ${JSON.stringify(ev)} ${problem}`, file, line);
    const position = pick(r, names[POSITION]);
    let pos = NONE;
    if (position) {
      const pv = position.value;
      if (typeof pv !== 'number' || !Number.isInteger(pv) || pv < 0)
        throw new WorkloadError(`token position "${position.name}" must be a non-negative integer (got ${JSON.stringify(pv)})`, file, line);
      pos = pv;
      used[POSITION][position.rank] = 1;
    }
    const request = pick(r, names[REQUEST]);
    let req = NONE;
    if (request) {
      req = requests.intern(`${request.name}=${String(request.value)}`);
      used[REQUEST][request.rank] = 1;
      lastReqLength = -1;
      lastReqNumber = -1;
    }
    used[LAYER][layer.rank] = 1;
    used[EXPERTS][experts.rank] = 1;
    if (ids.length !== ev.length) ids = new Int32Array(ev.length);
    for (let j = 0; j < ev.length; j++) ids[j] = ev[j] as number;
    add(lv, ids, req, pos, line);
  };

  const kind = scanner.kind;
  const ints = scanner.ints;
  const rank = scanner.rank;
  const maxLayer = rules.maxLayer;
  const experts = rules.model?.experts ?? Infinity;

  await forEachLineBytes(
    file,
    (buf, start, end, line) => {
      if (line === 1 && end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3;
      if (!scanner.scan(buf, start, end)) return slow(buf.toString('utf8', start, end), line);
      const kl = kind[LAYER];
      const ke = kind[EXPERTS];
      if (kl === FieldKind.Absent && ke === FieldKind.Absent) return slow(buf.toString('utf8', start, end), line);
      const k = rules.topK;
      const kr = kind[REQUEST];
      const kp = kind[POSITION];
      const n = scanner.idsLength;
      const layer = ints[LAYER];
      if (
        kl !== FieldKind.Int ||
        ke !== FieldKind.IntArray ||
        n !== k ||
        layer > maxLayer ||
        (kp !== FieldKind.Absent && kp !== FieldKind.Int) ||
        (kr !== FieldKind.Absent && kr !== FieldKind.String && kr !== FieldKind.Int)
      )
        return slow(buf.toString('utf8', start, end), line);
      const src = scanner.ids;
      for (let j = 0; j < n; j++) {
        const e = src[j];
        if (e >= experts) return slow(buf.toString('utf8', start, end), line);
        for (let q = 0; q < j; q++) if (src[q] === e) return slow(buf.toString('utf8', start, end), line);
      }
      if (ids.length !== n) ids = new Int32Array(n);
      for (let j = 0; j < n; j++) ids[j] = src[j];
      let req = NONE;
      if (kr === FieldKind.String) {
        const s = scanner.strStart[REQUEST];
        const len = scanner.strEnd[REQUEST] - s;
        if (len === lastReqLength && rank[REQUEST] === lastReqRank && sameBytes(buf, s, lastReq, len)) req = lastReqIndex;
        else {
          req = requests.intern(`${names[REQUEST][rank[REQUEST]]}=${buf.toString('utf8', s, s + len)}`);
          if (len > lastReq.length) lastReq = Buffer.alloc(len * 2);
          buf.copy(lastReq, 0, s, s + len);
          lastReqLength = len;
          lastReqRank = rank[REQUEST];
          lastReqNumber = -1;
          lastReqIndex = req;
        }
      } else if (kr === FieldKind.Int) {
        const v = ints[REQUEST];
        if (v === lastReqNumber && rank[REQUEST] === lastReqRank) req = lastReqIndex;
        else {
          req = requests.intern(`${names[REQUEST][rank[REQUEST]]}=${v}`);
          lastReqNumber = v;
          lastReqRank = rank[REQUEST];
          lastReqLength = -1;
          lastReqIndex = req;
        }
      }
      let pos = NONE;
      if (kp === FieldKind.Int) {
        pos = ints[POSITION];
        used[POSITION][rank[POSITION]] = 1;
      }
      if (kr !== FieldKind.Absent) used[REQUEST][rank[REQUEST]] = 1;
      used[LAYER][rank[LAYER]] = 1;
      used[EXPERTS][rank[EXPERTS]] = 1;
      add(layer, ids, req, pos, line);
    },
    { signal: opts.signal, onBytes: (b) => report(b, records) },
  );

  const skippedTotal = [...skipped.values()].reduce((a, s) => a + s.count, 0);
  if (records === 0) {
    const what =
      skippedTotal === 0
        ? 'the file has no records'
        : `${skippedTotal.toLocaleString('en-US')} record${skippedTotal > 1 ? 's have' : ' has'} neither a layer (${quotedNames(names[LAYER])}) nor expert ids (${quotedNames(names[EXPERTS])})` +
          (firstSkippedFields ? `; the first has ${firstSkippedFields.map((f) => `"${f}"`).join(', ') || 'no fields'}` : '');
    throw new WorkloadError(
      `no routing records found: ${what}. Name the fields with \`${FIELD_KEYWORDS.layer}\` and \`${FIELD_KEYWORDS.experts}\` on the trace line if the trace uses other names`,
      file,
    );
  }
  const notes: string[] = [];
  const usedText = ROLES.flatMap((role, i) => {
    const read = names[i].filter((_, r) => used[i][r] === 1);
    return read.length > 0 ? [`${role} ${read.map((n) => `"${n}"`).join('/')}`] : [];
  });
  notes.push(`fields read: ${usedText.join(', ')}`);
  if (skippedTotal > 0) {
    const parts = [...skipped].map(([type, s]) => `${s.count.toLocaleString('en-US')} with ${type} (first at line ${s.firstLine})`);
    notes.push(
      `skipped ${skippedTotal.toLocaleString('en-US')} record${skippedTotal > 1 ? 's' : ''} that carry no routing (neither a layer nor expert ids): ${parts.join('; ')}`,
    );
  }
  return { records, requests, notes, label: `jsonl, ${records.toLocaleString('en-US')} records` };
}

/** Whether a[s, s+len) equals b[0, len) (Buffer.compare validates its offsets on every call: too slow per record). */
function sameBytes(a: Buffer, s: number, b: Buffer, len: number): boolean {
  for (let i = 0; i < len; i++) if (a[s + i] !== b[i]) return false;
  return true;
}

/** The first of `names` (dotted paths reach into objects) the record has, with the name used. */
function pick(r: Record<string, unknown>, names: readonly string[]): { name: string; rank: number; value: unknown } | undefined {
  for (let rank = 0; rank < names.length; rank++) {
    const name = names[rank];
    let v: unknown = r;
    for (const part of name.split('.')) {
      if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, part)) {
        v = undefined;
        break;
      }
      v = (v as Record<string, unknown>)[part];
    }
    if (v !== undefined) return { name, rank, value: v };
  }
  return undefined;
}
