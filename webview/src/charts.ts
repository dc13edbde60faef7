// The chart.js charts of the view. Only the controllers, elements, scales and
// plugins used are registered, which keeps the bundle small. Each builder is a
// pure function from (results, layer, palette) to a chart configuration; the
// ChartSlot keeps one Chart per canvas and updates it in place.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
  type ChartConfiguration,
  type ChartDataset,
  type ChartEvent,
  type ActiveElement,
} from 'chart.js';
import type { LayerResult, PlanResults } from '../../server/src/protocol';

import { batchCurves, gammaCurve, mean, orderedPolicies, pagingPolicies } from './derive';
import { policyLabel } from '../../server/src/plan/vocabulary';
import { withAlpha, type Palette } from './theme';
import * as show from '../../server/src/display';
import { objectiveName, objectiveValue } from '../../server/src/feedback/objective';
import type { ObjectiveName } from '../../server/src/plan/types';

Chart.register(
  BarController,
  LineController,
  ScatterController,
  BarElement,
  LineElement,
  PointElement,
  CategoryScale,
  LinearScale,
  LogarithmicScale,
  Tooltip,
  Legend,
);

// One slot draws bar, line and scatter charts, so its config and datasets are
// typed for any chart type (chart.js types each config by its chart type).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyConfig = ChartConfiguration<any, any, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDataset = ChartDataset<any, any>;

/** One canvas and the chart drawn on it. */
export class ChartSlot {
  private chart: Chart | null = null;
  private type = '';
  constructor(readonly canvas: HTMLCanvasElement) {}

  render(config: AnyConfig): void {
    if (this.chart && this.type === config.type) {
      this.chart.data = config.data;
      this.chart.options = config.options ?? {};
      this.chart.update('none');
      return;
    }
    this.chart?.destroy();
    this.type = String(config.type);
    this.chart = new Chart(this.canvas, config);
  }

  /** Page coordinates of a drawn element (bar, point), for tests and automation. */
  pointOf(datasetIndex: number, index: number): { x: number; y: number } | null {
    const el = this.chart?.getDatasetMeta(datasetIndex).data[index];
    if (!el) return null;
    // Bars, points and lines all implement getCenterPoint; the base type does not say so.
    const { x, y } = (el as unknown as { getCenterPoint(): { x: number; y: number } }).getCenterPoint();
    const r = this.canvas.getBoundingClientRect();
    return { x: r.left + x, y: r.top + y };
  }

  clear(): void {
    this.chart?.destroy();
    this.chart = null;
    this.type = '';
  }
}

export function base(p: Palette, onClick?: (index: number, datasetIndex: number) => void) {
  return {
    animation: false as const,
    responsive: true,
    maintainAspectRatio: false,
    color: p.foreground,
    borderColor: p.grid,
    font: { family: p.fontFamily, size: p.fontSize - 1 },
    onClick: onClick
      ? (_e: ChartEvent, active: ActiveElement[]) => {
          if (active.length) onClick(active[0].index, active[0].datasetIndex);
        }
      : undefined,
    onHover: onClick
      ? (e: ChartEvent, active: ActiveElement[]) => {
          const target = e.native?.target as HTMLElement | undefined;
          if (target) target.style.cursor = active.length ? 'pointer' : 'default';
        }
      : undefined,
    plugins: {
      legend: { labels: { color: p.foreground, boxWidth: 14, font: { family: p.fontFamily } } },
      tooltip: {
        backgroundColor: withAlpha(p.background, 0.95),
        titleColor: p.foreground,
        bodyColor: p.foreground,
        borderColor: p.contrastBorder || p.grid,
        borderWidth: 1,
      },
    },
  };
}

export function axis(p: Palette, title: string, extra: Record<string, unknown> = {}) {
  return {
    title: { display: true, text: title, color: p.foreground, font: { family: p.fontFamily } },
    ticks: { color: p.foreground, font: { family: p.fontFamily } },
    grid: { color: p.grid },
    border: { color: p.contrastBorder || p.grid },
    ...extra,
  };
}

/** Bars get a visible edge in high-contrast themes. */
function edge(p: Palette): { borderColor?: string; borderWidth: number } {
  return p.contrastBorder ? { borderColor: p.contrastBorder, borderWidth: 1 } : { borderWidth: 0 };
}

/** The objective per layer across the model (µs, or E[T]); the selected layer stands out. */
export function summaryConfig(r: PlanResults, selected: number, p: Palette, select: (layerIndex: number) => void): AnyConfig {
  const labels = r.layers.map((l) => String(l.layer));
  const o = objectiveName(r);
  const value = (l: LayerResult) => objectiveValue(l, o);
  return {
    type: 'bar',
    data: {
      labels,
      datasets: [
        {
          type: 'bar',
          label: `${o === 'latency' ? 'µs per layer' : 'E[T]'} (chosen placement)`,
          data: r.layers.map((l, i) => (i === selected ? null : value(l))),
          backgroundColor: withAlpha(p.blue, 0.8),
          ...edge(p),
          stack: 'layers',
          order: 2,
        },
        {
          type: 'bar',
          label: 'selected layer',
          data: r.layers.map((l, i) => (i === selected ? value(l) : null)),
          backgroundColor: p.orange,
          ...edge(p),
          stack: 'layers',
          order: 2,
        },
        {
          type: 'line',
          label: 'EPLB',
          stack: 'eplb',
          data: r.layers.map((l) => objectiveValue({ expectedTime: l.baselines.eplb, latencyUs: l.baselinesUs?.eplb ?? NaN }, o)),
          borderColor: p.red,
          backgroundColor: p.red,
          pointRadius: r.layers.length > 20 ? 0 : 2,
          borderWidth: 1.5,
          order: 1,
        },
        {
          type: 'line',
          label: 'lower bound',
          stack: 'bound',
          data: r.layers.map((l) => objectiveValue({ expectedTime: l.lowerBound, latencyUs: l.lowerBoundUs ?? NaN }, o)),
          borderColor: p.green,
          backgroundColor: p.green,
          borderDash: [5, 3],
          pointRadius: 0,
          borderWidth: 1.5,
          order: 0,
        },
      ],
    },
    options: {
      ...base(p, (index) => select(index)),
      scales: {
        x: axis(p, 'MoE layer', { stacked: true, ticks: { color: p.foreground, autoSkip: true, maxRotation: 0 } }),
        y: axis(p, o === 'latency' ? `µs per layer at batch ${r.objective?.batch ?? r.workload.batch}` : 'E[T] (expert-time units)', { beginAtZero: true }),
      },
    },
  };
}

/** Expected tokens each GPU serves per token, against the mean. */
export function gpuLoadConfig(layer: LayerResult, p: Palette, reveal: (gpu: number) => void): AnyConfig {
  const m = mean(layer.gpuLoad);
  return {
    type: 'bar',
    data: {
      labels: layer.gpuLoad.map((_, g) => String(g)),
      datasets: [
        {
          type: 'bar',
          label: 'expected load',
          data: layer.gpuLoad.map((v) => (v > m * 1.1 ? null : v)),
          backgroundColor: withAlpha(p.blue, 0.85),
          ...edge(p),
          stack: 'load',
          order: 1,
        },
        {
          type: 'bar',
          label: 'over 10% above the mean',
          data: layer.gpuLoad.map((v) => (v > m * 1.1 ? v : null)),
          backgroundColor: p.orange,
          ...edge(p),
          stack: 'load',
          order: 1,
        },
        {
          type: 'line',
          label: `mean ${show.load(m)}`,
          stack: 'mean',
          data: layer.gpuLoad.map(() => m),
          borderColor: p.foreground,
          backgroundColor: p.foreground,
          borderDash: [6, 4],
          borderWidth: 1.5,
          pointRadius: 0,
          order: 0,
        },
      ],
    },
    options: {
      ...base(p, (index) => reveal(index)),
      scales: {
        x: axis(p, 'GPU', { stacked: true, ticks: { color: p.foreground, autoSkip: true, maxRotation: 0 } }),
        y: axis(p, 'tokens served per token', { beginAtZero: true }),
      },
    },
  };
}

/** Chart names of what is compared besides the policies (whose labels the vocabulary gives). */
const OTHER_LABEL: Record<string, string> = {
  committed: 'committed',
  'lower-bound': 'lower bound',
  'one-copy': 'one copy per expert',
  'expected-time-optimum': 'E[T] optimum',
};
const policyName = (policy: string): string => OTHER_LABEL[policy] ?? policyLabel(policy);

/** The policies compared on this layer: the objective (bottom axis) and the other figure (top axis). */
export function policiesConfig(layer: LayerResult, solver: string, p: Palette, objective: ObjectiveName = 'expected-time'): AnyConfig {
  const policies = orderedPolicies(layer);
  const colour = (name: string, alpha: number) =>
    withAlpha(name === 'lower-bound' ? p.green : name === solver ? p.orange : name === 'committed' ? p.purple : p.blue, alpha);
  const hasUs = policies.some((q) => Number.isFinite(q.latencyUs));
  const first = objective === 'latency' && hasUs ? 'us' : 'et';
  const series = {
    et: { label: 'E[T]', data: policies.map((q) => q.expectedTime), axis: 'E[T] (expert-time units)' },
    us: { label: 'µs per layer', data: policies.map((q) => q.latencyUs), axis: 'µs per layer' },
  };
  const second = first === 'us' ? 'et' : hasUs ? 'us' : undefined;
  const datasets: AnyDataset[] = [
    {
      label: series[first].label,
      data: series[first].data,
      backgroundColor: policies.map((q) => colour(q.policy, 0.9)),
      ...edge(p),
      xAxisID: 'x',
    },
  ];
  if (second) {
    datasets.push({
      label: series[second].label,
      data: series[second].data,
      backgroundColor: policies.map((q) => colour(q.policy, 0.35)),
      borderColor: policies.map((q) => colour(q.policy, 1)),
      borderWidth: 1,
      xAxisID: 'x2',
    });
  }
  const text = (which: 'et' | 'us', q: (typeof policies)[number]) => (which === 'et' ? `E[T] ${show.expectedTime(q.expectedTime)}` : show.micros(q.latencyUs));
  return {
    type: 'bar',
    data: { labels: policies.map((q) => policyName(q.policy)), datasets },
    options: {
      ...base(p),
      indexAxis: 'y',
      plugins: {
        ...base(p).plugins,
        tooltip: {
          ...base(p).plugins.tooltip,
          callbacks: {
            label: (ctx: { datasetIndex: number; dataIndex: number }) => {
              const q = policies[ctx.dataIndex];
              const which = ctx.datasetIndex === 0 ? first : (second ?? first);
              return `${text(which, q)}${ctx.datasetIndex === 0 && q.ms !== undefined ? ` (${Math.round(q.ms)} ms${q.optimal ? ', optimal' : ''})` : ''}`;
            },
          },
        },
      },
      scales: {
        y: axis(p, '', {
          title: { display: false },
          grid: { display: false },
          ticks: { color: p.foreground, autoSkip: false, font: { family: p.fontFamily } },
        }),
        x: axis(p, series[first].axis, { beginAtZero: true, position: 'bottom' }),
        ...(second ? { x2: axis(p, series[second].axis, { beginAtZero: true, position: 'top', grid: { display: false } }) } : {}),
      },
    },
  };
}

/** P(T = t): how often a token's slowest GPU runs t of its experts. */
export function tDistributionConfig(layer: LayerResult, p: Palette): AnyConfig {
  return {
    type: 'bar',
    data: {
      labels: layer.tDistribution.map((_, t) => String(t)),
      datasets: [
        {
          label: `P(T = t); E[T] = ${show.expectedTime(layer.expectedTime)}`,
          data: layer.tDistribution,
          backgroundColor: layer.tDistribution.map((_, t) => (t <= layer.expectedTime ? withAlpha(p.blue, 0.85) : withAlpha(p.purple, 0.85))),
          ...edge(p),
        },
      ],
    },
    options: {
      ...base(p),
      scales: {
        x: axis(p, 't = experts run by the busiest GPU for one token'),
        y: axis(p, 'probability', { beginAtZero: true, max: 1 }),
      },
    },
  };
}

/** E[T] against expert slots per GPU (the memory sweep). */
export function memoryConfig(r: PlanResults, p: Palette): AnyConfig {
  const pts = [...r.memorySweep].sort((a, b) => a.slotsPerGpu - b.slotsPerGpu);
  const current = r.hardware.slotsPerGpu.length ? Math.min(...r.hardware.slotsPerGpu) : NaN;
  const line = (label: string, color: string, values: number[], dash?: number[]): AnyDataset => ({
    label,
    data: pts.map((q, i) => ({ x: q.slotsPerGpu, y: values[i] })),
    borderColor: color,
    backgroundColor: color,
    borderDash: dash,
    showLine: true,
    borderWidth: 2,
    pointRadius: pts.map((q) => (q.slotsPerGpu === current ? 6 : 3)),
    pointStyle: pts.map((q) => (q.slotsPerGpu === current ? 'rectRot' : 'circle')),
  });
  return {
    type: 'scatter',
    data: {
      datasets: [
        line(
          `${r.solver.name} (◆ = this plan)`,
          p.blue,
          pts.map((q) => q.expectedTime),
        ),
        line(
          'EPLB',
          p.red,
          pts.map((q) => q.eplb),
        ),
        line(
          'lower bound',
          p.green,
          pts.map((q) => q.lowerBound),
          [5, 3],
        ),
      ],
    },
    options: {
      ...base(p),
      scales: {
        x: axis(p, 'expert slots per GPU', { ticks: { color: p.foreground, precision: 0 } }),
        y: axis(p, 'E[T] (mean over layers)', { beginAtZero: true }),
      },
    },
  };
}

/** Throughput against per-token latency as the batch grows. */
export function batchConfig(r: PlanResults, p: Palette): AnyConfig | null {
  const curves = batchCurves(r);
  if (!curves.length) return null;
  const xs = curves
    .flatMap((c) => c.points)
    .map((q) => q.x)
    .filter((x) => x > 0);
  const logX = xs.length > 1 && Math.max(...xs) / Math.min(...xs) > 30;
  const current = r.workload.batch;
  const series = (label: string, color: string, pts: (typeof curves)[number]['points'], dash?: number[]): AnyDataset => ({
    label,
    data: pts,
    borderColor: color,
    backgroundColor: color,
    borderDash: dash,
    showLine: true,
    borderWidth: 2,
    pointRadius: pts.map((q) => (q.batch === current ? 6 : 3)),
    pointStyle: pts.map((q) => (q.batch === current ? 'rectRot' : 'circle')),
  });
  return {
    type: 'scatter',
    data: {
      datasets: curves.map((c, i) =>
        series(
          c.planned ? `${c.rule} dispatch, the plan's (◆ = plan batch)` : `${c.rule} dispatch`,
          [p.blue, p.orange, p.green][i % 3],
          c.points,
          c.planned ? undefined : [5, 3],
        ),
      ),
    },
    options: {
      ...base(p),
      plugins: {
        ...base(p).plugins,
        tooltip: {
          ...base(p).plugins.tooltip,
          callbacks: {
            label: (ctx: { raw: { x: number; y: number; batch: number } }) =>
              `batch ${ctx.raw.batch}: ${show.micros(ctx.raw.x)} per token, ${show.tokensPerSecond(ctx.raw.y)}`,
          },
        },
      },
      scales: {
        x: axis(p, 'latency per token (µs, all MoE layers)', logX ? { type: 'logarithmic' } : { beginAtZero: true }),
        y: axis(p, 'throughput (tokens/s)', { beginAtZero: true }),
      },
    },
  };
}

/** γ over the token count, with γ = 1 (the break-even) and the plan's point. */
export function gammaConfig(r: PlanResults, p: Palette): AnyConfig | null {
  const curve = gammaCurve(r);
  if (!curve.length) return null;
  const xs = curve.map((q) => q.tokens);
  const lo = xs.length ? xs[0] : 1;
  const hi = xs.length ? xs[xs.length - 1] : 2;
  return {
    type: 'scatter',
    data: {
      datasets: [
        {
          label: 'γ over tokens',
          data: curve.map((q) => ({ x: q.tokens, y: q.gamma })),
          borderColor: p.blue,
          backgroundColor: p.blue,
          showLine: true,
          borderWidth: 2,
          pointRadius: 0,
        },
        {
          label: 'γ = 1: break-even',
          data: [
            { x: lo, y: 1 },
            { x: hi, y: 1 },
          ],
          borderColor: p.foreground,
          backgroundColor: p.foreground,
          borderDash: [6, 4],
          showLine: true,
          borderWidth: 1.5,
          pointRadius: 0,
        },
        {
          label: `this plan (${r.offload.tokens} tokens)`,
          data: [{ x: r.offload.tokens, y: r.offload.gamma }],
          borderColor: p.orange,
          backgroundColor: p.orange,
          pointRadius: 7,
          pointStyle: 'rectRot',
        },
      ],
    },
    options: {
      ...base(p),
      scales: {
        x: axis(p, 'tokens (prefill N_t, or decode output length)', { type: 'logarithmic' }),
        y: axis(p, 'γ (log scale)', { type: 'logarithmic' }),
      },
    },
  };
}

/** Paging hit rate per layer for each eviction policy (or overall, when only that is known). */
export function pagingConfig(r: PlanResults, p: Palette): AnyConfig | null {
  const policies = pagingPolicies(r);
  if (!policies.length) return null;
  const perLayer = r.layers.some((l) => l.paging && Object.keys(l.paging).length);
  if (perLayer) {
    return {
      type: 'line',
      data: {
        labels: r.layers.map((l) => String(l.layer)),
        datasets: policies.map((name, i) => ({
          label: name === r.pagingPolicy ? `${name} (the plan's)` : name,
          data: r.layers.map((l) => l.paging?.[name]?.hitRate ?? null),
          borderColor: p.series[i % p.series.length],
          backgroundColor: p.series[i % p.series.length],
          borderWidth: name === r.pagingPolicy ? 3.5 : 1.5,
          borderDash: name === 'belady' ? [5, 3] : undefined,
          pointRadius: r.layers.length > 20 ? 0 : 3,
          spanGaps: true,
        })),
      },
      options: {
        ...base(p),
        scales: {
          x: axis(p, 'MoE layer', { ticks: { color: p.foreground, autoSkip: true, maxRotation: 0 } }),
          y: axis(p, 'hit rate', { min: 0, max: 1, ticks: { color: p.foreground, callback: (v: number) => show.percent(v) } }),
        },
      },
    };
  }
  const overall = r.paging ?? {};
  return {
    type: 'bar',
    data: {
      labels: policies,
      datasets: [
        {
          label: 'hit rate (whole model)',
          data: policies.map((n) => overall[n]?.hitRate ?? 0),
          backgroundColor: policies.map((_, i) => p.series[i % p.series.length]),
          ...edge(p),
        },
      ],
    },
    options: {
      ...base(p),
      scales: {
        x: axis(p, 'eviction policy'),
        y: axis(p, 'hit rate', { min: 0, max: 1 }),
      },
    },
  };
}
