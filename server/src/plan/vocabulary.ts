// The words of the plan language, written once: the keywords of each block
// (with what completion shows for them), the words their arguments take
// (policies, dtypes, links, phases, trace formats, on/off) with the other
// spellings the resolver accepts, the words that shape a statement (`x`,
// `per gpu`, `on gpu`), and the units completion offers after a number.
//
// Who reads it: the resolver (its keyword handler tables are typed by these
// keywords, so a keyword here without a meaning there is a type error), the
// completion and semantic tokens of the language server, the server's
// settings, the webview's policy labels and the CLI's help. `npm run build`
// writes the TextMate grammar's word patterns and package.json's enums from
// it (scripts/contributions.ts); test/unit/vocabulary.test.ts fails when the
// committed files drift. Preset names live with their figures in presets.ts.
//
// This module imports nothing at run time, so any bundle (the webview too)
// may read it.
import type { UnitKind } from '../language/units';

/** One word an argument may take. */
export interface WordInfo {
  /** One line for completion, settings and help. */
  detail: string;
  /** Other spellings the resolver reads as this word (lower case). */
  aliases?: readonly string[];
  /** How charts and tables name it, when not the word itself. */
  label?: string;
}

/** A closed set of words, in display order, with their aliases. */
export interface WordSet<W extends string> {
  readonly words: readonly W[];
  readonly info: Readonly<Record<W, WordInfo>>;
  /** Alias → word. */
  readonly aliases: Readonly<Record<string, W>>;
  has(word: string): word is W;
}

function wordSet<W extends string>(info: Record<W, WordInfo>): WordSet<W> {
  const words = Object.keys(info) as W[];
  const aliases: Record<string, W> = {};
  for (const w of words) for (const a of info[w].aliases ?? []) aliases[a] = w;
  const known = new Set<string>(words);
  return { words, info, aliases, has: (word: string): word is W => known.has(word) };
}

// ---------------------------------------------------------------------------
// Argument words
// ---------------------------------------------------------------------------

/** `placement { policy … }` and the `--policy` flag; solve/index.ts implements each. */
export const POLICY = wordSet({
  contiguous: { detail: "vLLM's default `linear` map: expert i on GPU i // (n/G)", aliases: ['linear'] },
  'round-robin': { detail: "vLLM's `round_robin`: expert i on GPU i mod G", aliases: ['roundrobin', 'round_robin'] },
  eplb: {
    detail: "DeepSeek's EPLB: replicas by load, packed by load (ignores co-activation)",
    label: 'EPLB',
    aliases: ['deepseek', 'load-balanced', 'balanced'],
  },
  greedy: { detail: 'co-activation-aware greedy: each copy where it lowers E[T] most' },
  search: { detail: 'greedy, then local search from the better of greedy and EPLB', label: 'greedy + search', aliases: ['greedy+search', 'local-search'] },
  exact: { detail: 'branch and bound or an integer program; proves optimality on small layers', label: 'exact (IP)', aliases: ['ilp', 'milp', 'optimal'] },
});
export type PolicyName = (typeof POLICY.words)[number];

/** `placement { objective … }` and `--objective`: what the solvers minimise (docs/cost-model.md §3). */
export const OBJECTIVE = wordSet({
  latency: { detail: "expected µs per MoE layer at the plan's batch under its dispatch rule", aliases: ['step-time'] },
  'expected-time': { detail: 'E[T] of Beaumont et al.: batch 1, ideal copy choice', label: 'E[T]', aliases: ['expected', 'et'] },
});
export type ObjectiveName = (typeof OBJECTIVE.words)[number];

/** `placement { dispatch … }` and `--dispatch`: how the engine picks a copy per (token, expert) pair (cost/step/dispatch.ts). */
export const DISPATCH = wordSet({
  static: { detail: "SGLang's static dispatch: own GPU, then own node, else a fixed fair copy per GPU", aliases: ['sglang'] },
  random: { detail: "vLLM's replica choice: pair position mod copies, no locality", aliases: ['vllm'] },
  balanced: { detail: 'per step, each pair to the copy that least increases the step time (matching at batch 1)', aliases: ['matching'] },
});
export type DispatchRule = (typeof DISPATCH.words)[number];

/** `offload { policy … }`: how experts paged from host memory are evicted. */
export const PAGING_POLICY = wordSet({
  lru: { detail: 'least recently used expert, over all layers' },
  'layer-lru': { detail: 'least recently used, never the layers about to run', aliases: ['layer-aware', 'layerlru'] },
  belady: { detail: 'the expert used furthest in the future (an offline bound)', aliases: ['opt', 'optimal', 'min'] },
});
export type PagingPolicy = (typeof PAGING_POLICY.words)[number];

/** `trace "…" format …`: trace formats (detected from content when not given). */
export const TRACE_FORMAT = wordSet({
  jsonl: { detail: 'one JSON record per token', aliases: ['json'] },
  csv: { detail: 'CSV or TSV, one row per token', aliases: ['tsv'] },
  sglang: { detail: "SGLang's per-layer expert counts (logical_count)" },
  npy: { detail: 'NumPy array of expert ids', aliases: ['numpy'] },
  parquet: { detail: 'Parquet, one row per token and layer (a list column of expert ids, or one column per rank)', aliases: ['pq'] },
  trtllm: { detail: "TensorRT-LLM's expert statistics (meta_info.json + rank<r>.safetensors)" },
});
export type TraceFormat = (typeof TRACE_FORMAT.words)[number];

/** `trace "…" experts-field "…"` and the like: a trace's own name for a field (JSONL field or Parquet column). */
export const TRACE_FIELD_OPTIONS = {
  layer: { keyword: 'layer-field', detail: "the trace's name for the layer field", example: 'layer-field "moe_layer"' },
  experts: {
    keyword: 'experts-field',
    detail: "the trace's name for the expert ids (a dotted path reaches into objects)",
    example: 'experts-field "routing.ids"',
  },
  request: { keyword: 'request-field', detail: "the trace's name for the request id", example: 'request-field "conversation"' },
  position: { keyword: 'position-field', detail: "the trace's name for the token's position in its request", example: 'position-field "step"' },
} as const;
export type TraceFieldRole = keyof typeof TRACE_FIELD_OPTIONS;

/** `workload { mix … }`: how several workloads make one objective (docs/language.md, "Several workloads"). */
export const MIX = wordSet({
  mean: { detail: 'the weighted mean over the workloads (their routing mixed by weight)', aliases: ['average', 'weighted'] },
  worst: { detail: 'the worst workload, each relative to its own best placement', aliases: ['max', 'minimax', 'robust'] },
});
export type MixRule = (typeof MIX.words)[number];

/** `dtype` and `activation-dtype`; bytes per weight are in presets.ts. */
export const DTYPE = wordSet({
  fp32: { detail: '32-bit float', aliases: ['float32'] },
  bf16: { detail: 'bfloat16', aliases: ['bfloat16'] },
  fp16: { detail: '16-bit float', aliases: ['float16', 'half'] },
  fp8: { detail: '8-bit float' },
  int8: { detail: '8-bit integer' },
  int4: { detail: '4-bit integer' },
  fp4: { detail: "4-bit float (MXFP4's payload)", aliases: ['mxfp4'] },
});
export type DType = (typeof DTYPE.words)[number];

/** `link …`: the three kinds of link. */
export const LINK = wordSet({
  nvlink: { detail: 'GPU to GPU inside a node', aliases: ['nvl'] },
  network: { detail: 'between nodes (RDMA)', aliases: ['net', 'rdma', 'ib', 'infiniband', 'ethernet'] },
  pcie: { detail: 'GPU to host memory (offload)' },
});
export type LinkKind = (typeof LINK.words)[number];

/** `phase …`. */
export const PHASE = wordSet({
  prefill: { detail: 'prompt processing' },
  decode: { detail: 'token generation' },
});

/** `replicas`, `prefetch`, `enabled`. */
const TOGGLE = wordSet({
  on: { detail: 'on', aliases: ['yes', 'true'] },
  off: { detail: 'off', aliases: ['no', 'false'] },
});

/** Every argument word set, for the grammar and the drift test. */
export const WORD_SETS: readonly WordSet<string>[] = [POLICY, OBJECTIVE, DISPATCH, PAGING_POLICY, TRACE_FORMAT, MIX, DTYPE, LINK, PHASE, TOGGLE];

// ---------------------------------------------------------------------------
// Keywords
// ---------------------------------------------------------------------------

interface KeywordInfo {
  /** One line for completion. */
  detail: string;
  /** Snippet inserted after the keyword (LSP snippet syntax), when useful. */
  snippet?: string;
  /** May be written more than once in its block. */
  repeatable?: boolean;
  /** The words its first argument takes (after `,` too for `link`). */
  values?: WordSet<string>;
  /** Units a number in it may carry, as completion offers them. */
  units?: readonly UnitKind[];
  /** Words that shape the statement (`x`, `in … nodes`, `per gpu`), highlighted as keywords. */
  words?: readonly string[];
  /** Named options that may follow, each with its own value. */
  options?: Readonly<Record<string, { detail: string; values?: WordSet<string> }>>;
}

interface ContextInfo {
  /** How diagnostics name the place. */
  name: string;
  keywords: Readonly<Record<string, KeywordInfo>>;
}

const gpuCount = ['x', 'in', 'nodes', 'node'];
const perGpu = ['per', 'gpu'];
const expertOnGpu = ['expert', 'on', 'gpu', 'layer'];
const WEIGHT_OPTION = { detail: 'share of this workload when several are mixed (relative; default 1)' };
const SUBSET: KeywordInfo = { detail: 'top-k experts and their weight', snippet: 'subset ${1:0 1}: ${2:30%}', repeatable: true };

/**
 * Keywords by the block they are written in: `top` (the file), a block's
 * keyword, or `subsets-layer` for a `layer { … }` inside `subsets` (a
 * `layer` inside `placement` holds `gpu` lines instead).
 */
export const CONTEXTS = {
  top: {
    name: 'top-level',
    keywords: {
      model: { detail: 'model preset or custom block', snippet: 'model ${1:mixtral-8x7b}' },
      gpu: { detail: 'GPU type, count and nodes', snippet: 'gpu ${1:h100-sxm} x ${2:8}', words: gpuCount },
      reserve: {
        detail: 'memory kept per GPU for dense weights and KV cache',
        snippet: 'reserve ${1:40} GiB per gpu',
        units: ['bytes', 'percent'],
        words: perGpu,
      },
      slots: { detail: 'expert slots per GPU per layer (instead of reserve)', snippet: 'slots ${1:4} per gpu', words: perGpu },
      link: {
        detail: 'link bandwidth and latency (nvlink, network, pcie)',
        snippet: 'link ${1|nvlink,network,pcie|} ${2:450} GB/s ${3:1} us',
        repeatable: true,
        values: LINK,
        units: ['bandwidth', 'time'],
      },
      workload: { detail: 'routing statistics, batch, phase', snippet: 'workload {\n\t$0\n}' },
      placement: { detail: 'policy, constraints, committed layers', snippet: 'placement {\n\tpolicy ${1:search}\n\t$0\n}' },
      offload: { detail: 'page experts from host memory', snippet: 'offload {\n\tpolicy ${1|layer-lru,lru,belady|}\n}' },
      serve: {
        detail: 'context and latency target: how many replica slots, at what batch',
        snippet: 'serve {\n\tcontext ${1:4096} tokens\n\ttarget ${2:50} ms per token\n}',
      },
    },
  },
  model: {
    name: '`model`',
    keywords: {
      layers: { detail: 'MoE layers' },
      'first-layer': { detail: 'index of the first MoE layer among all layers' },
      'total-layers': { detail: 'all transformer layers, dense included' },
      experts: { detail: 'routed experts per layer' },
      'shared-experts': { detail: 'shared experts per layer' },
      'top-k': { detail: 'experts per token' },
      hidden: { detail: 'hidden size d' },
      'expert-ffn': { detail: 'expert intermediate size f' },
      dtype: { detail: 'weight dtype', values: DTYPE },
      'expert-size': { detail: 'bytes per expert per layer (overrides 3·d·f·dtype)', units: ['bytes'] },
      'activation-dtype': { detail: 'activation dtype', values: DTYPE },
      groups: { detail: 'routing groups and groups kept per token', snippet: 'groups ${1:8} top ${2:4}', words: ['top'] },
      heads: { detail: 'attention (query) heads' },
      'kv-heads': { detail: 'key/value heads (grouped-query attention)' },
      'head-dim': { detail: 'dimension of one attention head' },
      'kv-latent': { detail: 'KV latent dimension (multi-head latent attention, DeepSeek)' },
      'kv-rope': { detail: 'decoupled RoPE key dimension (multi-head latent attention)' },
      'kv-dtype': { detail: 'KV cache dtype (default bf16)', values: DTYPE },
      'dense-params': { detail: 'parameters outside the experts: attention, dense layers, embeddings' },
      vocab: { detail: 'vocabulary size' },
    },
  },
  gpu: {
    name: '`gpu`',
    keywords: {
      memory: { detail: 'GPU memory', units: ['bytes'] },
      bandwidth: { detail: 'HBM bandwidth', units: ['bandwidth'] },
      compute: { detail: 'dense BF16 FLOP/s', units: ['compute'] },
      name: { detail: 'display name', snippet: 'name "${1}"' },
    },
  },
  workload: {
    name: '`workload`',
    keywords: {
      trace: {
        detail: 'trace file, folder or glob of files, relative to the plan; repeat for several workloads',
        snippet: 'trace "${1}"',
        repeatable: true,
        options: {
          format: { detail: 'trace format (detected when not given)', values: TRACE_FORMAT },
          'layer-field': { detail: TRACE_FIELD_OPTIONS.layer.detail },
          'experts-field': { detail: TRACE_FIELD_OPTIONS.experts.detail },
          'request-field': { detail: TRACE_FIELD_OPTIONS.request.detail },
          'position-field': { detail: TRACE_FIELD_OPTIONS.position.detail },
          weight: WEIGHT_OPTION,
        },
      },
      synthetic: {
        detail: 'seeded synthetic routing',
        snippet: 'synthetic tokens ${1:20000} seed ${2:1} skew ${3:1.0} concentration ${4:0.6} topics ${5:16}',
        repeatable: true,
        options: {
          tokens: { detail: 'tokens generated' },
          seed: { detail: 'random seed' },
          skew: { detail: 'Zipf exponent of expert popularity' },
          concentration: { detail: 'share of a token’s experts drawn from its topic' },
          topics: { detail: 'number of topics (co-activation clusters)' },
          weight: WEIGHT_OPTION,
        },
      },
      subsets: { detail: 'inline subset probabilities', snippet: 'subsets {\n\t$0\n}', repeatable: true, options: { weight: WEIGHT_OPTION } },
      mix: { detail: 'how several workloads make one objective', values: MIX },
      drift: {
        detail: 'a newer trace the committed placement is checked against (moeplan check)',
        snippet: 'drift "${1}" max-regression ${2:5}%',
        options: {
          'max-regression': { detail: 'largest regression allowed against a fresh solve on the newer trace' },
          format: { detail: 'trace format (detected when not given)', values: TRACE_FORMAT },
        },
      },
      batch: { detail: 'tokens per step', snippet: 'batch ${1:64} tokens', units: ['tokens'] },
      phase: {
        detail: 'prefill or decode',
        snippet: 'phase ${1|decode output 256 tokens,prefill 4096 tokens|}',
        values: PHASE,
        units: ['tokens'],
        words: ['output'],
      },
      'max-subsets': { detail: 'keep at most this many subsets per layer' },
    },
  },
  placement: {
    name: '`placement`',
    keywords: {
      policy: { detail: 'placement policy', values: POLICY, units: ['time'] },
      objective: { detail: 'what the solvers minimise', values: OBJECTIVE },
      dispatch: { detail: 'how the engine picks a copy per token', values: DISPATCH },
      time: { detail: 'solver time budget', snippet: 'time ${1:10} s', units: ['time'] },
      seed: { detail: 'solver seed' },
      replicas: { detail: 'allow extra copies of experts', snippet: 'replicas ${1|on,off|}', values: TOGGLE },
      'max-copies': { detail: 'at most this many copies of an expert' },
      pin: { detail: 'keep an expert on a GPU', snippet: 'pin expert ${1:0} on gpu ${2:0}', repeatable: true, words: expertOnGpu },
      forbid: { detail: 'keep an expert off a GPU, or a GPU empty', snippet: 'forbid expert ${1:0} on gpu ${2:0}', repeatable: true, words: expertOnGpu },
      layer: { detail: 'committed assignment (checked, not recomputed)', snippet: 'layer ${1:0} {\n\tgpu 0: $0\n}', repeatable: true },
    },
  },
  layer: {
    name: '`layer`',
    keywords: {
      gpu: { detail: 'experts on a GPU in this layer', snippet: 'gpu ${1:0}: $0', repeatable: true },
    },
  },
  serve: {
    name: '`serve`',
    keywords: {
      context: { detail: 'tokens per request, prompt and output', snippet: 'context ${1:4096} tokens', units: ['tokens'] },
      target: {
        detail: 'time per output token (decode) or to first token (prefill)',
        snippet: 'target ${1:50} ms per token',
        units: ['time'],
        words: ['per', 'token'],
      },
      activations: {
        detail: 'memory per GPU kept for activations and CUDA graphs (default 10%)',
        snippet: 'activations ${1:8} GiB per gpu',
        units: ['bytes', 'percent'],
        words: perGpu,
      },
    },
  },
  offload: {
    name: '`offload`',
    keywords: {
      policy: { detail: 'eviction policy', values: PAGING_POLICY },
      prefetch: { detail: 'prefetch the next layer’s experts', snippet: 'prefetch ${1|on,off|}', values: TOGGLE },
      enabled: { detail: 'turn paging off without removing the block', snippet: 'enabled ${1|on,off|}', values: TOGGLE },
    },
  },
  subsets: {
    name: '`subsets`',
    keywords: {
      subset: SUBSET,
      layer: { detail: 'per-layer subsets', snippet: 'layer ${1:0} {\n\t$0\n}', repeatable: true },
    },
  },
  'subsets-layer': {
    name: '`layer` in `subsets`',
    keywords: { subset: SUBSET },
  },
} as const satisfies Record<string, ContextInfo>;

export type Context = keyof typeof CONTEXTS;
/** The keywords of one context, as a type: the resolver's handler tables are keyed by it. */
export type KeywordOf<C extends Context> = keyof (typeof CONTEXTS)[C]['keywords'] & string;

export const CONTEXT_NAMES = Object.keys(CONTEXTS) as Context[];

/** The keywords of a context, in order, with their info. */
export function keywordsOf(context: string): Readonly<Record<string, KeywordInfo>> {
  return Object.hasOwn(CONTEXTS, context) ? CONTEXTS[context as Context].keywords : {};
}

/** The contexts a keyword may be written in. */
export function homesOf(keyword: string): Context[] {
  return CONTEXT_NAMES.filter((c) => Object.hasOwn(CONTEXTS[c].keywords, keyword));
}

// ---------------------------------------------------------------------------
// Units, as completion offers them (the full table with factors is language/units.ts)
// ---------------------------------------------------------------------------

/** Common spellings first; every one is a unit of that kind in language/units.ts (tested). */
export const SUGGESTED_UNITS: Readonly<Record<UnitKind, readonly string[]>> = {
  bytes: ['GiB', 'GB', 'MiB', 'MB', 'TiB'],
  bandwidth: ['GB/s', 'TB/s', 'Gb/s'],
  time: ['s', 'ms', 'us', 'ns', 'min'],
  compute: ['TFLOPS', 'PFLOPS'],
  percent: ['%'],
  tokens: ['tokens'],
};

/** Units completion offers after a number in `keyword`'s statement. */
export function unitsAfter(info: KeywordInfo | undefined): string[] {
  return (info?.units ?? []).flatMap((k) => SUGGESTED_UNITS[k]);
}

// ---------------------------------------------------------------------------
// Derived lists
// ---------------------------------------------------------------------------

/** Every word that shapes a statement or names an option: semantic tokens and the grammar show them as keywords. */
export function statementWords(): string[] {
  const out = new Set<string>();
  for (const c of CONTEXT_NAMES) {
    for (const info of Object.values(CONTEXTS[c].keywords) as KeywordInfo[]) {
      for (const w of info.words ?? []) out.add(w);
      for (const o of Object.keys(info.options ?? {})) out.add(o);
    }
  }
  return [...out];
}

/** Every argument word (not aliases): semantic tokens and the grammar show them as constants. */
export function valueWords(): string[] {
  return [...new Set(WORD_SETS.flatMap((s) => s.words))];
}

/** How charts and tables name a policy. */
export function policyLabel(policy: string): string {
  return POLICY.has(policy) ? (POLICY.info[policy].label ?? policy) : policy;
}
