// Plans written by the protocol tests (small, quick to solve).

/** Mixtral on 4 GPUs with room for 3 experts each, synthetic routing, one committed layer. */
export function smallPlan(opts: { committed?: string; policy?: string; time?: string; tokens?: number; objective?: string } = {}): string {
  const committed =
    opts.committed ??
    `  layer 0 {
    gpu 0: 0 1
    gpu 1: 2 3
    gpu 2: 4 5
    gpu 3: 6 7
  }
`;
  return `# test plan
model mixtral-8x7b
gpu h100-sxm x 4
slots 3 per gpu
link nvlink 450 GB/s 1 us

workload {
  synthetic tokens ${opts.tokens ?? 4000} seed 7 skew 1.0 concentration 0.6 topics 4
  batch 16 tokens
  phase decode output 128 tokens
}

placement {
  policy ${opts.policy ?? 'greedy'}
  time ${opts.time ?? '2 s'}${opts.objective ? `\n  objective ${opts.objective}` : ''}
  pin expert 0 on gpu 0 layer 0
${committed}}
`;
}

/** Position (line, character) of the `n`-th occurrence of `needle` in `text`, plus `offset` characters. */
export function positionOf(text: string, needle: string, offset = 0, n = 0): { line: number; character: number } {
  let idx = -1;
  for (let i = 0; i <= n; i++) {
    idx = text.indexOf(needle, idx + 1);
    if (idx < 0) throw new Error(`'${needle}' not found`);
  }
  const before = text.slice(0, idx + offset);
  const line = before.split('\n').length - 1;
  return { line, character: before.length - before.lastIndexOf('\n') - 1 };
}
