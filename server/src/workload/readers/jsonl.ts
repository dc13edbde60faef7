// JSON Lines traces: one object per token per layer,
//   {"layer": 3, "experts": [5, 1], ...}
// Other fields are ignored, except those that give token order: a position
// (`token_idx`, `token_index` or `position`) within a request (`problem_id`,
// `request_id`, `req_id`, `rid`, `seq_id` or `sequence_id`; absent = one
// request). With a position, the token order is kept as a TokenSequence.
import type { Workload } from '../types';
import { WorkloadError } from '../types';
import { SubsetCounter, subsetProblem } from '../distribution';
import type { ReadOptions } from './common';
import { forEachLine } from './lines';
import { progressReporter } from './progress';
import {
  DEFAULT_MAX_SEQUENCE_IDS,
  SequenceBuilder,
  checkFile,
  finishLayers,
  maxRawLayer,
  modelLabel,
} from './common';

const POSITION_FIELDS = ['token_idx', 'token_index', 'position'] as const;
const REQUEST_FIELDS = ['problem_id', 'request_id', 'req_id', 'rid', 'seq_id', 'sequence_id'] as const;

export async function readJsonl(file: string, opts: ReadOptions): Promise<Workload> {
  const size = checkFile(file, opts.maxBytes);
  const report = progressReporter(file, size, opts.onProgress, opts.progressEveryMs);
  const m = opts.model;
  const k = m.topK;
  const counters = new Map<number, SubsetCounter>();
  const seq = new SequenceBuilder(k, opts.maxSequenceIds ?? DEFAULT_MAX_SEQUENCE_IDS);
  let hasPositions: boolean | undefined;
  let records = 0;
  const ids = new Int32Array(k);
  const maxLayer = maxRawLayer(m);

  await forEachLine(
    file,
    (text, line) => {
      if (text.trim() === '') return;
      let rec: unknown;
      try {
        rec = JSON.parse(text);
      } catch (e) {
        throw new WorkloadError(`not valid JSON (${(e as Error).message}); each line must be one JSON object`, file, line);
      }
      if (rec === null || typeof rec !== 'object' || Array.isArray(rec))
        throw new WorkloadError('expected a JSON object with "layer" and "experts"', file, line);
      const r = rec as Record<string, unknown>;
      const layer = r.layer;
      if (layer === undefined) throw new WorkloadError('missing "layer" (the MoE layer index)', file, line);
      if (typeof layer !== 'number' || !Number.isInteger(layer) || layer < 0)
        throw new WorkloadError(`"layer" must be a non-negative integer (got ${JSON.stringify(layer)})`, file, line);
      if (layer > maxLayer)
        throw new WorkloadError(`layer ${layer} is outside the model (${modelLabel(m)})`, file, line);
      const experts = r.experts;
      if (!Array.isArray(experts))
        throw new WorkloadError(`"experts" must be an array of expert ids (got ${JSON.stringify(experts) ?? 'nothing'})`, file, line);
      const problem = subsetProblem(experts as number[], m.experts, k);
      if (problem) throw new WorkloadError(`"experts" ${JSON.stringify(experts)} ${problem}`, file, line);
      for (let j = 0; j < k; j++) ids[j] = experts[j] as number;
      let c = counters.get(layer);
      if (!c) {
        c = new SubsetCounter(layer, m.experts, k);
        counters.set(layer, c);
      }
      c.add(ids, 0);
      records++;

      const pos = positionOf(r);
      if (hasPositions === undefined) hasPositions = pos !== undefined;
      if (hasPositions) {
        if (pos === undefined) {
          seq.drop(`token order not kept: line ${line} has no token position while earlier lines do`);
        } else if (!Number.isInteger(pos) || pos < 0) {
          throw new WorkloadError(`token position must be a non-negative integer (got ${pos})`, file, line);
        } else {
          seq.add(requestOf(r), pos, layer, ids);
        }
      }
    },
    { signal: opts.signal, onBytes: (b) => report(b, records) },
  );

  const { layers, offset } = finishLayers(counters, m, file, true);
  const notes: string[] = [];
  if (offset > 0) notes.push(`trace layer ids ${offset}–${offset + m.layers - 1} read as model layers (MoE layer = id − ${offset})`);
  let sequence;
  if (hasPositions) {
    const fin = seq.finish(m.layers, offset);
    sequence = fin.sequence;
    if (seq.dropped) notes.push(seq.dropped);
    else if (fin.incomplete > 0)
      notes.push(`${fin.incomplete} token${fin.incomplete > 1 ? 's' : ''} missing from some layers left out of the token order (distributions keep them)`);
  } else {
    notes.push('records carry no token position (token_idx): token order unknown, so paging and batch replay sample from the distributions');
  }
  return {
    layers,
    description: `trace ${file} (jsonl, ${records.toLocaleString('en-US')} records, ${layers.length} layers)`,
    notes,
    sequence,
  };
}

function positionOf(r: Record<string, unknown>): number | undefined {
  for (const f of POSITION_FIELDS) {
    const v = r[f];
    if (v !== undefined) return typeof v === 'number' ? v : NaN;
  }
  return undefined;
}

function requestOf(r: Record<string, unknown>): string {
  for (const f of REQUEST_FIELDS) {
    const v = r[f];
    if (v !== undefined) return `${f}=${String(v)}`;
  }
  return '';
}
