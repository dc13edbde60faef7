// Outputs of the cost model.

export interface LayerEvaluation {
  /** E[T] in expert-time units over the full distribution. */
  expectedTime: number;
  /** P(T = t) for t = 0..maxT, index t. */
  tDistribution: number[];
  /** Expected number of tokens (of weight 1) each GPU serves, per token. */
  gpuLoad: number[];
  /** Expected activations of each expert per token (sums to k). */
  expertLoad: number[];
}

export interface OffloadComparison {
  /** PCIe offload time (T_P minus the shared base), µs. */
  offloadUs: number;
  /** Expert-parallel time (T_EP minus the shared base), µs. */
  expertParallelUs: number;
  /** γ < 1 favours offload, γ > 1 favours expert parallelism. */
  gamma: number;
  advice: 'offload' | 'expert-parallel';
  phase: 'prefill' | 'decode';
  tokens: number;
}
