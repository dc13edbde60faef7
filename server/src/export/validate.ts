// What every engine format needs from a placement, checked before writing:
// one entry per MoE layer, the same GPU count in every layer, ids in range,
// every expert with a copy, no expert twice on one GPU, and (engines only)
// the same number of filled slots on every GPU of every layer.
import type { Plan } from '../plan/types';

export type Placements = readonly (readonly (readonly number[])[])[];

/** Problems that no format can write (an invalid placement), or undefined. */
export function placementProblem(plan: Plan, placements: Placements): string | undefined {
  const L = plan.model.layers.value;
  const E = plan.model.experts.value;
  if (placements.length !== L) return `the placement has ${placements.length} layers but ${plan.model.name} has ${L} MoE layers; solve or commit every layer`;
  const G = placements[0]?.length ?? 0;
  if (G === 0) return 'layer 0 has no GPUs';
  for (let l = 0; l < L; l++) {
    const layer = placements[l];
    if (layer.length !== G) return `layer ${l} places experts on ${layer.length} GPUs but layer 0 on ${G}; every layer must use the same GPUs`;
    const seen = new Uint8Array(E);
    for (let g = 0; g < G; g++) {
      const here = new Set<number>();
      for (const e of layer[g]) {
        if (!Number.isInteger(e) || e < 0 || e >= E) return `layer ${l}, GPU ${g}: expert ${e} does not exist (the model has experts 0–${E - 1})`;
        if (here.has(e)) return `layer ${l}, GPU ${g}: expert ${e} appears twice on one GPU`;
        here.add(e);
        seen[e] = 1;
      }
    }
    const missing: number[] = [];
    for (let e = 0; e < E; e++) if (!seen[e]) missing.push(e);
    if (missing.length > 0)
      return `layer ${l}: expert${missing.length > 1 ? 's' : ''} ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', …' : ''} ha${missing.length > 1 ? 've' : 's'} no copy; engines need every expert placed`;
  }
  return undefined;
}

/**
 * The engines (SGLang, vLLM, TensorRT-LLM, vLLM-Ascend) give every GPU the
 * same number of slots in every layer and fill them all: a GPU that holds no
 * expert cannot be exported (slots left empty elsewhere are padded, see
 * padding.ts). Returns a message saying what to change, or undefined.
 */
export function engineProblem(placements: Placements, engine: string): string | undefined {
  for (let l = 0; l < placements.length; l++) {
    const g = placements[l].findIndex((gpu) => gpu.length === 0);
    if (g >= 0)
      return `${engine} gives every GPU the same expert slots, but layer ${l} places no expert on GPU ${g}; drop the GPU from the plan (or forbid nothing on it), or export --format json, which keeps any placement`;
  }
  return undefined;
}
