// Built-in model and GPU presets. Figures come from the models' public
// config.json files on Hugging Face and NVIDIA's GPU datasheets; each preset
// carries a source string that hovers and `moeplan check` messages show.
import type { DType } from './vocabulary';

export interface ModelPreset {
  id: string;
  name: string;
  layers: number;
  firstMoeLayer: number;
  totalLayers: number;
  experts: number;
  sharedExperts: number;
  topK: number;
  hidden: number;
  expertFfn: number;
  weightDtype: DType;
  activationDtype: DType;
  groups?: { count: number; topGroups: number };
  /** Attention shape: what one token's KV cache holds and what decode reads (docs/cost-model.md §7). */
  attention: AttentionPreset;
  /** Vocabulary size: the input embedding (gathered per token, not read whole) is vocab × hidden. */
  vocab: number;
  /**
   * Parameters outside the routed and shared experts: attention, the dense
   * layers' FFNs, norms, routers, input embedding and LM head.
   */
  denseParams: number;
  /** Their bytes as released, when not denseParams × the weight dtype (mixed dtypes). */
  denseBytes?: number;
  source: string;
}

/**
 * Grouped-query (or multi-head) attention caches kvHeads keys and values of
 * headDim per layer; layers with a sliding window keep at most `window`
 * tokens. Multi-head latent attention (DeepSeek) caches one latent vector
 * and one shared RoPE key per layer.
 */
export type AttentionPreset =
  | { kind: 'gqa'; heads: number; kvHeads: number; headDim: number; sliding?: { layers: number; window: number } }
  | { kind: 'mla'; heads: number; latent: number; rope: number };

export interface GpuPreset {
  id: string;
  name: string;
  memoryBytes: number;
  hbmBytesPerS: number;
  /** Dense BF16 FLOP/s. */
  flops: number;
  /** NVLink bandwidth per GPU, one direction (half the datasheet's bidirectional figure). */
  nvlinkBytesPerS: number;
  /** Host PCIe bandwidth, one direction. */
  pcieBytesPerS: number;
  pcieSource: string;
  source: string;
}

/** Bytes per weight of each dtype. fp4 is MXFP4's 4-bit payload (block scales excluded). */
export const DTYPE_BYTES: Record<DType, number> = {
  fp32: 4,
  bf16: 2,
  fp16: 2,
  fp8: 1,
  int8: 1,
  int4: 0.5,
  fp4: 0.5,
};

const CONFIG = "the model's public config.json on Hugging Face";

export const MODEL_PRESETS: Record<string, ModelPreset> = {
  'mixtral-8x7b': {
    id: 'mixtral-8x7b',
    name: 'Mixtral-8x7B',
    layers: 32,
    firstMoeLayer: 0,
    totalLayers: 32,
    experts: 8,
    sharedExperts: 0,
    topK: 2,
    hidden: 4096,
    expertFfn: 14336,
    weightDtype: 'bf16',
    activationDtype: 'bf16',
    // 32 × (attention 41,943,040 + router 32,768 + norms 8,192) + 2 × 32,000 × 4,096 + 4,096
    attention: { kind: 'gqa', heads: 32, kvHeads: 8, headDim: 128 },
    vocab: 32000,
    denseParams: 1_605_636_096,
    source: `Mixtral-8x7B preset (${CONFIG})`,
  },
  'mixtral-8x22b': {
    id: 'mixtral-8x22b',
    name: 'Mixtral-8x22B',
    layers: 56,
    firstMoeLayer: 0,
    totalLayers: 56,
    experts: 8,
    sharedExperts: 0,
    topK: 2,
    hidden: 6144,
    expertFfn: 16384,
    weightDtype: 'bf16',
    activationDtype: 'bf16',
    // 56 × (88,080,384 + 49,152 + 12,288) + 2 × 32,768 × 6,144 + 6,144
    attention: { kind: 'gqa', heads: 48, kvHeads: 8, headDim: 128 },
    vocab: 32768,
    denseParams: 5_338_601_472,
    source: `Mixtral-8x22B preset (${CONFIG})`,
  },
  dbrx: {
    id: 'dbrx',
    name: 'DBRX',
    layers: 40,
    firstMoeLayer: 0,
    totalLayers: 40,
    experts: 16,
    sharedExperts: 0,
    topK: 4,
    hidden: 6144,
    expertFfn: 10752,
    weightDtype: 'bf16',
    activationDtype: 'bf16',
    // 40 × (Wqkv 50,331,648 + out 37,748,736 + router 98,304 + norms 12,288) + 2 × 100,352 × 6,144 + 6,144
    attention: { kind: 'gqa', heads: 48, kvHeads: 8, headDim: 128 },
    vocab: 100352,
    denseParams: 4_760_770_560,
    source: `DBRX preset (${CONFIG})`,
  },
  'deepseek-v3': {
    id: 'deepseek-v3',
    name: 'DeepSeek-V3',
    layers: 58,
    firstMoeLayer: 3,
    totalLayers: 61,
    experts: 256,
    sharedExperts: 1,
    topK: 8,
    hidden: 7168,
    expertFfn: 2048,
    weightDtype: 'fp8',
    activationDtype: 'bf16',
    groups: { count: 8, topGroups: 4 },
    // 61 × MLA 187,121,664 (projections and norms) + 3 dense FFNs × 396,361,728
    // + 58 routers × 1,835,264 + 2 × 129,280 × 7,168 + 7,168. Projections and
    // dense FFNs are FP8 (12,602,507,264 B); embeddings, LM head, routers and
    // norms BF16 (1,960,809,984 params).
    attention: { kind: 'mla', heads: 128, latent: 512, rope: 64 },
    vocab: 129280,
    denseParams: 14_563_317_248,
    denseBytes: 12_602_507_264 + 2 * 1_960_809_984,
    source: `DeepSeek-V3 preset (${CONFIG}; weights released in FP8)`,
  },
  'qwen3-235b-a22b': {
    id: 'qwen3-235b-a22b',
    name: 'Qwen3-235B-A22B',
    layers: 94,
    firstMoeLayer: 0,
    totalLayers: 94,
    experts: 128,
    sharedExperts: 0,
    topK: 8,
    hidden: 4096,
    expertFfn: 1536,
    weightDtype: 'bf16',
    activationDtype: 'bf16',
    // 94 × (attention 71,303,168 + q/k norms 256 + router 524,288 + norms 8,192) + 2 × 151,936 × 4,096 + 4,096
    attention: { kind: 'gqa', heads: 64, kvHeads: 4, headDim: 128 },
    vocab: 151936,
    denseParams: 7_997_238_784,
    source: `Qwen3-235B-A22B preset (${CONFIG})`,
  },
  'qwen3-30b-a3b': {
    id: 'qwen3-30b-a3b',
    name: 'Qwen3-30B-A3B',
    layers: 48,
    firstMoeLayer: 0,
    totalLayers: 48,
    experts: 128,
    sharedExperts: 0,
    topK: 8,
    hidden: 2048,
    expertFfn: 768,
    weightDtype: 'bf16',
    activationDtype: 'bf16',
    // 48 × (attention 18,874,368 + q/k norms 256 + router 262,144 + norms 4,096) + 2 × 151,936 × 2,048 + 2,048
    attention: { kind: 'gqa', heads: 32, kvHeads: 4, headDim: 128 },
    vocab: 151936,
    denseParams: 1_541_093_376,
    source: `Qwen3-30B-A3B preset (${CONFIG})`,
  },
  'olmoe-1b-7b': {
    id: 'olmoe-1b-7b',
    name: 'OLMoE-1B-7B',
    layers: 16,
    firstMoeLayer: 0,
    totalLayers: 16,
    experts: 64,
    sharedExperts: 0,
    topK: 8,
    hidden: 2048,
    expertFfn: 1024,
    weightDtype: 'bf16',
    activationDtype: 'bf16',
    // 16 × (attention 16,777,216 + q/k norms 4,096 + router 131,072 + norms 4,096) + 2 × 50,304 × 2,048 + 2,048
    attention: { kind: 'gqa', heads: 16, kvHeads: 16, headDim: 128 },
    vocab: 50304,
    denseParams: 476_710_912,
    source: `OLMoE-1B-7B preset (${CONFIG})`,
  },
  'gpt-oss-120b': {
    id: 'gpt-oss-120b',
    name: 'GPT-OSS-120B',
    layers: 36,
    firstMoeLayer: 0,
    totalLayers: 36,
    experts: 128,
    sharedExperts: 0,
    topK: 4,
    hidden: 2880,
    expertFfn: 2880,
    weightDtype: 'fp4',
    activationDtype: 'bf16',
    // 36 × (attention with biases and sinks 26,550,144 + router 368,768 + norms 5,760) + 2 × 201,088 × 2,880 + 2,880;
    // attention, embeddings and LM head are released in BF16. Every other layer slides over 128 tokens.
    attention: { kind: 'gqa', heads: 64, kvHeads: 8, headDim: 64, sliding: { layers: 18, window: 128 } },
    vocab: 201088,
    denseParams: 2_127_557_952,
    denseBytes: 2 * 2_127_557_952,
    source: `GPT-OSS-120B preset (${CONFIG}; MoE weights released in MXFP4, block scales not counted)`,
  },
};

/** Other spellings that name the same preset. DeepSeek-R1 shares V3's architecture. */
const MODEL_ALIASES: Record<string, { id: string; name: string }> = {
  'deepseek-r1': { id: 'deepseek-v3', name: 'DeepSeek-R1' },
  mixtral: { id: 'mixtral-8x7b', name: 'Mixtral-8x7B' },
};

const DATASHEET = "NVIDIA's datasheet for the GPU";

export const GPU_PRESETS: Record<string, GpuPreset> = {
  'a100-80g': {
    id: 'a100-80g',
    name: 'A100 SXM 80GB',
    memoryBytes: 80e9,
    hbmBytesPerS: 2.04e12,
    flops: 312e12,
    nvlinkBytesPerS: 300e9,
    pcieBytesPerS: 32e9,
    pcieSource: `A100 host PCIe Gen4, 32 GB/s each way (${DATASHEET})`,
    source: `A100-80G preset (${DATASHEET})`,
  },
  'h100-sxm': {
    id: 'h100-sxm',
    name: 'H100 SXM5',
    memoryBytes: 80e9,
    hbmBytesPerS: 3.35e12,
    flops: 989e12,
    nvlinkBytesPerS: 450e9,
    pcieBytesPerS: 64e9,
    pcieSource: `H100 host PCIe Gen5, 64 GB/s each way (${DATASHEET})`,
    source: `H100-SXM preset (${DATASHEET})`,
  },
  h200: {
    id: 'h200',
    name: 'H200 SXM',
    memoryBytes: 141e9,
    hbmBytesPerS: 4.8e12,
    flops: 989e12,
    nvlinkBytesPerS: 450e9,
    pcieBytesPerS: 64e9,
    pcieSource: `H200 host PCIe Gen5, 64 GB/s each way (${DATASHEET})`,
    source: `H200 preset (${DATASHEET})`,
  },
  b200: {
    id: 'b200',
    name: 'B200',
    memoryBytes: 180e9,
    hbmBytesPerS: 8e12,
    flops: 2250e12,
    nvlinkBytesPerS: 900e9,
    pcieBytesPerS: 64e9,
    pcieSource: 'B200 host link unconfirmed in the datasheet: assumed PCIe Gen5, 64 GB/s each way',
    source: `B200 preset (${DATASHEET})`,
  },
};

const GPU_ALIASES: Record<string, string> = {
  a100: 'a100-80g',
  'a100-80gb': 'a100-80g',
  'a100-sxm': 'a100-80g',
  h100: 'h100-sxm',
  'h100-sxm5': 'h100-sxm',
  'h200-sxm': 'h200',
};

export function findModelPreset(word: string): { preset: ModelPreset; name: string } | undefined {
  const key = word.toLowerCase();
  const p = Object.hasOwn(MODEL_PRESETS, key) ? MODEL_PRESETS[key] : undefined;
  if (p) return { preset: p, name: p.name };
  const a = Object.hasOwn(MODEL_ALIASES, key) ? MODEL_ALIASES[key] : undefined;
  if (a) return { preset: MODEL_PRESETS[a.id], name: a.name };
  return undefined;
}

export function findGpuPreset(word: string): GpuPreset | undefined {
  const key = word.toLowerCase();
  if (Object.hasOwn(GPU_PRESETS, key)) return GPU_PRESETS[key];
  return Object.hasOwn(GPU_ALIASES, key) ? GPU_PRESETS[GPU_ALIASES[key]] : undefined;
}

export const MODEL_PRESET_NAMES = [...Object.keys(MODEL_PRESETS), ...Object.keys(MODEL_ALIASES)];
export const GPU_PRESET_NAMES = [...Object.keys(GPU_PRESETS), ...Object.keys(GPU_ALIASES)];

/** Parameters of one routed expert: gate, up and down projections, 3·d·f. */
export function expertParams(hidden: number, expertFfn: number): number {
  return 3 * hidden * expertFfn;
}
