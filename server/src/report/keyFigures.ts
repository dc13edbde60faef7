// The plan's key figures as label/value text. Shared by the HTML report (text
// that reads without scripts, greppable in CI logs) and the placement view's
// header, so both say the same thing. Pure: no DOM, no Node.
import type { PlanResults } from '../protocol';

export interface KeyFigure {
  label: string;
  value: string;
  /** What the figure means, for a title/tooltip. */
  hint: string;
}

/** About 3 significant digits, never in exponent form for everyday sizes: 4730 → "4,730", 0.0123 → "0.0123". */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a !== 0 && a < 0.001) return x.toExponential(2);
  return x.toPrecision(3);
}

/** Expected time in expert-time units, 3 significant digits. */
export function formatExpectedTime(t: number): string {
  if (!Number.isFinite(t)) return '—';
  return t >= 100 ? t.toFixed(0) : t.toPrecision(3);
}

export function formatUs(us: number): string {
  if (!Number.isFinite(us)) return '—';
  if (us >= 1e6) return `${formatNumber(us / 1e6)} s`;
  if (us >= 1e4) return `${(us / 1e3).toPrecision(3)} ms`;
  return `${us >= 100 ? us.toFixed(0) : us.toPrecision(3)} µs`;
}

export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '—';
  return `${(fraction * 100).toFixed(Math.abs(fraction) < 0.1 ? 1 : 0)}%`;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  return ms >= 1000 ? `${(ms / 1000).toPrecision(3)} s` : `${Math.round(ms)} ms`;
}

export function keyFigures(r: PlanResults): KeyFigure[] {
  const eplb = r.baselines.eplb;
  const gain = eplb > 0 ? (eplb - r.expectedTime) / eplb : NaN;
  const gap = r.lowerBound > 0 ? r.expectedTime / r.lowerBound - 1 : NaN;
  const slots = r.hardware.slotsPerGpu;
  const slotText = slots.length && slots.every((s) => s === slots[0]) ? `${slots[0]}` : `${Math.min(...slots)}–${Math.max(...slots)}`;
  return [
    {
      label: 'E[T]',
      value: formatExpectedTime(r.expectedTime),
      hint: 'Expected processing time of a MoE layer (mean over layers), in expert-time units: the most experts any GPU runs for one token.',
    },
    {
      label: 'Lower bound',
      value: `${formatExpectedTime(r.lowerBound)} (gap ${formatPercent(gap)})`,
      hint: 'No placement with these slots can do better; the gap is how far the chosen placement is above it.',
    },
    {
      label: 'Gain over EPLB',
      value: `${formatPercent(gain)} (EPLB ${formatExpectedTime(eplb)})`,
      hint: 'How much lower E[T] is than DeepSeek-style load balancing on the same slots.',
    },
    {
      label: 'Latency per token',
      value: formatUs(r.latencyUsPerToken),
      hint: `Predicted time of all MoE layers for one token at batch ${r.workload.batch}.`,
    },
    {
      label: 'Solver',
      value: `${r.solver.name}, ${formatMs(r.solver.ms)}${r.solver.optimal ? ', proved optimal' : ''}`,
      hint: 'The policy that chose the placement and how long it ran.',
    },
    {
      label: 'Offload vs EP',
      value: Number.isFinite(r.offload?.gamma)
        ? `γ = ${formatNumber(r.offload.gamma)} → ${r.offload.advice === 'offload' ? 'offload' : 'expert parallelism'}`
        : 'not computed',
      hint: 'γ < 1 favours offloading experts over PCIe; γ > 1 favours expert parallelism over the network.',
    },
    {
      label: 'Setup',
      value: `${r.model.name}: ${r.model.layers} layers × ${r.model.experts} experts, top-${r.model.topK}; ${r.hardware.gpus} × ${r.hardware.gpu} in ${r.hardware.nodes} node${r.hardware.nodes === 1 ? '' : 's'}, ${slotText} slots/GPU; batch ${r.workload.batch}, ${r.workload.phase}`,
      hint: r.workload.description,
    },
  ];
}
