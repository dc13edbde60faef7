// What the user must hear about an export the engine will load but not run as
// planned: a model class that ignores placements, slots the plan has that the
// engine will not allocate, a layer the engine looks up that the plan does
// not have. Each fact names the engine code it comes from (docs/engines.md).
import type { Plan } from '../plan/types';
import type { EngineFormat } from './launch';

interface ExportAdvice {
  /** The engine will not run the placement as planned. */
  warnings: string[];
  /** Worth knowing; nothing is wrong. */
  notes: string[];
}

/**
 * SGLang applies --init-expert-location only to model classes that define
 * get_model_config_for_expert_location; the others get a one-layer,
 * one-expert dummy (ModelConfigForExpertLocation.init_dummy in
 * python/sglang/srt/eplb/expert_location.py). Checked in
 * sgl-project/sglang python/sglang/srt/models/: mixtral.py (7f1f5bc),
 * dbrx.py (9c60ab4), olmoe.py (1905f34) lack it; deepseek_v2.py,
 * qwen3_moe.py and gpt_oss.py have it.
 */
const SGLANG_WITHOUT_PLACEMENT: Record<string, string> = {
  'mixtral-8x7b': 'MixtralForCausalLM (models/mixtral.py)',
  'mixtral-8x22b': 'MixtralForCausalLM (models/mixtral.py)',
  dbrx: 'DbrxForCausalLM (models/dbrx.py)',
  'olmoe-1b-7b': 'OlmoeForCausalLM (models/olmoe.py)',
};
const SGLANG_WITH_PLACEMENT = new Set(['deepseek-v3', 'qwen3-235b-a22b', 'qwen3-30b-a3b', 'gpt-oss-120b']);

/** DeepSeek-V3's multi-token-prediction layer follows its 61 layers (config num_nextn_predict_layers = 1). */
const MTP_MODELS = new Set(['deepseek-v3']);

export function exportAdvice(plan: Plan, format: EngineFormat, gpus: number, slotsFilled: number): ExportAdvice {
  const warnings: string[] = [];
  const notes: string[] = [];
  const preset = plan.model.preset;
  const planSlots = plan.hardware.slotsPerGpu;

  if (planSlots.some((s) => s !== planSlots[0]))
    warnings.push(
      `the plan gives its GPUs different slot counts (${summariseCounts(planSlots)}), but the engines allocate the same number on every GPU: ` +
        `this file holds ${slotsFilled} per GPU, so GPUs with room for more leave it unused`,
    );
  else if (planSlots[0] > slotsFilled)
    notes.push(
      `the plan has room for ${planSlots[0]} expert slots per GPU but the placement fills ${slotsFilled}; the engine allocates ${slotsFilled} ` +
        `(${gpus * slotsFilled - plan.model.experts.value} redundant experts), so the rest of that memory stays free`,
    );
  if (gpus !== plan.hardware.count)
    warnings.push(`the placement spans ${gpus} GPUs but the plan has ${plan.hardware.count}; the EP size in the flags is ${gpus}`);

  if (format === 'sglang') {
    const cls = preset ? SGLANG_WITHOUT_PLACEMENT[preset] : undefined;
    if (cls)
      warnings.push(
        `SGLang's ${cls} does not take an expert placement (it defines no get_model_config_for_expert_location, as of the versions read): ` +
          `SGLang treats it as one layer of one expert for placement, so this map cannot take effect; serve ${plan.model.name} without --init-expert-location, or with an engine that loads placements`,
      );
    else if (!preset || !SGLANG_WITH_PLACEMENT.has(preset))
      notes.push(
        `moeplan does not know SGLang's model class for ${plan.model.name}: SGLang applies the map only if that class defines get_model_config_for_expert_location ` +
          '(DeepSeek-V2/V3, Qwen3-MoE and gpt-oss do; Mixtral, DBRX and OLMoE do not, as of the versions read)',
      );
  }

  if (format === 'trtllm' && preset && MTP_MODELS.has(preset)) {
    const mtpLayer = plan.model.totalLayers.value;
    const last = plan.model.firstMoeLayer.value + plan.model.layers.value - 1;
    notes.push(
      `with MTP speculative decoding (speculative_config decoding_type: MTP), TensorRT-LLM builds the MTP layer as MoE layer ${mtpLayer}; ` +
        `if it runs under the load balancer, MoeLoadBalancerConfig looks up key ${mtpLayer} and raises KeyError. moeplan has no routing for that layer: ` +
        `add a line '  ${mtpLayer}: [...]' to initial_global_assignments (a copy of layer ${last}'s list is a valid choice)`,
    );
  }

  if (format === 'vllm-ascend')
    notes.push(
      'vLLM-Ascend loads expert_map_path with Model Runner V1 only (Model Runner V2 rejects static maps), and its docs schedule static EPLB for removal in v0.25.1',
    );

  return { warnings, notes };
}

/** "9 × 30, 8 × 2" for [9, 9, …, 8, 8]. */
function summariseCounts(counts: readonly number[]): string {
  const by = new Map<number, number>();
  for (const c of counts) by.set(c, (by.get(c) ?? 0) + 1);
  return [...by.entries()]
    .sort((a, b) => b[0] - a[0])
    .map(([slots, n]) => `${n} GPU${n > 1 ? 's' : ''} with ${slots}`)
    .join(', ');
}
