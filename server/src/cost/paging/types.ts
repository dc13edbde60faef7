// Types of the expert-paging simulators: what a replay needs (the hardware
// figures, the cache layout per GPU) and what it reports (per-layer counters).
import { PAGING_POLICY, type PagingPolicy } from '../../plan/vocabulary';

export type { PagingPolicy };

/** Every policy the simulators know, in the order they are reported: the vocabulary's. */
export const PAGING_POLICIES: readonly PagingPolicy[] = PAGING_POLICY.words;

/** Hardware figures a replay needs, SI units (bytes, bytes/s, FLOP, FLOP/s, s). */
export interface PagingHardware {
  /** Bytes of one routed expert of one layer. */
  bytesPerExpert: number;
  /** FLOP to run one token through one expert (2 × parameters). */
  flopsPerTokenPerExpert: number;
  /** GPU memory bandwidth: a memory-bound expert costs bytesPerExpert / hbm. */
  hbmBytesPerS: number;
  /** Dense FLOP/s of the GPU. */
  flops: number;
  /** Host → GPU link, one direction. */
  pcieBytesPerS: number;
  /** Fixed cost of one transfer (driver, DMA set-up). */
  pcieLatencyS: number;
}

/** How the replay is set up. Expert-layer ids are `layer * experts + expert`. */
export interface ReplayConfig {
  policy: PagingPolicy;
  /** Expert-layer slots of each GPU (a slot holds one expert of one layer). */
  capacity: number[];
  /** Owner GPU of each expert-layer id (length layers × experts); default: GPU 0. */
  owner?: Int32Array;
  /** 1 for expert-layers pinned on their owner GPU (never evicted, always hits). */
  pinned?: Uint8Array;
  /** Model prefetch of the next layer's likely experts while a layer computes. */
  prefetch: boolean;
  /**
   * Per layer, expert ids most likely first: the prefetch order. Default: by
   * how often the replayed sequence uses them (the workload's statistics).
   */
  prefetchOrder?: Int32Array[];
  /** At most this many prefetches per GPU per step (default: mean accesses per GPU per step). */
  prefetchLimit?: number;
  /**
   * Prefetch only experts used in at least this share of their layer's steps
   * (default 0.5: more likely than not). A wrong guess holds the link while
   * the next layer's misses wait, so unlikely experts are not worth it.
   */
  prefetchMinShare?: number;
  hardware: PagingHardware;
}

/** Counters of one replay, per layer (index = MoE layer). */
export interface ReplayResult {
  policy: PagingPolicy;
  tokens: number;
  steps: number;
  layers: number;
  /** Accesses served from GPU memory (pinned or cached), per layer. */
  hits: Float64Array;
  /** Accesses that had to wait for a transfer from host memory, per layer. */
  misses: Float64Array;
  /** Bytes moved over PCIe into the layer's experts (demand + prefetch). */
  bytes: Float64Array;
  /** Prefetched experts, by the layer they belong to. */
  prefetches: Float64Array;
  /** Prefetched experts that were used before being evicted. */
  prefetchHits: Float64Array;
  /** Seconds spent in each layer's steps (slowest GPU of each step). */
  timeS: Float64Array;
  /** Seconds the same steps would take with every expert resident. */
  residentTimeS: Float64Array;
  /** Misses that could not be cached because every slot was in use by the step. */
  bypasses: number;
  /** Wall-clock milliseconds the replay took. */
  ms: number;
}

/** A setting that makes paging impossible to simulate, with what to do about it. */
export class PagingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PagingError';
  }
}
