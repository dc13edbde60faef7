// What a layer job carries for the held-out and per-workload figures: the
// layer's slice of the workload's split and of each mixed workload.
import type { MixRule } from '../plan/types';
import type { HeldOutSplit, Workload } from '../workload/types';
import type { LayerJob, LayerSplit } from './layer';

function layerSplit(s: HeldOutSplit | undefined, layer: number): LayerSplit | undefined {
  return s ? { planning: s.planning[layer], heldOut: s.heldOut[layer] } : undefined;
}

export function layerRobustInputs(workload: Workload, layerIndex: number, mix: MixRule, heldOut = true): Pick<LayerJob, 'split' | 'parts' | 'mix'> {
  const out: Pick<LayerJob, 'split' | 'parts' | 'mix'> = { mix };
  const split = heldOut ? layerSplit(workload.split, layerIndex) : undefined;
  if (split) out.split = split;
  if (workload.parts && workload.parts.length > 1)
    out.parts = workload.parts.map((p) => ({
      name: p.name,
      share: p.share,
      dist: p.layers[layerIndex],
      split: heldOut ? layerSplit(p.split, layerIndex) : undefined,
    }));
  return out;
}
