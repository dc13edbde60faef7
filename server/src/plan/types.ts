// The resolved plan: what a .moeplan file means, in SI units (bytes,
// bytes per second, seconds, FLOP/s), with every figure's source recorded so
// hovers and docs can say where a number came from.
import type { Range } from '../language/ast';
import type { DispatchRule, DType, MixRule, ObjectiveName, PagingPolicy, PolicyName, TraceFormat } from './vocabulary';

// The word types are defined by the vocabulary (one list each).
export type { DispatchRule, DType, MixRule, ObjectiveName, PagingPolicy, PolicyName, TraceFormat };

/** Where a figure came from: a preset's datasheet, the plan text, or a default. */
export interface Sourced<T> {
  value: T;
  source: string;
  /** Where the plan sets it, when it does. */
  range?: Range;
}

export interface ModelSpec {
  /** Display name, e.g. "DeepSeek-V3". */
  name: string;
  /** Preset id used, e.g. "deepseek-v3", when any. */
  preset?: string;
  /** MoE layers (the layers that have routed experts). */
  layers: Sourced<number>;
  /** Index of the first MoE layer among all model layers (DeepSeek-V3: 3). */
  firstMoeLayer: Sourced<number>;
  /** All transformer layers, dense ones included (SGLang's export needs it). */
  totalLayers: Sourced<number>;
  experts: Sourced<number>;
  sharedExperts: Sourced<number>;
  topK: Sourced<number>;
  hidden: Sourced<number>;
  expertFfn: Sourced<number>;
  weightDtype: Sourced<DType>;
  activationDtype: Sourced<DType>;
  /** Bytes of one routed expert's weights in one layer (3·d·f·bytes unless given). */
  bytesPerExpert: Sourced<number>;
  /** Routing groups (DeepSeek-V3: 8 groups, top-4 groups); undefined if none. */
  groups?: { count: number; topGroups: number; range?: Range };
  /** The KV cache and attention shape; undefined when a custom model gives none. */
  kv?: KvSpec;
  /** Weights outside the routed and shared experts (every GPU holds them: data-parallel attention). */
  dense?: DenseSpec;
}

/**
 * What one token of context costs in KV cache, and what decode reads and
 * computes per token attended (docs/cost-model.md §7).
 */
export interface KvSpec {
  kind: 'gqa' | 'mla';
  /** Query heads. */
  heads: Sourced<number>;
  /** GQA: key/value heads and head dim; MLA: latent and RoPE key dims. */
  kvHeads?: Sourced<number>;
  headDim?: Sourced<number>;
  latent?: Sourced<number>;
  rope?: Sourced<number>;
  dtype: Sourced<DType>;
  /** Attention layers whose cache grows with the context (all layers unless some slide). */
  fullLayers: number;
  /** Layers whose cache holds at most `window` tokens (sliding-window attention). */
  slidingLayers: number;
  window: number;
  /** Cache bytes of one token in one layer. */
  bytesPerTokenLayer: number;
  /** Cache bytes per token of context: fullLayers × bytesPerTokenLayer. */
  bytesPerToken: Sourced<number>;
  /** FLOPs one query token spends per layer per cached token it attends to. */
  flopsPerTokenLayer: number;
}

export interface DenseSpec {
  params: Sourced<number>;
  bytes: Sourced<number>;
  /** Vocabulary size (the input embedding, vocab × hidden, is gathered, not read whole). */
  vocab: Sourced<number>;
}

export interface GpuSpec {
  /** Preset id or "custom". */
  type: string;
  name: string;
  memoryBytes: Sourced<number>;
  hbmBytesPerS: Sourced<number>;
  /** Dense BF16 FLOP/s. */
  flops: Sourced<number>;
}

export interface LinkSpec {
  bytesPerS: Sourced<number>;
  latencyS: Sourced<number>;
}

export interface HardwareSpec {
  gpu: GpuSpec;
  count: number;
  nodes: number;
  gpusPerNode: number;
  nvlink: LinkSpec;
  network: LinkSpec;
  pcie: LinkSpec;
  /** Memory kept for dense weights, KV cache, activations, per GPU. */
  reserveBytes: Sourced<number>;
  /** Expert slots per GPU, per layer (same in every MoE layer). Length = count. */
  slotsPerGpu: number[];
  /** How the slots were obtained. */
  slotsSource: string;
  range?: Range;
}

export interface SyntheticSpec {
  kind: 'synthetic';
  tokens: number;
  seed: number;
  /** Popularity skew: lognormal sigma of expert popularity (0 = uniform). */
  skew: number;
  /** Co-activation concentration in [0,1]: how strongly latent topics group experts. */
  concentration: number;
  /** Number of latent topics. */
  topics: number;
  /** Share when several workloads are mixed (relative; default 1). */
  weight?: number;
  range?: Range;
}

/**
 * Names under which a trace holds its fields, when not one of the usual
 * names: a JSONL field (a dotted path reaches into objects, e.g.
 * "routing.ids") or a Parquet column (for expert ids, a list column or the
 * prefix of one column per rank, NAME_0 … NAME_{k−1}).
 */
export interface TraceFields {
  layer?: string;
  experts?: string;
  request?: string;
  position?: string;
}

export interface TraceSpec {
  kind: 'trace';
  /** Path as written, relative to the plan: a file, a folder, or a glob of files. */
  path: string;
  /** Absolute path (of the file, the folder, or the glob pattern). */
  absPath: string;
  /**
   * The files to read when `absPath` names a folder or a glob, already
   * listed (the language server lists them through its trust check); the
   * loader lists them itself when absent (workload/traceFiles.ts).
   */
  files?: string[];
  format?: TraceFormat;
  fields?: TraceFields;
  /** Share when several workloads are mixed (relative; default 1). */
  weight?: number;
  range?: Range;
}

export interface InlineSubsetsSpec {
  kind: 'inline';
  /** layer → list of (experts, weight); layer -1 means "every layer". */
  layers: Map<number, { experts: number[]; weight: number; range?: Range }[]>;
  /** Share when several workloads are mixed (relative; default 1). */
  weight?: number;
  range?: Range;
}

export type WorkloadSource = SyntheticSpec | TraceSpec | InlineSubsetsSpec;

/**
 * `drift "FILE" max-regression 5%`: a newer trace the committed placement is
 * checked against (moeplan check, and a diagnostic in the editor).
 */
export interface DriftSpec {
  path: string;
  absPath: string;
  /** Its files, already listed (by the language server's trust check), when it names a folder or glob. */
  files?: string[];
  format?: TraceFormat;
  /** Largest regression allowed, as a fraction (0.05 = 5%). */
  maxRegression: Sourced<number>;
  range?: Range;
}

export interface WorkloadSpec {
  /** The first of `sources` (the only one in most plans). */
  source?: WorkloadSource;
  /** Every workload source, in plan order; several are mixed by weight (`mix`). Read it with sourcesOf() (plans built by hand may set `source` only). */
  sources?: WorkloadSource[];
  /** How several workloads make one objective: their weighted mean, or the worst relative to its own best (default mean). */
  mix?: Sourced<MixRule>;
  drift?: DriftSpec;
  /** Tokens per step. */
  batch: Sourced<number>;
  phase: Sourced<'prefill' | 'decode'>;
  /** N_t for prefill (prompt tokens) or the output length for decode. */
  tokens: Sourced<number>;
  /** Keep at most this many distinct subsets per layer (most frequent first). */
  maxSubsets?: number;
}

export interface PinConstraint {
  expert: number;
  gpu: number;
  /** undefined = every layer */
  layer?: number;
  range?: Range;
}

export interface ForbidConstraint {
  gpu: number;
  /** undefined = the GPU holds no expert */
  expert?: number;
  layer?: number;
  range?: Range;
}

export interface CommittedLayer {
  layer: number;
  /** GPU index → expert ids. */
  gpus: number[][];
  range?: Range;
  /** Range of each `gpu N:` statement, by GPU index. */
  gpuRanges: (Range | undefined)[];
}

export interface PlacementSpec {
  policy: Sourced<PolicyName>;
  objective: Sourced<ObjectiveName>;
  dispatch: Sourced<DispatchRule>;
  timeBudgetMs: Sourced<number>;
  seed: number;
  replicas: boolean;
  maxCopies?: number;
  pins: PinConstraint[];
  forbids: ForbidConstraint[];
  /** Committed assignments by layer (checked, not recomputed). */
  committed: Map<number, CommittedLayer>;
  range?: Range;
  /** Range of the placement block's `}`-1 line, where new layers are inserted. */
  insertAt?: Range;
}

/**
 * The serving target of a `serve` block: context per request, a latency
 * target, and the memory kept for activations (docs/language.md).
 */
export interface ServeSpec {
  /** Tokens per request, prompt and output together. */
  context: Sourced<number>;
  /** Time per output token (decode) or to the first token (prefill), seconds; undefined = none. */
  targetS?: Sourced<number>;
  /** Bytes per GPU kept for activations, CUDA graphs and allocator slack. */
  activationBytes: Sourced<number>;
  range?: Range;
}

export interface OffloadSpec {
  enabled: boolean;
  policy: PagingPolicy;
  prefetch: boolean;
  range?: Range;
}

/** A place in the plan text that names something; hovers and go-to use these. */
export type PlanRef =
  | { kind: 'expert'; expert: number; layer?: number; gpu?: number; range: Range }
  | { kind: 'gpu'; gpu: number; layer?: number; range: Range }
  | { kind: 'layer'; layer: number; range: Range }
  | { kind: 'field'; path: string; range: Range }
  | { kind: 'preset'; presetKind: 'model' | 'gpu'; id: string; range: Range }
  | { kind: 'trace'; absPath: string; range: Range };

export interface Plan {
  /** Absolute path of the plan file (or a URI string in the editor). */
  file: string;
  model: ModelSpec;
  hardware: HardwareSpec;
  workload: WorkloadSpec;
  placement: PlacementSpec;
  offload?: OffloadSpec;
  /** The `serve` block (or what-if flags): the capacity sweep runs when present. */
  serve?: ServeSpec;
  refs: PlanRef[];
}
