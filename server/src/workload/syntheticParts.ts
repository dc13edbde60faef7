// A plan's synthetic workload generated in parts, one range of layers per
// worker, then put together (workload/load.ts): the generator draws about a
// million tokens a second on one core, so DeepSeek-V3's 58 layers of 20,000
// tokens took 2 s on one worker while the others waited.
import type { Plan, SyntheticSpec } from '../plan/types';
import { WorkloadError, type LayerDistribution } from './types';
import { syntheticLayers, type SyntheticLayers } from './synthetic';
import { splitLayerByPosition } from './split';
import { sourcesOf } from '../plan/workloadSources';

/** Layers of a synthetic workload with each layer's held-out split (by position in its token order). */
export interface SyntheticPart extends SyntheticLayers {
  splits: { planning: LayerDistribution; heldOut: LayerDistribution }[];
}

/** Token-layers below which one thread generates the whole workload (a part's start-up is not worth it). */
const PARTS_FROM_TOKEN_LAYERS = 200_000;

/** The plan's synthetic source when it is the only one and large enough to generate in parts. */
export function partedSyntheticSource(plan: Plan): SyntheticSpec | undefined {
  const sources = sourcesOf(plan.workload);
  const only = sources.length === 1 ? sources[0] : undefined;
  if (only?.kind !== 'synthetic') return undefined;
  return only.tokens * plan.model.layers.value >= PARTS_FROM_TOKEN_LAYERS ? only : undefined;
}

/** Layer ranges [from, to) for `parts` parts of `layers` layers, as even as can be. */
export function partRanges(layers: number, parts: number): [number, number][] {
  const n = Math.max(1, Math.min(parts, layers));
  return Array.from({ length: n }, (_, i) => [Math.floor((i * layers) / n), Math.floor(((i + 1) * layers) / n)]);
}

/** Layers from..to of the plan's synthetic source (partedSyntheticSource), with their splits; arrays in shared memory. */
export function syntheticPart(plan: Plan, spec: SyntheticSpec, from: number, to: number, opts: { maxSequenceIds?: number } = {}): SyntheticPart {
  const m = plan.model;
  let part: SyntheticLayers;
  try {
    part = syntheticLayers(spec, { layers: m.layers.value, experts: m.experts.value, topK: m.topK.value, groups: m.groups }, from, to, {
      maxSequenceIds: opts.maxSequenceIds,
      shared: true,
    });
  } catch (e) {
    // As loading it in one go says it: the plan's line.
    throw new WorkloadError((e as Error).message, plan.file, spec.range ? spec.range.start.line + 1 : undefined);
  }
  const splits =
    part.orderTokens >= 2 ? part.layers.map((d, i) => splitLayerByPosition(d, { ids: part.orders[i], tokens: part.orderTokens, stride: 1, offset: 0 })) : [];
  return { ...part, splits };
}
