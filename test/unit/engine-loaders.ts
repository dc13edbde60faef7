// Test oracles: what each serving engine's loader does with an exported
// placement, restated from the engines' code (not from moeplan's writers), so
// a test fails when an export would be rejected or would mean something else
// than the plan. Each check names the engine code it mirrors; the versions
// read are in docs/engines.md. Every loader returns what the engine ends up
// with: MoE layer → EP rank → the logical experts in that rank's slots.
import assert from 'node:assert/strict';
import YAML from 'yaml';
import type { ExportResult } from '../../server/src/export/index';
import type { Plan } from '../../server/src/plan/types';
import type { ExportFormat } from '../../server/src/protocol';

export class LoaderRejects extends Error {}

function reject(msg: string): never {
  throw new LoaderRejects(msg);
}

export type RankSlices = number[][][];

function isIntMatrix(v: unknown): v is number[][] {
  return Array.isArray(v) && v.every((row) => Array.isArray(row) && row.every((x) => Number.isInteger(x)));
}

function slices(row: readonly number[], ranks: number): number[][] {
  const per = row.length / ranks;
  return Array.from({ length: ranks }, (_, r) => row.slice(r * per, (r + 1) * per));
}

/** Every logical expert 0..E−1 present, nothing else (TensorRT-LLM asserts exactly this set). */
function coversExactly(row: readonly number[], experts: number, where: string): void {
  const seen = new Set(row);
  for (const e of row) if (!Number.isInteger(e) || e < 0 || e >= experts) reject(`${where}: expert ${e} is not one of 0..${experts - 1}`);
  if (seen.size !== experts) reject(`${where}: ${experts - seen.size} of the ${experts} experts have no slot`);
}

// ---------------------------------------------------------------------------
// SGLang: compute_initial_expert_location_metadata → init_by_mapping
// (python/sglang/srt/eplb/expert_location.py). The dict is passed as keyword
// arguments, so the one key must be physical_to_logical_map; torch.tensor
// needs a rectangular integer matrix; _init_common asserts
// (experts + --ep-num-redundant-experts) % --ep-size == 0; the MoE layers
// allocate experts + redundant physical experts and index the map by model
// layer id; the static dispatch map needs a copy of every logical expert
// (_fair_choices over an empty list fails). SGLang itself never compares the
// map's width with experts + redundant: a mismatch loads and silently means
// something else, so the oracle rejects it.
// ---------------------------------------------------------------------------
export interface SglangFlags {
  tpSize: number;
  epSize: number;
  redundantExperts: number;
  initExpertLocation: string;
}

export function sglangFlags(args: readonly string[]): SglangFlags {
  const v = (flag: string): string => {
    const i = args.indexOf(flag);
    if (i < 0 || i + 1 >= args.length) reject(`SGLang flags lack ${flag}`);
    return args[i + 1];
  };
  return {
    tpSize: Number(v('--tp-size')),
    epSize: Number(v('--ep-size')),
    redundantExperts: Number(v('--ep-num-redundant-experts')),
    initExpertLocation: v('--init-expert-location'),
  };
}

export function sglangLoad(
  text: string,
  model: { totalLayers: number; firstMoeLayer: number; moeLayers: number; experts: number },
  flags: SglangFlags,
): RankSlices {
  if (!flags.initExpertLocation.endsWith('.json')) reject('--init-expert-location must name a .json (or .pt) file to be read as a file');
  if (flags.tpSize !== flags.epSize) reject(`expert placement assumes EP over the whole TP group: --ep-size ${flags.epSize} ≠ --tp-size ${flags.tpSize}`);
  const doc = JSON.parse(text) as Record<string, unknown>;
  const keys = Object.keys(doc);
  if (keys.length !== 1 || keys[0] !== 'physical_to_logical_map') reject(`init_by_mapping takes physical_to_logical_map only, got keys ${keys.join(', ')}`);
  const map = doc.physical_to_logical_map;
  if (!isIntMatrix(map) || map.length === 0) reject('physical_to_logical_map must be a non-empty integer matrix');
  const width = map[0].length;
  if (!map.every((r) => r.length === width)) reject('physical_to_logical_map rows differ in length (torch.tensor needs a rectangle)');
  const physical = model.experts + flags.redundantExperts;
  if (physical % flags.epSize !== 0) reject(`_init_common: ${physical} physical experts do not divide over EP size ${flags.epSize}`);
  if (width !== physical)
    reject(
      `the map has ${width} physical experts per layer but the MoE layers allocate ${physical} (experts ${model.experts} + --ep-num-redundant-experts ${flags.redundantExperts})`,
    );
  if (map.length !== model.totalLayers) reject(`the map has ${map.length} rows; SGLang indexes it by model layer id over ${model.totalLayers} layers`);
  map.forEach((row, l) => coversExactly(row, model.experts, `layer ${l}`));
  return map.slice(model.firstMoeLayer, model.firstMoeLayer + model.moeLayers).map((row) => slices(row, flags.epSize));
}

// ---------------------------------------------------------------------------
// TensorRT-LLM: MoeLoadBalancerConfig (tensorrt_llm/llmapi/llm_args.py,
// pydantic with extra="forbid"; the older dataclass raises TypeError on an
// unknown key): num_slots: Optional[int], initial_global_assignments:
// Optional[Dict[int, List[int]]], layer_updates_per_iter: int. setup(ep_rank,
// ep_size) requires num_slots % ep_size == 0; get_layer_initial_global_assignments
// raises KeyError for a missing MoE layer and checks each list's length; the
// wide-EP MoE module asserts num_slots ≥ experts and set(list) == range(experts);
// rank r owns slots r·num_slots/ep_size … (r+1)·num_slots/ep_size − 1.
// ---------------------------------------------------------------------------
const TRTLLM_KEYS = new Set(['num_slots', 'initial_global_assignments', 'layer_updates_per_iter']);

export interface TrtllmFlags {
  epSize: number;
  /** moe_config from the --extra_llm_api_options file. */
  moeConfig: { backend?: unknown; load_balancer?: unknown };
}

export function trtllmFlags(args: readonly string[], configEntry: string): TrtllmFlags {
  const i = args.indexOf('--ep_size');
  if (i < 0) reject('TensorRT-LLM flags lack --ep_size');
  const options = YAML.parse(configEntry) as { moe_config?: TrtllmFlags['moeConfig'] };
  if (!options?.moe_config) reject('the options entry has no moe_config');
  return { epSize: Number(args[i + 1]), moeConfig: options.moe_config };
}

export function trtllmLoad(text: string, model: { moeLayerIds: readonly number[]; experts: number }, epSize: number): RankSlices {
  let doc: unknown;
  try {
    doc = YAML.parse(text, { mapAsMap: true });
  } catch (e) {
    reject(`not YAML: ${(e as Error).message}`);
  }
  if (!(doc instanceof Map)) reject('the load balancer file must be a YAML mapping');
  for (const k of doc.keys()) if (!TRTLLM_KEYS.has(String(k))) reject(`MoeLoadBalancerConfig forbids the key '${String(k)}'`);
  const numSlots = doc.get('num_slots');
  const updates = doc.get('layer_updates_per_iter') ?? 0;
  const assignments = doc.get('initial_global_assignments');
  if (!Number.isInteger(numSlots)) reject('num_slots must be an integer');
  if (!Number.isInteger(updates)) reject('layer_updates_per_iter must be an integer');
  if (updates !== 0) reject(`layer_updates_per_iter ${updates}: the balancer would move experts at run time (0 = static)`);
  if (!(assignments instanceof Map)) reject('initial_global_assignments must be a mapping of layer index → list');
  for (const [k, v] of assignments) {
    if (!Number.isInteger(k)) reject(`initial_global_assignments key ${JSON.stringify(k)} is not an integer layer index`);
    if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x))) reject(`layer ${k}: the assignment must be a list of integers`);
  }
  if ((numSlots as number) % epSize !== 0) reject(`setup(): num_slots (${numSlots}) must be divisible by ep_size (${epSize})`);
  if ((numSlots as number) < model.experts) reject(`num_slots ${numSlots} < ${model.experts} experts`);
  return model.moeLayerIds.map((id) => {
    if (!assignments.has(id)) reject(`KeyError: layer_idx ${id} not found in initial_global_assignments`);
    const row = assignments.get(id) as number[];
    if (row.length !== numSlots) reject(`Assignment length (${row.length}) for layer ${id} does not match num_slots (${numSlots})`);
    coversExactly(row, model.experts, `layer ${id}`);
    return slices(row, epSize);
  });
}

// ---------------------------------------------------------------------------
// vLLM-Ascend: EplbConfig (vllm_ascend/ascend_config.py) takes only its own
// keys, needs expert_map_path to end in .json and num_redundant_experts to be
// an int ≥ 0; expert_file_to_tensor (vllm_ascend/eplb/core/eplb_utils.py)
// reads layer_list[i] for the i-th MoE layer by position (layer_id values are
// not read) and device_list[r] for EP rank r (device_id is not read), each a
// rectangular int tensor; init_eplb (vllm_ascend/ops/fused_moe/routed_experts.py)
// raises "EPLB local expert capacity mismatch" unless the file's physical
// experts per rank equal (experts + num_redundant_experts) / EP size.
// The expert map is built by expert_map[local_placement] = arange, so an
// expert twice on one device would lose a slot; every expert needs a copy.
// ---------------------------------------------------------------------------
const EPLB_KEYS = new Set([
  'dynamic_eplb',
  'expert_map_path',
  'expert_heat_collection_interval',
  'algorithm_execution_interval',
  'expert_map_record_path',
  'num_redundant_experts',
  'eplb_policy_type',
  'eplb_heat_collection_stage',
  'load_collection_phase',
]);

export interface VllmAscendFlags {
  epSize: number;
  expertMapPath: string;
  numRedundantExperts: number;
}

export function vllmAscendFlags(args: readonly string[]): VllmAscendFlags {
  const tp = args.indexOf('--tensor-parallel-size');
  const dp = args.indexOf('--data-parallel-size');
  if (!args.includes('--enable-expert-parallel')) reject('vLLM runs MoE without expert parallelism unless --enable-expert-parallel is given');
  const a = args.indexOf('--additional-config');
  if (tp < 0 || a < 0) reject('vLLM-Ascend flags lack --tensor-parallel-size or --additional-config');
  const extra = JSON.parse(args[a + 1]) as { eplb_config?: Record<string, unknown> };
  const eplb = extra.eplb_config;
  if (!eplb || typeof eplb !== 'object') reject('--additional-config has no eplb_config');
  for (const k of Object.keys(eplb)) if (!EPLB_KEYS.has(k)) reject(`EplbConfig: Config has no attribute '${k}'`);
  const path = eplb.expert_map_path;
  const r = eplb.num_redundant_experts ?? 0;
  if (typeof path !== 'string' || !path.endsWith('.json')) reject('The expert_map is not json.');
  if (!Number.isInteger(r) || (r as number) < 0) reject('num_redundant_experts must be an integer ≥ 0');
  return { epSize: Number(args[tp + 1]) * (dp >= 0 ? Number(args[dp + 1]) : 1), expertMapPath: path, numRedundantExperts: r as number };
}

export function vllmAscendLoad(text: string, model: { moeLayers: number; experts: number }, flags: VllmAscendFlags): RankSlices {
  const data = JSON.parse(text) as { moe_layer_count?: unknown; layer_list?: { device_list?: { device_expert?: unknown }[] }[] };
  if (!Number.isInteger(data.moe_layer_count) || !Array.isArray(data.layer_list)) reject('expected {"moe_layer_count": L, "layer_list": [...]}');
  const perRank = (model.experts + flags.numRedundantExperts) / flags.epSize;
  const out: RankSlices = [];
  for (let layer = 0; layer < model.moeLayers; layer++) {
    if (layer > (data.moe_layer_count as number)) reject('Invalid EPLB Table');
    const entry = data.layer_list[layer];
    if (!entry || !Array.isArray(entry.device_list)) reject(`layer_list[${layer}] is missing`);
    const devices = entry.device_list.map((d) => d.device_expert);
    if (!isIntMatrix(devices)) reject(`layer ${layer}: device_expert lists must be integer lists`);
    if (!devices.every((d) => d.length === devices[0].length))
      reject(`layer ${layer}: devices hold different numbers of experts (torch.tensor needs a rectangle)`);
    if (devices.length !== flags.epSize) reject(`layer ${layer}: ${devices.length} devices listed for EP size ${flags.epSize}`);
    if (devices[0].length !== perRank) reject(`EPLB local expert capacity mismatch: allocated=${perRank}, placement=${devices[0].length} (layer ${layer})`);
    devices.forEach((d, r) => {
      if (new Set(d).size !== d.length) reject(`layer ${layer}, rank ${r}: an expert appears twice on one device`);
    });
    coversExactly(devices.flat(), model.experts, `layer ${layer}`);
    out.push(devices);
  }
  if (data.moe_layer_count !== model.moeLayers) reject(`moe_layer_count ${String(data.moe_layer_count)} but the model has ${model.moeLayers} MoE layers`);
  return out;
}

// ---------------------------------------------------------------------------
// moeplan's own placement JSON (its schema is ours; checked field by field).
// ---------------------------------------------------------------------------
export function moeplanJsonLoad(text: string, model: { moeLayers: number; experts: number; gpus: number }): RankSlices {
  const doc = JSON.parse(text) as {
    format?: unknown;
    version?: unknown;
    model?: { layers?: unknown; experts?: unknown };
    hardware?: { gpus?: unknown; slotsPerGpu?: unknown };
    layers?: { layer?: unknown; gpus?: unknown }[];
  };
  if (doc.format !== 'moeplan-placement' || doc.version !== 1) reject('not a moeplan placement file, version 1');
  if (doc.model?.layers !== model.moeLayers || doc.model?.experts !== model.experts) reject('model figures differ from the plan');
  if (doc.hardware?.gpus !== model.gpus || !Array.isArray(doc.hardware?.slotsPerGpu)) reject('hardware figures differ from the plan');
  if (!Array.isArray(doc.layers) || doc.layers.length !== model.moeLayers) reject('one entry per MoE layer expected');
  return doc.layers.map((l, i) => {
    if (l.layer !== i) reject(`entry ${i} is layer ${String(l.layer)}`);
    if (!isIntMatrix(l.gpus)) reject(`layer ${i}: gpus must be integer lists`);
    coversExactly([...new Set(l.gpus.flat())], model.experts, `layer ${i}`);
    return l.gpus;
  });
}

// ---------------------------------------------------------------------------
// An export as a whole: the file read with the flags the export printed.
// ---------------------------------------------------------------------------
export type Ok = Extract<ExportResult, { ok: true }>;

/**
 * What the engine ends up with when it loads the export with the flags the
 * export printed (the oracles in engine-loaders.ts restate the engines'
 * loaders; moeplan's own JSON is checked against its schema).
 */
export function loadAsEngine(format: ExportFormat, r: Ok, plan: Plan): RankSlices {
  const m = plan.model;
  const experts = m.experts.value;
  const moeLayerIds = Array.from({ length: m.layers.value }, (_, l) => m.firstMoeLayer.value + l);
  const args = r.launch?.args ?? [];
  switch (format) {
    case 'sglang': {
      const flags = sglangFlags(args);
      if (r.launch?.file) assert.equal(flags.initExpertLocation, r.launch.file);
      return sglangLoad(r.content, { totalLayers: m.totalLayers.value, firstMoeLayer: m.firstMoeLayer.value, moeLayers: m.layers.value, experts }, flags);
    }
    case 'trtllm': {
      assert.ok(r.launch?.configEntry, 'TensorRT-LLM needs the moe_config entry');
      const flags = trtllmFlags(args, r.launch.configEntry.text);
      assert.equal(flags.moeConfig.backend, 'WIDEEP');
      if (r.launch.file) assert.equal(flags.moeConfig.load_balancer, r.launch.file);
      return trtllmLoad(r.content, { moeLayerIds, experts }, flags.epSize);
    }
    case 'vllm-ascend': {
      const flags = vllmAscendFlags(args);
      if (r.launch?.file) assert.equal(flags.expertMapPath, r.launch.file);
      return vllmAscendLoad(r.content, { moeLayers: m.layers.value, experts }, flags);
    }
    case 'json':
      return moeplanJsonLoad(r.content, { moeLayers: m.layers.value, experts, gpus: plan.hardware.count });
  }
}
