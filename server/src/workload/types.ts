// Routing statistics of one MoE layer: the exact empirical distribution of
// the expert subsets tokens activate.
import { shortQuotes } from '../language/diagnostic';

/** Distinct subsets of one layer with their counts. Subsets are sorted ids. */
export interface LayerDistribution {
  layer: number;
  /** Routed experts in the layer (ids are 0..experts-1). */
  experts: number;
  /** Experts per token (subset size). */
  k: number;
  /** Flat array of `count * k` expert ids: subset i is ids[i*k .. i*k+k). */
  ids: Int32Array;
  /** Weight (token count, or probability mass) of each subset; length = count. */
  weights: Float64Array;
  /** Number of distinct subsets. */
  count: number;
  /** Sum of weights. */
  total: number;
  /** Whether co-activation is real (false when synthesised from loads only). */
  coactivationKnown: boolean;
}

/** All layers of a workload, plus what we know about where it came from. */
export interface Workload {
  layers: LayerDistribution[];
  /** Human-readable description: "trace traces/x.jsonl (jsonl, 7,889 records)". */
  description: string;
  /** Notes shown to the user (e.g. "co-activation unknown: assumed independent"). */
  notes: string[];
  /** Token sequences per layer for replay (paging, batching), when available. */
  sequence?: TokenSequence;
  /** The workloads mixed into `layers`, when the plan names several (in plan order). */
  parts?: WorkloadPart[];
  /** The planning and held-out parts for the held-out figures (workload/split.ts)… */
  split?: HeldOutSplit;
  /** …or why the workload cannot be split (subset counts, inline subsets). */
  splitMissing?: string;
}

/** One of several workloads a plan mixes. */
export interface WorkloadPart {
  /** How the plan names it: the trace path as written, "synthetic seed 7", "inline subsets". */
  name: string;
  /** Its share of the mixture (the parts' shares sum to 1). */
  share: number;
  /** Its weight as the plan writes it. */
  weight: number;
  layers: LayerDistribution[];
  split?: HeldOutSplit;
  splitMissing?: string;
}

/** A workload cut into a planning part and a held-out part (workload/split.ts). */
export interface HeldOutSplit {
  by: 'request' | 'position' | 'mixed';
  /** One per MoE layer, in order: what the placement is planned on. */
  planning: LayerDistribution[];
  /** One per MoE layer: what it is scored on. */
  heldOut: LayerDistribution[];
  /** Said in the notes: "by request: the last 1 of 2 requests … held out, 48% of the token records". */
  description: string;
}

/**
 * Token-order routing, for simulations that depend on order (paging,
 * batching). tokens × layers × k expert ids, flat.
 */
export interface TokenSequence {
  tokens: number;
  layers: number;
  k: number;
  /** ids[(t * layers + l) * k + j] */
  ids: Int32Array;
}

/** How far the read of a trace file has come (for progress reports). */
export interface ReadProgress {
  file: string;
  bytesRead: number;
  totalBytes: number;
  /** Records (rows, tokens) read so far. */
  records: number;
  /** Since the read started, ms. */
  elapsedMs: number;
}

/** A problem in an input file, with its location. */
export class WorkloadError extends Error {
  // Set, not inferred: the analysis coordinator tells worker failures apart by name, and minified bundles rename classes.
  override name = 'WorkloadError';
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
  ) {
    // A message may echo a value from the file: at most an excerpt of it (a 5 MB field is not a 5 MB message).
    super(shortQuotes(line !== undefined ? `${file}:${line}: ${message}` : `${file}: ${message}`));
  }
}
