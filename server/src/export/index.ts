// Export a placement in a serving engine's format, or say why it cannot be.
import { basename, extname } from 'node:path';
import type { Plan } from '../plan/types';
import type { ExportFormat, LaunchArguments } from '../protocol';
import { engineProblem, placementProblem, type Placements } from './validate';
import { padToUniformSlots } from './padding';
import { moeplanJson, sglangMap, trtllmYaml, vllmAscendMap } from './formats';
import { launchArguments, type ServingFlags } from './launch';
import { exportAdvice } from './warnings';

export type { ExportFormat } from '../protocol';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['sglang', 'trtllm', 'vllm-ascend', 'json'];

export type ExportResult =
  | {
      ok: true;
      content: string;
      /** Suggested name next to the plan. */
      fileName: string;
      /** Engine formats: the flags that go with the file. */
      launch?: LaunchArguments;
      warnings: string[];
      notes: string[];
    }
  | { ok: false; error: string };

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

/**
 * placements: layer → GPU → expert ids, one entry per MoE layer. `target` is
 * the absolute path the file will be written to (the launch arguments name
 * it); undefined when it goes to stdout.
 */
export function exportPlan(plan: Plan, placements: number[][][] | Placements, format: ExportFormat, target?: string): ExportResult {
  if (!EXPORT_FORMATS.includes(format)) return { ok: false, error: `unknown format '${String(format)}' (use ${EXPORT_FORMATS.join(', ')})` };
  const problem = placementProblem(plan, placements);
  if (problem) return { ok: false, error: problem };
  const fileName = exportFileName(plan.file, format);
  if (format === 'json') return { ok: true, content: moeplanJson(plan, placements), fileName, warnings: [], notes: [] };
  const empty = engineProblem(placements, ENGINE[format]);
  if (empty) return { ok: false, error: empty };
  const sameGpuCopies = format !== 'vllm-ascend';
  const { placements: filled, slots, padded } = padToUniformSlots(placements, sameGpuCopies);
  if (format === 'sglang' && plan.model.firstMoeLayer.value + plan.model.layers.value > plan.model.totalLayers.value)
    return {
      ok: false,
      error: `the model says ${plan.model.totalLayers.value} layers in all but MoE layers run to ${plan.model.firstMoeLayer.value + plan.model.layers.value - 1}; SGLang's map needs one row per model layer: fix the model's layer counts`,
    };
  const gpus = filled[0].length;
  const content = format === 'sglang' ? sglangMap(plan, filled) : format === 'trtllm' ? trtllmYaml(plan, filled) : vllmAscendMap(filled);
  const launch = launchArguments(
    format,
    { gpus, slotsPerGpu: slots, experts: plan.model.experts.value, nodes: plan.hardware.nodes },
    target,
    servingFlagsOf(plan),
  );
  const advice = exportAdvice(plan, format, gpus, slots);
  if (padded > 0 && sameGpuCopies)
    advice.notes.push(
      `${padded} slot${padded === 1 ? '' : 's'} the placement leaves empty (a copy there would slow the step) ${padded === 1 ? 'is' : 'are'} filled with a second copy of an expert already on the same GPU, ` +
        `as the engine fills every slot: no token goes anywhere new`,
    );
  else if (padded > 0)
    advice.warnings.push(
      `${padded} slot${padded === 1 ? '' : 's'} the placement leaves empty ${padded === 1 ? 'is' : 'are'} filled with extra copies of other experts, as ${ENGINE[format]} fills every slot and cannot hold one expert twice on a device: ` +
        `those copies change where tokens go, and the plan's figures did not include them (solve with fewer slots per GPU, or replicas off, to export what was timed)`,
    );
  return { ok: true, content, fileName, launch, ...advice };
}

/**
 * The serving flags a plan with a `serve` block asks for: its batch as the
 * requests running at once (decode; prefill batches are chunks, left to the
 * engine), and an FP8 cache when the model says so.
 */
function servingFlagsOf(plan: Plan): ServingFlags | undefined {
  if (!plan.serve || plan.workload.phase.value !== 'decode') return undefined;
  return { batch: plan.workload.batch.value, kvFp8: plan.model.kv?.dtype.value === 'fp8' };
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
