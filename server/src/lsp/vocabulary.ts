// What may be written where, for completion. Mirrors docs/language.md; the
// meaning of each keyword lives in the resolver (server/src/plan).
import { DTYPES as CORE_DTYPES, GPU_PRESETS as GPU_PRESET_TABLE, MODEL_PRESET_NAMES } from '../plan/presets';

export interface KeywordInfo {
  detail: string;
  /** Snippet inserted after the keyword (LSP snippet syntax), when useful. */
  snippet?: string;
}

/**
 * Keywords by context: 'top', the enclosing block's keyword, or
 * 'subsets-layer' for a `layer { … }` inside `subsets` (a `layer` inside
 * `placement` holds `gpu` lines instead).
 */
export const KEYWORDS: Record<string, Record<string, KeywordInfo>> = {
  top: {
    model: { detail: 'model preset or custom block', snippet: 'model ${1:mixtral-8x7b}' },
    gpu: { detail: 'GPU type, count and nodes', snippet: 'gpu ${1:h100-sxm} x ${2:8}' },
    reserve: { detail: 'memory kept per GPU for dense weights and KV cache', snippet: 'reserve ${1:40} GiB per gpu' },
    slots: { detail: 'expert slots per GPU per layer (instead of reserve)', snippet: 'slots ${1:4} per gpu' },
    link: { detail: 'link bandwidth and latency (nvlink, network, pcie)', snippet: 'link ${1|nvlink,network,pcie|} ${2:450} GB/s ${3:1} us' },
    workload: { detail: 'routing statistics, batch, phase', snippet: 'workload {\n\t$0\n}' },
    placement: { detail: 'policy, constraints, committed layers', snippet: 'placement {\n\tpolicy ${1:search}\n\t$0\n}' },
    offload: { detail: 'page experts from host memory', snippet: 'offload {\n\tpolicy ${1|layer-lru,lru,belady|}\n}' },
  },
  model: {
    layers: { detail: 'MoE layers' },
    'first-layer': { detail: 'index of the first MoE layer among all layers' },
    'total-layers': { detail: 'all transformer layers, dense included' },
    experts: { detail: 'routed experts per layer' },
    'shared-experts': { detail: 'shared experts per layer' },
    'top-k': { detail: 'experts per token' },
    hidden: { detail: 'hidden size d' },
    'expert-ffn': { detail: 'expert intermediate size f' },
    dtype: { detail: 'weight dtype' },
    'expert-size': { detail: 'bytes per expert per layer (overrides 3·d·f·dtype)' },
    'activation-dtype': { detail: 'activation dtype' },
    groups: { detail: 'routing groups and groups kept per token', snippet: 'groups ${1:8} top ${2:4}' },
  },
  gpu: {
    memory: { detail: 'GPU memory' },
    bandwidth: { detail: 'HBM bandwidth' },
    compute: { detail: 'dense BF16 FLOP/s' },
    name: { detail: 'display name', snippet: 'name "${1}"' },
  },
  workload: {
    trace: { detail: 'trace file, relative to the plan', snippet: 'trace "${1}"' },
    synthetic: { detail: 'seeded synthetic routing', snippet: 'synthetic tokens ${1:20000} seed ${2:1} skew ${3:1.0} concentration ${4:0.6} topics ${5:16}' },
    subsets: { detail: 'inline subset probabilities', snippet: 'subsets {\n\t$0\n}' },
    batch: { detail: 'tokens per step', snippet: 'batch ${1:64} tokens' },
    phase: { detail: 'prefill or decode', snippet: 'phase ${1|decode output 256 tokens,prefill 4096 tokens|}' },
    'max-subsets': { detail: 'keep at most this many subsets per layer' },
  },
  placement: {
    policy: { detail: 'placement policy' },
    time: { detail: 'solver time budget', snippet: 'time ${1:10} s' },
    seed: { detail: 'solver seed' },
    replicas: { detail: 'allow extra copies of experts', snippet: 'replicas ${1|on,off|}' },
    'max-copies': { detail: 'at most this many copies of an expert' },
    pin: { detail: 'keep an expert on a GPU', snippet: 'pin expert ${1:0} on gpu ${2:0}' },
    forbid: { detail: 'keep an expert off a GPU, or a GPU empty', snippet: 'forbid expert ${1:0} on gpu ${2:0}' },
    layer: { detail: 'committed assignment (checked, not recomputed)', snippet: 'layer ${1:0} {\n\tgpu 0: $0\n}' },
  },
  layer: {
    gpu: { detail: 'experts on a GPU in this layer', snippet: 'gpu ${1:0}: $0' },
  },
  offload: {
    policy: { detail: 'eviction policy' },
    prefetch: { detail: 'prefetch the next layer’s experts', snippet: 'prefetch ${1|on,off|}' },
    enabled: { detail: 'turn paging off without removing the block', snippet: 'enabled ${1|on,off|}' },
  },
  subsets: {
    subset: { detail: 'top-k experts and their weight', snippet: 'subset ${1:0 1}: ${2:30%}' },
    layer: { detail: 'per-layer subsets', snippet: 'layer ${1:0} {\n\t$0\n}' },
  },
  'subsets-layer': {
    subset: { detail: 'top-k experts and their weight', snippet: 'subset ${1:0 1}: ${2:30%}' },
  },
};

/** Preset names (aliases such as `deepseek-r1` included) from the plan core, so completion never drifts from the resolver. */
export const MODEL_PRESETS = [...MODEL_PRESET_NAMES, 'custom'];
export const GPU_PRESETS = [...Object.keys(GPU_PRESET_TABLE), 'custom'];
export const DTYPES: string[] = [...CORE_DTYPES];
export const POLICIES = ['contiguous', 'round-robin', 'eplb', 'greedy', 'search', 'exact'];
export const PAGING_POLICIES = ['layer-lru', 'lru', 'belady'];
export const TRACE_FORMATS = ['jsonl', 'csv', 'sglang', 'npy', 'trtllm'];
/** Options of `synthetic`, each followed by a number. */
export const SYNTHETIC_OPTIONS = ['tokens', 'seed', 'skew', 'concentration', 'topics'];

/** Values after `keyword` (first argument), by context. */
export function valuesFor(context: string, keyword: string): string[] | undefined {
  switch (keyword) {
    case 'model':
      return context === 'top' ? MODEL_PRESETS : undefined;
    case 'gpu':
      return context === 'top' ? GPU_PRESETS : undefined;
    case 'dtype':
    case 'activation-dtype':
      return DTYPES;
    case 'policy':
      return context === 'offload' ? PAGING_POLICIES : POLICIES;
    case 'phase':
      return ['decode', 'prefill'];
    case 'link':
      return ['nvlink', 'network', 'pcie'];
    case 'replicas':
    case 'prefetch':
    case 'enabled':
      return ['on', 'off'];
    case 'format':
      return TRACE_FORMATS;
    default:
      return undefined;
  }
}

/** Units that fit after a number, by the statement keyword. */
export function unitsFor(keyword: string): string[] {
  switch (keyword) {
    case 'reserve':
    case 'memory':
    case 'expert-size':
      return ['GiB', 'GB', 'MiB', 'MB', 'TiB'];
    case 'link':
      return ['GB/s', 'Gb/s', 'TB/s', 'us', 'ms', 'ns'];
    case 'bandwidth':
      return ['TB/s', 'GB/s'];
    case 'compute':
      return ['TFLOPS', 'PFLOPS'];
    case 'time':
      return ['s', 'ms', 'min'];
    case 'batch':
    case 'phase':
    case 'synthetic':
      return ['tokens'];
    default:
      return [];
  }
}
