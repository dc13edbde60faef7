// CSV/TSV of subset counts. A header line names the columns (any order,
// case-insensitive; other columns ignored):
//   layer    MoE layer index (or model layer index, see docs/cost-model.md)
//   experts  the subset's expert ids, separated by spaces or semicolons
//            (in a comma file, a quoted "5,6" or "[5, 6]" also works)
//   count    how many tokens activated it (aliases: weight, tokens,
//            probability); optional, 1 per row when absent
// Fields are separated by tabs when the header has a tab, else by commas.
// Blank lines and lines starting with # are skipped.
//   layer,experts,count
//   0,5 6,120
//   0,1;3,4
import { WorkloadError } from '../types';
import { MAX_COUNT, MAX_COUNT_TEXT, checkFile } from './common';
import { NONE, RequestIds, atRecord, type RecordRules, type RoutingSink } from './records';
import type { SourceOptions, SourceSummary } from './source';
import { forEachLine } from './lines';
import { progressReporter } from './progress';

const COUNT_NAMES = ['count', 'weight', 'tokens', 'probability', 'prob', 'p'];

/** Streams a CSV/TSV of subset counts into `sink` (each row: `count` tokens), checked by `rules`. */
export async function readCsvRecords(file: string, opts: SourceOptions, sink: RoutingSink, rules: RecordRules): Promise<SourceSummary> {
  const size = checkFile(file, opts.maxBytes);
  const report = progressReporter(file, size, opts.onProgress, opts.progressEveryMs);
  let ids = new Int32Array(0);
  let header: { sep: string; layer: number; experts: number; count: number; width: number } | undefined;
  let rows = 0;
  const scratch: number[] = [];

  await forEachLine(
    file,
    (raw, line) => {
      const text = line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      const c0 = text.charCodeAt(0);
      if (text.length === 0 || ((c0 === 0x20 || c0 === 0x09 || c0 === 0x23) && (text.trim() === '' || text.trimStart().startsWith('#')))) return;
      if (!header) {
        const sep = text.includes('\t') ? '\t' : ',';
        const cols = splitFields(text, sep).map((c) => c.trim().toLowerCase());
        const layer = cols.indexOf('layer');
        const experts = cols.findIndex((c) => c === 'experts' || c === 'expert_ids' || c === 'subset');
        const count = cols.findIndex((c) => COUNT_NAMES.includes(c));
        if (layer < 0 || experts < 0)
          throw new WorkloadError(
            `header must name the columns "layer" and "experts" (and optionally "count"), e.g. layer,experts,count; got: ${text.slice(0, 80)}`,
            file,
            line,
          );
        header = { sep, layer, experts, count, width: cols.length };
        return;
      }
      const f = splitFields(text, header.sep);
      const need = Math.max(header.layer, header.experts, header.count) + 1;
      if (f.length < need)
        throw new WorkloadError(`expected ${header.width} fields separated by ${header.sep === '\t' ? 'tabs' : 'commas'}, found ${f.length}`, file, line);
      const layerText = f[header.layer].trim();
      const layer = Number(layerText);
      if (layerText === '' || !Number.isInteger(layer) || layer < 0)
        throw new WorkloadError(`layer must be a non-negative integer (got "${layerText}")`, file, line);
      const layerProblem = rules.layerProblem(layer);
      if (layerProblem) throw new WorkloadError(layerProblem, file, line);
      const expText = f[header.experts].trim();
      const experts = plainIdList(expText, scratch) ?? idList(expText, file, line);
      const problem = rules.idsProblem(experts, `line ${line}`);
      if (problem) throw new WorkloadError(`experts "${expText}" ${problem}`, file, line);
      let weight = 1;
      if (header.count >= 0) {
        const ct = f[header.count].trim();
        weight = Number(ct);
        if (ct === '' || !Number.isFinite(weight) || weight < 0) throw new WorkloadError(`count must be a finite number ≥ 0 (got "${ct}")`, file, line);
        if (weight > MAX_COUNT)
          throw new WorkloadError(`count ${ct} is too large: a count is a number of tokens, at most ${MAX_COUNT_TEXT} per row`, file, line);
      }
      if (ids.length !== experts.length) ids = new Int32Array(experts.length);
      for (let j = 0; j < experts.length; j++) ids[j] = experts[j];
      try {
        sink.add(layer, ids, weight, NONE, NONE);
      } catch (e) {
        throw atRecord(e, file, line);
      }
      rows++;
    },
    { signal: opts.signal, onBytes: (b) => report(b, rows) },
  );
  if (!header) throw new WorkloadError('empty file: expected a header "layer,experts,count" and one row per subset', file);
  if (rows === 0) throw new WorkloadError('no routing records found: the file has a header but no rows', file);
  return {
    records: rows,
    requests: new RequestIds(),
    notes: [],
    counts: true,
    label: `${header.sep === '\t' ? 'tsv' : 'csv'}, ${rows.toLocaleString('en-US')} rows`,
  };
}

/**
 * The ids of an experts field in the usual spellings ("5 6", "5;6", "5,6",
 * "[5, 6]" as SQL engines print a list), read without regular expressions;
 * undefined when the field has anything else (idList then says what).
 */
function plainIdList(text: string, out: number[]): number[] | undefined {
  out.length = 0;
  let i = 0;
  let end = text.length;
  if (text.charCodeAt(0) === 0x5b && text.charCodeAt(end - 1) === 0x5d) {
    i = 1;
    end--;
  }
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x3b || c === 0x2c || c === 0x09) {
      i++;
      continue;
    }
    if (c < 0x30 || c > 0x39) return undefined;
    let v = 0;
    let digits = 0;
    while (i < end) {
      const d = text.charCodeAt(i);
      if (d < 0x30 || d > 0x39) break;
      v = v * 10 + (d - 0x30);
      digits++;
      i++;
    }
    if (digits > 15) return undefined;
    out.push(v);
  }
  return out;
}

/** The ids of an experts field, or the reason they are not ids. */
function idList(expText: string, file: string, line: number): number[] {
  // A list as SQL engines print one ("[5, 6]") reads like "5 6".
  const listText = expText.startsWith('[') && expText.endsWith(']') ? expText.slice(1, -1) : expText;
  const parts = listText.split(/[\s;,]+/).filter((s) => s !== '');
  const experts = parts.map((s) => (/^-?\d+$/.test(s) ? Number(s) : NaN));
  const bad = parts.find((s, i) => Number.isNaN(experts[i]));
  if (bad !== undefined) throw new WorkloadError(`expert id "${bad}" is not an integer (experts are separated by spaces or semicolons)`, file, line);
  return experts;
}

/** Splits one line on `sep`, honouring double quotes ("" inside quotes is a quote). */
function splitFields(line: string, sep: string): string[] {
  if (!line.includes('"')) return line.split(sep);
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else quoted = false;
      } else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === sep) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}
