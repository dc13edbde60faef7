// CSV/TSV of subset counts. A header line names the columns (any order,
// case-insensitive; other columns ignored):
//   layer    MoE layer index (or model layer index, see docs/cost-model.md)
//   experts  the subset's expert ids, separated by spaces or semicolons
//            (in a comma file, a quoted "5,6" also works)
//   count    how many tokens activated it (aliases: weight, tokens,
//            probability); optional, 1 per row when absent
// Fields are separated by tabs when the header has a tab, else by commas.
// Blank lines and lines starting with # are skipped.
//   layer,experts,count
//   0,5 6,120
//   0,1;3,4
import type { Workload } from '../types';
import { WorkloadError } from '../types';
import { SubsetCounter, subsetProblem } from '../distribution';
import type { ReadOptions } from './common';
import { MAX_COUNT, MAX_COUNT_TEXT, checkFile, finishLayers, maxRawLayer, modelLabel } from './common';
import { forEachLine } from './lines';
import { progressReporter } from './progress';

const COUNT_NAMES = ['count', 'weight', 'tokens', 'probability', 'prob', 'p'];

export async function readCsv(file: string, opts: ReadOptions): Promise<Workload> {
  const size = checkFile(file, opts.maxBytes);
  const report = progressReporter(file, size, opts.onProgress, opts.progressEveryMs);
  const m = opts.model;
  const k = m.topK;
  const counters = new Map<number, SubsetCounter>();
  const ids = new Int32Array(k);
  const maxLayer = maxRawLayer(m);
  let header: { sep: string; layer: number; experts: number; count: number; width: number } | undefined;
  let rows = 0;

  await forEachLine(
    file,
    (raw, line) => {
      const text = line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      if (text.trim() === '' || text.trimStart().startsWith('#')) return;
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
      if (layer > maxLayer) throw new WorkloadError(`layer ${layer} is outside the model (${modelLabel(m)})`, file, line);
      const expText = f[header.experts].trim();
      const parts = expText.split(/[\s;,]+/).filter((s) => s !== '');
      const experts = parts.map((s) => (/^-?\d+$/.test(s) ? Number(s) : NaN));
      const bad = parts.find((s, i) => Number.isNaN(experts[i]));
      if (bad !== undefined) throw new WorkloadError(`expert id "${bad}" is not an integer (experts are separated by spaces or semicolons)`, file, line);
      const problem = subsetProblem(experts, m.experts, k);
      if (problem) throw new WorkloadError(`experts "${expText}" ${problem}`, file, line);
      let weight = 1;
      if (header.count >= 0) {
        const ct = f[header.count].trim();
        weight = Number(ct);
        if (ct === '' || !Number.isFinite(weight) || weight < 0)
          throw new WorkloadError(`count must be a finite number ≥ 0 (got "${ct}")`, file, line);
        if (weight > MAX_COUNT)
          throw new WorkloadError(`count ${ct} is too large: a count is a number of tokens, at most ${MAX_COUNT_TEXT} per row`, file, line);
      }
      for (let j = 0; j < k; j++) ids[j] = experts[j];
      let c = counters.get(layer);
      if (!c) {
        c = new SubsetCounter(layer, m.experts, k);
        counters.set(layer, c);
      }
      if (c.totalWeight + weight > MAX_COUNT)
        throw new WorkloadError(`the counts of layer ${layer} add up to more than ${MAX_COUNT_TEXT} tokens at this row; a count is a number of tokens`, file, line);
      if (weight > 0) c.add(ids, 0, weight);
      rows++;
    },
    { signal: opts.signal, onBytes: (b) => report(b, rows) },
  );
  if (!header) throw new WorkloadError('empty file: expected a header "layer,experts,count" and one row per subset', file);
  const { layers, offset } = finishLayers(counters, m, file, true);
  const notes: string[] = ['subset counts carry no token order: paging and batch replay sample from the distributions'];
  if (offset > 0) notes.push(`trace layer ids ${offset}–${offset + m.layers - 1} read as model layers (MoE layer = id − ${offset})`);
  return {
    layers,
    description: `trace ${file} (${header.sep === '\t' ? 'tsv' : 'csv'}, ${rows.toLocaleString('en-US')} rows, ${layers.length} layers)`,
    notes,
  };
}

/** Splits one line on `sep`, honouring double quotes ("" inside quotes is a quote). */
export function splitFields(line: string, sep: string): string[] {
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
