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
import type { RecordRules, RoutingCollector, RoutingSink } from './records';
import type { SourceOptions, SourceSummary } from './source';

type RecordReader = (file: string, opts: SourceOptions, sink: RoutingSink, rules: RecordRules, collector?: RoutingCollector) => Promise<SourceSummary>;

const RECORD_READERS: Partial<Record<TraceFormat, { read: RecordReader; counts?: boolean }>> = {
  jsonl: { read: readJsonlRecords },
  csv: { read: readCsvRecords, counts: true },
  npy: { read: readNpyRecords },
  parquet: { read: readParquetRecords },
};

export interface RecordReadOptions extends SourceOptions {
  format?: TraceFormat;
}

/**
 * Streams any record trace into `collector` (detecting the format from the
 * content unless given). Load-only formats are refused with the reason.
 */
export async function readRecords(file: string, opts: RecordReadOptions, collector: RoutingCollector, rules: RecordRules): Promise<{ format: TraceFormat; summary: SourceSummary }> {
  const format = opts.format ?? detectFormat(file);
  const reader = RECORD_READERS[format];
  if (!reader)
    throw new WorkloadError(
      `a ${format} file holds per-expert counts only, not the expert subsets tokens activate: there is nothing to aggregate or count subsets of (use it in a plan directly)`,
      file,
    );
  if (reader.counts) collector.counts = true;
  const summary = await reader.read(file, opts, collector, rules, collector);
  return { format, summary };
}
