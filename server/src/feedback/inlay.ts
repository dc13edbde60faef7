// Inlay hints with derived values: slots per GPU, bytes per expert, total
// memory, slot use of committed GPUs. Pure; anchors are plan ranges and the
// hint goes at the end of the anchor's first line.
import type { Range } from '../language/ast';
import type { Plan } from '../plan/types';
import * as f from '../display';

interface FeedbackHint {
  anchor: Range;
  label: string;
  tooltip?: string;
}

export function inlayHints(plan: Plan): FeedbackHint[] {
  const out: FeedbackHint[] = [];
  const hw = plan.hardware;
  const m = plan.model;
  const perSlot = m.bytesPerExpert.value * m.layers.value;
  const slots = hw.slotsPerGpu;
  const min = Math.min(...slots);
  const max = Math.max(...slots);
  const slotText = min === max ? `${min}` : `${min}–${max}`;
  const hwAnchor = hw.reserveBytes.range ?? hw.range;
  if (hwAnchor && slots.length) {
    out.push({
      anchor: hwAnchor,
      label: `${slotText} slots/GPU`,
      tooltip: `Expert slots per GPU per layer: ${hw.slotsSource}. One slot holds one expert in each of ${m.layers.value} layers (${f.bytes(perSlot)}).`,
    });
  }
  if (hw.range) {
    const total = {
      anchor: hw.range,
      label: `${f.bytes(hw.gpu.memoryBytes.value * hw.count)} total`,
      tooltip: `${hw.count} × ${f.bytes(hw.gpu.memoryBytes.value)} (${hw.gpu.memoryBytes.source})`,
    };
    const sameLine = out.find((h) => h.anchor.start.line === hw.range!.start.line);
    if (sameLine) {
      sameLine.label += ` · ${total.label}`;
      sameLine.tooltip += ` Memory: ${total.tooltip}.`;
    } else out.push(total);
  }
  const modelAnchor = m.bytesPerExpert.range ?? plan.refs.find((r) => r.kind === 'preset' && r.presetKind === 'model')?.range ?? m.experts.range;
  if (modelAnchor) {
    out.push({
      anchor: modelAnchor,
      label: `${f.bytes(m.bytesPerExpert.value)}/expert`,
      tooltip: `${m.bytesPerExpert.source}; all routed experts: ${f.bytes(m.bytesPerExpert.value * m.experts.value * m.layers.value)}`,
    });
  }
  // One committed block may cover several layers (`layer 1..31`): hint each line once.
  const seen = new Set<string>();
  for (const layer of plan.placement.committed.values()) {
    layer.gpuRanges.forEach((r, gpu) => {
      if (!r) return;
      const key = `${r.start.line}:${r.start.character}`;
      if (seen.has(key)) return;
      seen.add(key);
      const used = layer.gpus[gpu]?.length ?? 0;
      const cap = slots[gpu] ?? 0;
      out.push({ anchor: r, label: `${used}/${cap} slots`, tooltip: `GPU ${gpu}: ${used} of ${cap} expert slots used in layer ${layer.layer}` });
    });
  }
  return out;
}
