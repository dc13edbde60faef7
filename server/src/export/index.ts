// Export a placement in a serving engine's format, or say why it cannot be.
import { basename, extname } from 'node:path';
import type { Plan } from '../plan/types';
import type { ExportFormat } from '../protocol';
import { placementProblem, uniformSlots, type Placements } from './validate';
import { moeplanJson, sglangMap, trtllmYaml, vllmAscendMap } from './formats';

export type { ExportFormat } from '../protocol';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['sglang', 'trtllm', 'vllm-ascend', 'json'];

export type ExportResult = { ok: true; content: string; fileName: string } | { ok: false; error: string };

const ENGINE: Record<ExportFormat, string> = { sglang: 'SGLang', trtllm: 'TensorRT-LLM', 'vllm-ascend': 'vLLM-Ascend', json: 'moeplan JSON' };
const SUFFIX: Record<ExportFormat, string> = {
  sglang: '.sglang.json',
  trtllm: '.trtllm.yaml',
  'vllm-ascend': '.vllm-ascend.json',
  json: '.placement.json',
};

/** Suggested output name next to the plan: plan.moeplan → plan.sglang.json. */
export function exportFileName(planFile: string, format: ExportFormat): string {
  const base = basename(planFile.replace(/^file:\/\//, ''));
  const stem = extname(base) ? base.slice(0, -extname(base).length) : base;
  return (stem || 'plan') + SUFFIX[format];
}

/** placements: layer → GPU → expert ids, one entry per MoE layer. */
export function exportPlan(plan: Plan, placements: number[][][] | Placements, format: ExportFormat): ExportResult {
  if (!EXPORT_FORMATS.includes(format)) return { ok: false, error: `unknown format '${String(format)}' (use ${EXPORT_FORMATS.join(', ')})` };
  const problem = placementProblem(plan, placements);
  if (problem) return { ok: false, error: problem };
  if (format !== 'json') {
    const slots = uniformSlots(plan, placements, ENGINE[format]);
    if (typeof slots === 'string') return { ok: false, error: slots };
    if (format === 'sglang' && plan.model.firstMoeLayer.value + plan.model.layers.value > plan.model.totalLayers.value)
      return {
        ok: false,
        error: `the model says ${plan.model.totalLayers.value} layers in all but MoE layers run to ${plan.model.firstMoeLayer.value + plan.model.layers.value - 1}; SGLang's map needs one row per model layer: fix the model's layer counts`,
      };
  }
  const fileName = exportFileName(plan.file, format);
  switch (format) {
    case 'sglang':
      return { ok: true, content: sglangMap(plan, placements), fileName };
    case 'trtllm':
      return { ok: true, content: trtllmYaml(plan, placements), fileName };
    case 'vllm-ascend':
      return { ok: true, content: vllmAscendMap(placements), fileName };
    case 'json':
      return { ok: true, content: moeplanJson(plan, placements), fileName };
  }
}

/** The plan's committed placement when it has one for every MoE layer. */
export function committedPlacements(plan: Plan): number[][][] | undefined {
  const out: number[][][] = [];
  for (let l = 0; l < plan.model.layers.value; l++) {
    const c = plan.placement.committed.get(l);
    if (!c) return undefined;
    // GPUs the layer does not mention hold nothing.
    out.push(Array.from({ length: Math.max(plan.hardware.count, c.gpus.length) }, (_, g) => [...(c.gpus[g] ?? [])]));
  }
  return out;
}
