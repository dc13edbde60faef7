// `moeplan trace aggregate`: the exact subset counts per layer of one or
// more traces, merged, in the counts form every reader takes (CSV, or
// Parquet with a list column). It is the SQL
//   SELECT layer, list_sort(experts) AS experts, count(*) AS count
//   FROM trace GROUP BY ALL
// (docs/traces.md), done by the same readers and counters a solve uses, so
// a plan solved on the counts gets exactly the figures of the trace — except
// replay in token order (paging, batches), which the counts drop.
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { TraceFormat } from '../plan/types';
import type { LayerDistribution } from './types';
import { RecordRules, RoutingCollector } from './readers/records';
import { readRecords, type TraceScanOptions } from './readers/recordSources';

interface AggregateInput {
  file: string;
  format: TraceFormat;
  /** "jsonl, 1,003,400 records" */
  label: string;
  notes: string[];
  records: number;
}

interface Aggregate {
  /** Every layer as the traces number them, ascending; experts = largest id + 1. */
  layers: LayerDistribution[];
  inputs: AggregateInput[];
  /** Whether any input had a token order (which the counts drop). */
  orderDropped: boolean;
}

/** Reads every file into one set of counters (k must agree across files). */
export async function aggregateTraces(files: readonly string[], opts: TraceScanOptions = {}): Promise<Aggregate> {
  const collector = new RoutingCollector();
  const rules = new RecordRules(opts.model);
  const inputs: AggregateInput[] = [];
  let orderDropped = false;
  for (const file of files) {
    const before = collector.records;
    const { format, summary } = await readRecords(file, opts, collector, rules);
    inputs.push({ file, format, label: summary.label, notes: summary.notes, records: collector.records - before });
    if (!summary.counts) orderDropped = true;
  }
  return { layers: collector.rawLayers(), inputs, orderDropped };
}

/** What the counts file says about itself, as comment lines or Parquet metadata. */
function aggregateHeader(a: Aggregate): string[] {
  const records = a.inputs.reduce((s, i) => s + i.records, 0);
  const lines = [
    `moeplan trace aggregate: exact subset counts per layer of ${a.inputs.map((i) => i.file).join(', ')} (${records.toLocaleString('en-US')} records)`,
  ];
  if (a.orderDropped)
    lines.push(
      "token order dropped: a plan on these counts gets the trace's figures, except replay in token order (paging, batches), which samples from the distributions",
    );
  return lines;
}

/** The counts as CSV: `layer,experts,count`, experts separated by spaces, after `#` comment lines. */
export function countsCsv(a: Aggregate): string {
  const out: string[] = aggregateHeader(a).map((l) => `# ${l}`);
  out.push('layer,experts,count');
  for (const d of a.layers) {
    const k = d.k;
    for (let i = 0; i < d.count; i++) out.push(`${d.layer},${Array.from(d.ids.subarray(i * k, i * k + k)).join(' ')},${d.weights[i]}`);
  }
  return out.join('\n') + '\n';
}

/**
 * The counts as Parquet: layer (INT32), experts (LIST<INT32>), count (INT64,
 * or DOUBLE when a count is fractional). Written a layer at a time (each
 * layer its own row groups), so only one layer's rows are held as values.
 */
export function countsParquet(a: Aggregate): Uint8Array {
  const whole = a.layers.every((d) => d.weights.every((w) => Number.isInteger(w)));
  const writer = new ByteWriter();
  const parquet = new ParquetWriter({
    writer,
    schema: [
      { name: 'root', num_children: 3 },
      { name: 'layer', type: 'INT32', repetition_type: 'REQUIRED' },
      { name: 'experts', repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', type: 'INT32', repetition_type: 'REQUIRED' },
      { name: 'count', type: whole ? 'INT64' : 'DOUBLE', repetition_type: 'REQUIRED' },
    ],
    kvMetadata: aggregateHeader(a).map((value, i) => ({ key: i === 0 ? 'moeplan.source' : 'moeplan.note', value })),
  });
  for (const d of a.layers) {
    const k = d.k;
    const experts: number[][] = new Array(d.count);
    for (let i = 0; i < d.count; i++) experts[i] = Array.from(d.ids.subarray(i * k, i * k + k));
    const weights = d.weights.subarray(0, d.count);
    parquet.write({
      columnData: [
        { name: 'layer', data: new Int32Array(d.count).fill(d.layer) },
        { name: 'experts', data: experts },
        { name: 'count', data: whole ? BigInt64Array.from(weights, (w) => BigInt(w)) : Float64Array.from(weights) },
      ],
      rowGroupSize: PARQUET_ROW_GROUP,
    });
  }
  parquet.finish();
  return new Uint8Array(writer.getBuffer());
}

/** Rows per row group of the counts Parquet. */
const PARQUET_ROW_GROUP = 1 << 16;
