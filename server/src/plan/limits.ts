// The largest plans moeplan reads, in one place: the checker reports a value
// past a limit (MP116) and the what-if flags of `moeplan solve` are held to
// the same limits, so no flag can ask for what no plan may say.

export const LIMITS = {
  /** GPUs in a plan (and nodes): 4,096 covers the largest published expert-parallel deployments many times over. */
  gpus: 4096,
  /** Expert slots per GPU (more than any model's experts; slots past the expert count stay empty). */
  slotsPerGpu: 1 << 20,
  /** Tokens per step. */
  batchTokens: 1 << 24,
  /** Tokens per request (`serve` `context`): 16M, past any model's context window. */
  contextTokens: 1 << 24,
  /** Synthetic tokens, whatever the model. */
  syntheticTokens: 1e8,
  /**
   * Expert draws of the synthetic generator (tokens × MoE layers × top-k):
   * it draws about 5 million a second on one core and keeps every distinct
   * subset, so 2^25 is about 7 s and a few hundred megabytes at most
   * (DeepSeek-V3: 72,000 tokens; Mixtral: 524,000).
   */
  syntheticDraws: 2 ** 25,
} as const;
