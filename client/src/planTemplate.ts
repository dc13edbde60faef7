// The plan "moeplan: New Plan" opens: small, valid (a test runs `moeplan
// check` on it), and commented so that each line says what to change.
export const NEW_PLAN_TEMPLATE = `# A new moeplan plan: Mixtral-8x7B on two H100s.
# Save it as a .moeplan file; the lenses, hovers and the placement view
# (the graph button above) follow as you edit.
model mixtral-8x7b

gpu h100-sxm x 2

# Memory kept per GPU for attention weights, activations and the KV cache;
# what is left holds expert slots.
reserve 16 GiB per gpu

link nvlink 450 GB/s 1 us

workload {
  # A seeded synthetic workload; replace it with trace "routing.jsonl" to
  # plan for the routing your model really does (docs/traces.md).
  synthetic tokens 20000 seed 7 skew 1.0 concentration 0.6 topics 16
  batch 32 tokens
  phase decode output 256 tokens
}

placement {
  policy search 5 s
  seed 1
  replicas on
}
`;
