// The plan's key figures as label/value text. Shared by the HTML report (text
// that reads without scripts, greppable in CI logs) and the placement view's
// header, so both say the same thing. Pure: no DOM, no Node.
import type { PlanResults } from '../protocol';
import * as show from '../display';

export interface KeyFigure {
  label: string;
  value: string;
  /** What the figure means, for a title/tooltip. */
  hint: string;
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
      value: show.expectedTime(r.expectedTime),
      hint: 'Expected processing time of a MoE layer (mean over layers), in expert-time units: the most experts any GPU runs for one token.',
    },
    {
      label: 'Lower bound',
      value: `${show.expectedTime(r.lowerBound)} (gap ${show.percent(gap)})`,
      hint: 'No placement with these slots can do better; the gap is how far the chosen placement is above it.',
    },
    {
      label: 'Gain over EPLB',
      value: `${show.percent(gain)} (EPLB ${show.expectedTime(eplb)})`,
      hint: 'How much lower E[T] is than DeepSeek-style load balancing on the same slots.',
    },
    {
      label: 'Latency per token',
      value: show.micros(r.latencyUsPerToken),
      hint: `Predicted time of all MoE layers for one token at batch ${r.workload.batch}.`,
    },
    {
      label: 'Solver',
      value: `${r.solver.name}, ${show.millis(r.solver.ms)}${r.solver.optimal ? ', proved optimal' : ''}`,
      hint: 'The policy that chose the placement and how long it ran.',
    },
    {
      label: 'Offload vs EP',
      value: Number.isFinite(r.offload?.gamma)
        ? `γ = ${show.number(r.offload.gamma)} → ${r.offload.advice === 'offload' ? 'offload' : 'expert parallelism'}`
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
