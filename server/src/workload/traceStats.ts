// `moeplan trace stats`: what a trace holds, read by the same readers a
// solve uses — records, layers, tokens, requests, distinct subsets per
// layer, load skew, the most co-activated pairs, whether it carries a token
// order, and how fast it was read.
import type { TraceFormat } from '../plan/types';
import { RecordRules, RoutingCollector } from './readers/records';
import { readRecords, type TraceScanOptions } from './readers/recordSources';
import { expertLoads, topCoactivationPairs } from './distribution';
import { statSync } from 'node:fs';
import { formatBytes } from './readers/common';

interface LayerStats {
  layer: number;
  /** Tokens (the sum of counts) in the layer. */
  tokens: number;
  distinctSubsets: number;
  /** Busiest expert's load over the mean load (1 = perfectly balanced). */
  loadSkew: number;
  busiestExpert: number;
  /** Most frequent co-activated pairs, P(both) per token. */
  topPairs: { a: number; b: number; probability: number }[];
}

interface TraceStats {
  file: string;
  format: TraceFormat;
  bytes: number;
  records: number;
  /** Tokens per layer at most (each token appears once per layer). */
  tokens: number;
  requests: number;
  experts: number;
  k: number;
  layers: LayerStats[];
  /** Fields or columns read, records skipped. */
  notes: string[];
  /** Why there is no token order, or undefined when records carry positions. */
  orderMissing?: string;
  ms: number;
}

export async function traceStats(file: string, opts: TraceScanOptions = {}): Promise<TraceStats> {
  const started = performance.now();
  const collector = new RoutingCollector();
  const { format, summary } = await readRecords(file, opts, collector, new RecordRules(opts.model));
  const layers = collector.rawLayers();
  const stats: LayerStats[] = layers.map((d) => {
    const loads = expertLoads(d);
    let busiest = 0;
    for (let e = 1; e < loads.length; e++) if (loads[e] > loads[busiest]) busiest = e;
    const mean = d.experts > 0 ? d.k / d.experts : 0;
    return {
      layer: d.layer,
      tokens: d.total,
      distinctSubsets: d.count,
      loadSkew: mean > 0 ? loads[busiest] / mean : 0,
      busiestExpert: busiest,
      topPairs: d.k >= 2 ? topCoactivationPairs(d, 3) : [],
    };
  });
  return {
    file,
    format,
    bytes: statSync(file).size,
    records: summary.records,
    tokens: stats.reduce((m, l) => Math.max(m, l.tokens), 0),
    requests: summary.requests.size,
    experts: collector.largestExpertId + 1,
    k: layers[0]?.k ?? 0,
    layers: stats,
    notes: summary.notes,
    orderMissing: collector.orderMissing,
    ms: performance.now() - started,
  };
}

const n0 = (x: number) => Math.round(x).toLocaleString('en-US');

function percentile(sorted: number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1) + 0.5))];
}

/** The stats as the CLI prints them. */
export function formatTraceStats(s: TraceStats): string {
  const lines: string[] = [];
  const L = s.layers;
  const ids = L.map((l) => l.layer);
  const distinct = L.map((l) => l.distinctSubsets).sort((a, b) => a - b);
  const skews = L.map((l) => l.loadSkew).sort((a, b) => a - b);
  lines.push(`${s.file}: ${s.format}, ${formatBytes(s.bytes)}`);
  lines.push(`records: ${n0(s.records)}`);
  lines.push(
    `layers: ${L.length} (ids ${ids.length > 0 ? `${ids[0]}–${ids[ids.length - 1]}` : '—'}), ${s.experts} experts seen (ids 0–${s.experts - 1}), top-${s.k}`,
  );
  lines.push(`tokens: ${n0(s.tokens)} per layer at most${s.requests > 0 ? `, in ${n0(s.requests)} requests` : ''}`);
  lines.push(
    `distinct subsets per layer: min ${n0(distinct[0] ?? 0)}, median ${n0(percentile(distinct, 0.5))}, max ${n0(distinct[distinct.length - 1] ?? 0)}` +
      (s.tokens > 0 ? ` (${((percentile(distinct, 0.5) / s.tokens) * 100).toFixed(1)}% of the tokens at the median)` : ''),
  );
  lines.push(
    `load skew (busiest expert's load / mean load): median ${percentile(skews, 0.5).toFixed(2)}, max ${(skews[skews.length - 1] ?? 0).toFixed(2)}` +
      (L.length > 0 ? ` (layer ${L.reduce((a, b) => (b.loadSkew > a.loadSkew ? b : a)).layer})` : ''),
  );
  const shown = spread(L, 4);
  for (const l of shown)
    if (l.topPairs.length > 0)
      lines.push(`top pairs, layer ${l.layer}: ${l.topPairs.map((p) => `${p.a}+${p.b} ${(p.probability * 100).toFixed(1)}%`).join(', ')} of tokens`);
  lines.push(`token order: ${s.orderMissing ? `not kept (${s.orderMissing})` : 'kept (records carry request and position)'}`);
  for (const n of s.notes) lines.push(`note: ${n}`);
  const secs = s.ms / 1000;
  lines.push(`read in ${secs.toFixed(2)} s: ${formatBytes(s.bytes / Math.max(secs, 1e-9))}/s, ${n0(s.records / Math.max(secs, 1e-9))} records/s`);
  return lines.join('\n') + '\n';
}

function spread<T>(xs: T[], count: number): T[] {
  if (xs.length <= count) return xs;
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push(xs[Math.round((i * (xs.length - 1)) / (count - 1))]);
  return out;
}
