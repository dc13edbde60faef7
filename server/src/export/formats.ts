// Writers for the engines' placement formats and our own JSON. Inputs are
// already validated (validate.ts). What each engine reads, and the versions
// checked, are in docs/engines.md.
//
// SGLang (--init-expert-location FILE.json; sgl-project/sglang,
// python/sglang/srt/eplb/expert_location.py, init_by_mapping):
//   {"physical_to_logical_map": [[logical expert of physical slot p] × num_physical] × all model layers]}
//   physical slot p lives on EP rank p // slots_per_rank. Dense layers (before
//   the first MoE layer) get SGLang's trivial map, p % experts.
// TensorRT-LLM (MoeLoadBalancerConfig in NVIDIA/TensorRT-LLM,
// tensorrt_llm/llmapi/llm_args.py): exactly num_slots, layer_updates_per_iter
//   (0 = static) and initial_global_assignments keyed by model layer index,
//   num_slots entries each (rank r holds entries r·num_slots/EP … (r+1)·num_slots/EP − 1).
//   The class forbids any other key, so the EP size, which comes from the
//   run's --ep_size, is only named in a comment.
// vLLM-Ascend (expert map JSON; vllm-project/vllm-ascend,
// vllm_ascend/eplb/core/eplb_utils.py, expert_file_to_tensor): read by
//   position, layer_list[i] is MoE layer i and device_list[r] is EP rank r:
//   {"moe_layer_count": L, "layer_list": [{"layer_id": l, "device_count": D,
//     "device_list": [{"device_id": d, "device_expert": [...]}]}]}
// moeplan JSON: the placement with the model and hardware it was made for.
import type { Plan } from '../plan/types';
import type { Placements } from './validate';

export function sglangMap(plan: Plan, placements: Placements): string {
  const E = plan.model.experts.value;
  const first = plan.model.firstMoeLayer.value;
  const physical = placements.map((layer) => layer.flat());
  const P = physical[0].length;
  const dense = Array.from({ length: P }, (_, p) => p % E);
  const rows: number[][] = [];
  for (let l = 0; l < first; l++) rows.push(dense);
  rows.push(...physical);
  const total = plan.model.totalLayers.value;
  for (let l = rows.length; l < total; l++) rows.push(dense); // dense layers after the MoE ones, if any
  return `{"physical_to_logical_map": [\n${rows.map((r) => `  [${r.join(', ')}]`).join(',\n')}\n]}\n`;
}

export function trtllmYaml(plan: Plan, placements: Placements): string {
  const first = plan.model.firstMoeLayer.value;
  const G = placements[0].length;
  const slots = placements[0].flat().length;
  const perRank = slots / G;
  const lines = [
    `# MoE load balancer config for TensorRT-LLM (moe_config.load_balancer), written by moeplan for ${plan.model.name}.`,
    `# Made for EP size ${G} (--ep_size ${G}): ${perRank} slots per rank; rank r holds entries r*${perRank} .. r*${perRank}+${perRank - 1} of each layer.`,
    `# Keys are model layer indices (${first} .. ${first + placements.length - 1}).`,
    `num_slots: ${slots}`,
    'layer_updates_per_iter: 0',
    'initial_global_assignments:',
    ...placements.map((layer, l) => `  ${l + first}: [${layer.flat().join(', ')}]`),
  ];
  return lines.join('\n') + '\n';
}

export function vllmAscendMap(placements: Placements): string {
  const doc = {
    moe_layer_count: placements.length,
    layer_list: placements.map((layer, l) => ({
      layer_id: l,
      device_count: layer.length,
      device_list: layer.map((experts, d) => ({ device_id: d, device_expert: [...experts] })),
    })),
  };
  return JSON.stringify(doc, null, 1) + '\n';
}

const MOEPLAN_FORMAT = 'moeplan-placement';

export function moeplanJson(plan: Plan, placements: Placements): string {
  const doc = {
    format: MOEPLAN_FORMAT,
    version: 1,
    model: {
      name: plan.model.name,
      layers: plan.model.layers.value,
      firstMoeLayer: plan.model.firstMoeLayer.value,
      experts: plan.model.experts.value,
      topK: plan.model.topK.value,
    },
    hardware: { gpu: plan.hardware.gpu.name, gpus: plan.hardware.count, nodes: plan.hardware.nodes, slotsPerGpu: plan.hardware.slotsPerGpu },
    layers: placements.map((gpus, layer) => ({ layer, gpus })),
  };
  // One GPU per line keeps diffs readable.
  return (
    JSON.stringify(doc, (_k, v) => (Array.isArray(v) && v.every((x) => typeof x === 'number') ? `\u0000${JSON.stringify(v)}` : v), 2).replace(
      /"\\u0000(\[[^"]*\])"/g,
      '$1',
    ) + '\n'
  );
}
