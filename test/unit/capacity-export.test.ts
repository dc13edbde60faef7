// Export names the serving flags of a plan with a `serve` block: the batch
// as requests running at once (per engine: over all ranks for SGLang, per
// attention-DP rank for TensorRT-LLM, the tensor-parallel group for
// vLLM-Ascend), data-parallel attention and an FP8 cache when the model has
// one; the flags still load as the engines read them; no flags without one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import { checkText } from '../../server/src/plan/check';
import { exportPlan } from '../../server/src/export/index';
import { sglangFlags, trtllmFlags } from './engine-loaders';
import type { Plan } from '../../server/src/plan/types';

function planOf(text: string): Plan {
  const r = checkText(text, '/plans/serve.moeplan', { fileExists: () => true });
  assert.ok(r.plan, JSON.stringify(r.diagnostics));
  return r.plan;
}

const TEXT = (extra: string) => `model mixtral-8x7b${extra.includes('kv-dtype') ? ' {\n  kv-dtype fp8\n}' : ''}
gpu h100-sxm x 2
slots 4 per gpu
workload {
  synthetic tokens 2000 seed 3
  batch 88 tokens
  phase decode output 256 tokens
}
${extra.includes('serve') ? 'serve {\n  context 4096 tokens\n  target 50 ms per token\n}\n' : ''}`;

/** One copy per expert, 4 per GPU, every layer. */
function placements(plan: Plan): number[][][] {
  const gpus = [
    [0, 1, 2, 3],
    [4, 5, 6, 7],
  ];
  return Array.from({ length: plan.model.layers.value }, () => gpus.map((g) => [...g]));
}

test('a serving plan exports its batch as the engines’ running-request limits, with data-parallel attention', () => {
  const plan = planOf(TEXT('serve'));
  const sglang = exportPlan(plan, placements(plan), 'sglang', '/out/map.json');
  assert.ok(sglang.ok && sglang.launch);
  const a = sglang.launch.args;
  assert.deepEqual(a.slice(a.indexOf('--enable-dp-attention')), ['--enable-dp-attention', '--dp-size', '2', '--max-running-requests', '88']);
  assert.equal(sglangFlags(a).redundantExperts, 0);
  assert.match(sglang.launch.text, /88 running requests \(44 per GPU\)/);

  const trt = exportPlan(plan, placements(plan), 'trtllm', '/out/lb.yaml');
  assert.ok(trt.ok && trt.launch?.configEntry);
  assert.equal(trt.launch.args[trt.launch.args.indexOf('--max_batch_size') + 1], '44');
  const options = YAML.parse(trt.launch.configEntry.text);
  assert.equal(options.enable_attention_dp, true);
  assert.equal(trtllmFlags(trt.launch.args, trt.launch.configEntry.text).epSize, 2);

  const vllm = exportPlan(plan, placements(plan), 'vllm-ascend', '/out/map.json');
  assert.ok(vllm.ok && vllm.launch);
  assert.equal(vllm.launch.args[vllm.launch.args.indexOf('--max-num-seqs') + 1], '88');
  assert.match(vllm.launch.text, /data-parallel attention \(--data-parallel-size 2 --tensor-parallel-size 1\), where --max-num-seqs is per rank: 44/);
});

test('an FP8 cache is passed on; without a serve block no serving flag is added', () => {
  const fp8 = planOf(TEXT('serve kv-dtype'));
  const s = exportPlan(fp8, placements(fp8), 'sglang', '/out/map.json');
  assert.ok(s.ok && s.launch);
  assert.deepEqual(s.launch.args.slice(-2), ['--kv-cache-dtype', 'fp8_e4m3']);
  const t = exportPlan(fp8, placements(fp8), 'trtllm', '/out/lb.yaml');
  assert.ok(t.ok && t.launch?.configEntry);
  assert.equal(YAML.parse(t.launch.configEntry.text).kv_cache_config.dtype, 'fp8');
  const plain = planOf(TEXT(''));
  for (const format of ['sglang', 'trtllm', 'vllm-ascend'] as const) {
    const r = exportPlan(plain, placements(plain), format, '/out/x');
    assert.ok(r.ok && r.launch);
    assert.ok(!r.launch.args.some((x) => /max-running|max_batch|max-num-seqs|dp-attention/.test(x)), r.launch.flags);
  }
});
