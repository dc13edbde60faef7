// The capacity sweep's chart: throughput against latency, one curve per slot
// count (each point a batch), the latency target as a vertical line and the
// recommended point marked. Pure: results and palette to a chart.js config.
import type { PlanResults } from '../../server/src/protocol';
import { latencyText, pointLatencyUs, pointText } from '../../server/src/feedback/capacityText';
import { axis, base, type AnyConfig } from './charts';
import type { Palette } from './theme';

interface Datum {
  x: number;
  y: number;
  text: string;
}

export function capacityConfig(r: PlanResults, p: Palette): AnyConfig | null {
  const c = r.capacity;
  if (!c || c.points.length === 0) return null;
  const metric = c.target.metric;
  const bySlots = new Map<number, Datum[]>();
  for (const q of [...c.points].sort((a, b) => a.batch - b.batch)) {
    const list = bySlots.get(q.slotsPerGpu) ?? [];
    list.push({ x: pointLatencyUs(q) / 1000, y: q.tokensPerSecond, text: pointText(q, metric) });
    bySlots.set(q.slotsPerGpu, list);
  }
  const minSlots = Math.min(...bySlots.keys());
  const top = Math.max(...c.points.map((q) => q.tokensPerSecond)) * 1.05;
  const datasets: Record<string, unknown>[] = [...bySlots].map(([slots, data], i) => ({
    label: `${slots} slots${slots === minSlots ? ' (no replicas)' : ''}`,
    data,
    borderColor: p.series[i % p.series.length],
    backgroundColor: p.series[i % p.series.length],
    showLine: true,
    borderWidth: 2,
    pointRadius: 3,
  }));
  if (c.target.us !== null) {
    datasets.push({
      label: `target ${latencyText(c.target.us, metric)}`,
      data: [
        { x: c.target.us / 1000, y: 0, text: '' },
        { x: c.target.us / 1000, y: top, text: '' },
      ],
      borderColor: p.red,
      backgroundColor: p.red,
      borderDash: [6, 4],
      showLine: true,
      borderWidth: 2,
      pointRadius: 0,
    });
  }
  const rec = c.recommended;
  const best = rec ? c.points.find((q) => q.slotsPerGpu === rec.slotsPerGpu && q.batch === rec.batch) : undefined;
  if (best) {
    datasets.push({
      label: `recommended: ${rec!.slotsPerGpu} slots, batch ${rec!.batch.toLocaleString('en-US')}`,
      data: [{ x: pointLatencyUs(best) / 1000, y: best.tokensPerSecond, text: `recommended — ${pointText(best, metric)}` }],
      borderColor: p.foreground,
      backgroundColor: p.yellow,
      pointStyle: 'star',
      pointRadius: 11,
      borderWidth: 2,
      showLine: false,
    });
  }
  const b = base(p);
  return {
    type: 'scatter',
    data: { datasets },
    options: {
      ...b,
      plugins: {
        ...b.plugins,
        tooltip: {
          ...b.plugins.tooltip,
          filter: (item: { raw: Datum }) => item.raw.text !== '',
          callbacks: { label: (item: { raw: Datum }) => item.raw.text },
        },
      },
      scales: {
        x: axis(p, metric === 'time-per-output-token' ? 'time per output token (ms, whole model)' : 'time to first token (ms)', { beginAtZero: true }),
        y: axis(p, 'throughput (tokens/s, all GPUs)', { beginAtZero: true }),
      },
    },
  };
}
