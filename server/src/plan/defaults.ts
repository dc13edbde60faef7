// Values a plan gets when it does not say, each with the reason shown in
// hovers and docs/language.md.

export const DEFAULTS = {
  /** Fraction of GPU memory kept for dense weights, KV cache and activations. */
  reserveFraction: {
    value: 0.1,
    source: "default: 10% of GPU memory (as vLLM's gpu-memory-utilization 0.9 leaves); set `reserve … per gpu` for your KV cache and dense weights",
  },
  /** Memory per GPU a `serve` block keeps for activations, CUDA graphs and allocator slack. */
  activationFraction: {
    value: 0.1,
    source:
      "default: 10% of GPU memory (what vLLM's default gpu-memory-utilization 0.9 leaves outside weights and KV cache); set `activations … per gpu` in `serve`",
  },
  /** Tokens per request (prompt and output) when a `serve` block names no context. */
  context: { value: 4096, source: 'default: 4,096 tokens per request (prompt and output); set `context N tokens` in `serve`' },
  nvlinkLatencyS: { value: 1e-6, source: 'default: 1 µs NVLink latency (assumed; set `link nvlink … <latency>`)' },
  pcieLatencyS: { value: 2e-6, source: 'default: 2 µs PCIe latency (assumed; set `link pcie … <latency>`)' },
  network: {
    bytesPerS: 50e9,
    source: 'default: 50 GB/s, DeepEP measured inter-node RDMA (43–58 GB/s, one 400 Gb/s NIC per GPU; github.com/deepseek-ai/DeepEP)',
  },
  networkLatencyS: { value: 3e-6, source: 'default: 3 µs RDMA latency (assumed; set `link network … <latency>`)' },
  batch: { value: 1, source: 'default: one token per step (the single-token model of Beaumont et al., Euro-Par 2025)' },
  phase: { value: 'decode' as const, source: 'default: decode' },
  decodeTokens: { value: 256, source: 'default: 256 output tokens' },
  prefillTokens: { value: 2048, source: 'default: 2048 prompt tokens' },
  policy: { value: 'greedy' as const, source: 'default: greedy (the copy-by-largest-gain heuristic of Beaumont et al.)' },
  objective: {
    value: 'latency' as const,
    source: "default: latency — expected µs per MoE layer at the plan's batch under its dispatch rule",
  },
  dispatch: {
    value: 'static' as const,
    source: "default: static — SGLang's copy choice whenever an expert placement is loaded (`--ep-dispatch-algorithm static`)",
  },
  mix: { value: 'mean' as const, source: 'default: mean — the workloads mixed by weight' },
  maxRegression: { value: 0.05, source: 'default: 5% — a regression larger than this fails `moeplan check`' },
  timeBudgetMs: { value: 5000, source: 'default: 5 s solver time budget' },
  seed: 1,
  replicas: true,
  synthetic: { tokens: 20000, seed: 1, skew: 1.0, concentration: 0.5, topics: 16 },
  /**
   * Paging policy of an `offload` block that names none: layer-aware LRU beat
   * plain LRU in 5 of the 6 Mixtral trace cases of docs/paging.md.
   */
  offloadPolicy: 'layer-lru' as const,
  prefetch: false,
};
