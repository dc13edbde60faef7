// The plan's key figures as label/value text. Shared by the HTML report (text
// that reads without scripts, greppable in CI logs) and the placement view's
// header, so both say the same thing. Pure: no DOM, no Node.
import type { PlanResults } from '../protocol';
import * as show from '../display';
import { eplbFigure, objectiveLabel, objectiveName, overallFigure, primaryText, slowerBy, versus } from '../feedback/objective';
import { objectiveText, objectiveValue, versusOnObjective } from '../feedback/robustFigures';

export interface KeyFigure {
  label: string;
  value: string;
  /** What the figure means, for a title/tooltip. */
  hint: string;
}

export function keyFigures(r: PlanResults): KeyFigure[] {
  const o = objectiveName(r);
  const fig = overallFigure(r);
  const bound = { expectedTime: r.lowerBound, latencyUs: r.lowerBoundUs };
  const gap = slowerBy(fig, bound, o);
  const slots = r.hardware.slotsPerGpu;
  const slotText = slots.length && slots.every((s) => s === slots[0]) ? `${slots[0]}` : `${Math.min(...slots)}–${Math.max(...slots)}`;
  const free = (r.freeSlots ?? []).reduce((a, b) => a + b, 0);
  return [
    {
      label: o === 'latency' ? 'Latency per layer' : 'E[T]',
      value: `${primaryText(fig, o)} (${objectiveLabel(r.objective)})`,
      hint:
        o === 'latency'
          ? `Expected time of one MoE layer in a step of ${r.objective?.batch ?? r.workload.batch} tokens under ${r.objective?.dispatch ?? 'static'} dispatch (mean over layers), measured on ${r.objective?.measuredOn ?? 'sampled batches'}.`
          : 'Expected processing time of a MoE layer (mean over layers), in expert-time units: the most experts any GPU runs for one token.',
    },
    {
      label: 'Lower bound',
      value: `${primaryText(bound, o)} (gap ${show.percent(gap)})`,
      hint: 'No placement with these slots can do better; the gap is how far the chosen placement is above it.',
    },
    {
      label: 'Against EPLB',
      value: `${versus(fig, eplbFigure(r), o, 'EPLB')} (EPLB ${primaryText(eplbFigure(r), o)})`,
      hint: 'The same figure for DeepSeek-style load balancing on the same slots.',
    },
    {
      label: o === 'latency' ? 'E[T]' : 'Latency per layer',
      value: o === 'latency' ? show.expectedTime(r.expectedTime) : show.micros(r.latencyUs),
      hint:
        o === 'latency'
          ? 'The single-token, ideal-copy-choice figure of Beaumont et al., beside the objective.'
          : `At batch ${r.workload.batch}, beside the objective.`,
    },
    ...robustKeyFigures(r),
    {
      label: 'Per step',
      value: `${show.micros(r.latencyUsPerToken)} over all MoE layers`,
      hint: `Predicted time of all MoE layers in one step of ${r.workload.batch} tokens: what each token waits.`,
    },
    ...(free > 0
      ? [
          {
            label: 'Free slots',
            value: `${(r.freeSlots ?? []).join('/')} per GPU (${show.bytes(r.freeBytesPerGpu?.[0] ?? 0)} per GPU)`,
            hint: 'Slots no layer uses: replicas that would slow the step are not placed, and their memory can go to the KV cache.',
          },
        ]
      : []),
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

/** The worst workload's excess over its own best, and which. */
function worstWorkload(r: PlanResults): { name: string; excess: number } | undefined {
  let out: { name: string; excess: number } | undefined;
  for (const w of r.workloads ?? []) {
    const b = objectiveValue(r, w.best);
    const excess = b > 0 ? objectiveValue(r, w) / b - 1 : NaN;
    if (!out || excess > out.excess) out = { name: w.name, excess };
  }
  return out;
}

export function robustKeyFigures(r: PlanResults): KeyFigure[] {
  const out: KeyFigure[] = [];
  const h = r.heldOut;
  if (h) {
    out.push({
      label: 'Held out',
      value: `${objectiveText(r, h)} (${versusOnObjective(r, h, h.planning)} vs in sample)`,
      hint: `Planned on part of the routing, scored on the part it did not see: the honest estimate of the in-sample figures. Split ${h.split}.`,
    });
  } else if (r.heldOutMissing) {
    out.push({ label: 'Held out', value: 'no figure', hint: `The workload cannot be split: ${r.heldOutMissing}.` });
  }
  const worst = worstWorkload(r);
  if (worst) {
    out.push({
      label: `Workloads (mix ${r.mix ?? 'mean'})`,
      value: `worst ${show.signedPercent(worst.excess)} over its own best (${worst.name})`,
      hint: 'The placement on each workload against the best placement found for that workload alone.',
    });
  }
  return out;
}
