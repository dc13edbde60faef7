// The capacity part of `moeplan solve`'s summary: the recommendation, the
// best point of every slot count within the target, and the Pareto front.
import type { PlanResults } from '../protocol';
import { latencyText, pointLatencyUs, tokensPerSecond } from '../feedback/capacityText';
import * as f from '../display';

export function capacitySummary(r: PlanResults): string[] {
  const c = r.capacity;
  if (!c) return [];
  const lines: string[] = [];
  const metric = c.target.metric;
  const target = c.target.us === null ? 'no latency target' : `target ${latencyText(c.target.us, metric)}`;
  lines.push(`capacity at ${f.count(c.target.context)} tokens per request, ${target}: ${c.sampled}`);
  const rec = c.recommended;
  if (rec) {
    lines.push(
      `recommended: ${rec.slotsPerGpu} slots per GPU (${rec.redundantExperts} redundant experts), batch ${f.count(rec.batch)} ` +
        `(${f.count(rec.requestsPerGpu)} ${metric === 'time-per-output-token' ? 'requests' : 'prompts'} per GPU): ${tokensPerSecond(rec.tokensPerSecond)} at ${f.micros(rec.usPerToken)} per step`,
    );
  } else if (c.advice) {
    lines.push(`no recommendation: ${c.advice.message}`);
  }
  const latencyHead = metric === 'time-per-output-token' ? 'per token' : 'first token';
  const table = (header: string[], rows: string[][]) => {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
    return [header, ...rows].map((row) => '  ' + row.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  '));
  };
  if (c.bySlots.length > 0) {
    lines.push('best point per slot count within the target:');
    lines.push(
      ...table(
        ['slots', 'redundant', 'KV tokens/GPU', 'requests/GPU', 'batch', latencyHead, 'tokens/s'],
        c.bySlots.map((b) => [
          String(b.slotsPerGpu),
          String(b.redundantExperts),
          f.count(b.kvTokensPerGpu),
          f.count(b.requestsPerGpu),
          b.best ? f.count(b.best.batch) : '—',
          b.best ? f.micros(pointLatencyUs(b.best)) : '—',
          b.best ? tokensPerSecond(b.best.tokensPerSecond).replace(' tokens/s', '') : 'none within the target',
        ]),
      ),
    );
  }
  const front = c.points.filter((p) => p.onFront).sort((a, b) => pointLatencyUs(a) - pointLatencyUs(b));
  if (front.length > 0) {
    lines.push('Pareto front (throughput against latency):');
    lines.push(
      ...table(
        ['slots', 'batch', latencyHead, 'MoE', 'attention+dense', 'tokens/s', 'target'],
        front.map((p) => [
          String(p.slotsPerGpu),
          f.count(p.batch),
          f.micros(pointLatencyUs(p)),
          f.micros(p.moeUs),
          f.micros(p.attentionUs),
          tokensPerSecond(p.tokensPerSecond).replace(' tokens/s', ''),
          p.meetsTarget ? 'met' : 'missed',
        ]),
      ),
    );
  }
  for (const n of c.notes) lines.push(`note: capacity: ${n}`);
  return lines;
}
