// The formats that hold routing records (tokens, or counts of subsets), by
// name: what `moeplan trace stats|aggregate` and any other sink read. The
// load-only formats (SGLang, TensorRT-LLM statistics) have per-expert counts
// and no subsets, so they are not among them.
import type { TraceFormat } from '../../plan/types';
import { WorkloadError } from '../types';
import { detectFormat } from './detect';
import { readJsonlRecords } from './jsonl';
import { readCsvRecords } from './csv';
import { readNpyRecords } from './npy';
import { readParquetRecords } from './parquet';
import { RecordRules, RoutingCollector, withBeside, type RoutingSink } from './records';
import type { SourceOptions, SourceSummary } from './source';
import type { ReadOptions, TraceModel } from './common';
import type { Workload } from '../types';

/** A format that holds routing records. */
type RecordFormat = 'jsonl' | 'csv' | 'npy' | 'parquet';

type RecordReader = (file: string, opts: SourceOptions, sink: RoutingSink, rules: RecordRules, collector?: RoutingCollector) => Promise<SourceSummary>;

const RECORD_READERS: Record<RecordFormat, { read: RecordReader; counts?: boolean }> = {
  jsonl: { read: readJsonlRecords },
  csv: { read: readCsvRecords, counts: true },
  npy: { read: readNpyRecords },
  parquet: { read: readParquetRecords },
};

interface RecordReadOptions extends SourceOptions {
  format?: TraceFormat;
}

/** For `moeplan trace`: any record trace, checked against a model when one is given (else the first record sets top-k). */
export interface TraceScanOptions extends RecordReadOptions {
  model?: TraceModel;
}

/**
 * Streams any record trace into `collector` (detecting the format from the
 * content unless given). Load-only formats are refused with the reason.
 */
export async function readRecords(
  file: string,
  opts: RecordReadOptions,
  collector: RoutingCollector,
  rules: RecordRules,
): Promise<{ format: TraceFormat; summary: SourceSummary }> {
  const format = opts.format ?? detectFormat(file);
  const reader = isRecordFormat(format) ? RECORD_READERS[format] : undefined;
  if (!reader)
    throw new WorkloadError(
      `a ${format} file holds per-expert counts only, not the expert subsets tokens activate: there is nothing to aggregate or count subsets of (use it in a plan directly)`,
      file,
    );
  if (reader.counts) collector.counts = true;
  const summary = await reader.read(file, opts, collector, rules, collector);
  return { format, summary };
}

export function isRecordFormat(format: TraceFormat): format is RecordFormat {
  return Object.hasOwn(RECORD_READERS, format);
}

/**
 * A workload from a record trace: the exact subset counts of the model's MoE
 * layers, the token order where the records carry it, and notes (fields
 * read, records skipped, layer numbering, order kept or not).
 */
export async function readRecordWorkload(format: RecordFormat, file: string, opts: ReadOptions): Promise<Workload> {
  const collector = new RoutingCollector({ maxSequenceIds: opts.maxSequenceIds, model: opts.model });
  const reader = RECORD_READERS[format];
  if (reader.counts) collector.counts = true;
  // Counts carry neither order nor requests: the held-out split (opts.beside) sees token records only.
  const sink = reader.counts ? collector : withBeside(collector, opts.beside);
  const summary = await reader.read(file, opts, sink, new RecordRules(opts.model), collector);
  const c = collector.finish(opts.model, file);
  return {
    layers: c.layers,
    description: `trace ${file} (${summary.label}, ${c.layers.length} layers)`,
    notes: [...summary.notes, ...c.notes],
    sequence: c.sequence,
  };
}
