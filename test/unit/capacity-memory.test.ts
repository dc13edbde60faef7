// KV cache per token for every preset against figures worked out by hand
// from the models' public configs; the memory of a GPU split into dense
// weights, shared experts, slots, activations and KV cache adds up to the
// GPU's memory; the serve block, its what-if flags and MP214–MP216.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkText } from '../../server/src/plan/check';
import { GPU_PRESETS, MODEL_PRESETS } from '../../server/src/plan/presets';
import { kvBytesPerRequest, memoryPerGpu, requestsThatFit, maxSlotsForOneRequest } from '../../server/src/plan/memory';
import { applyOverrides } from '../../server/src/analysis/overrides';
import { attentionStep, servingShapeOf, meanDecodeLength } from '../../server/src/cost/serving';
import type { Plan } from '../../server/src/plan/types';

const FILE = '/plans/p.moeplan';
const check = (text: string) => checkText(text, FILE, { fileExists: () => true });

function planOf(text: string): Plan {
  const r = check(text);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(
    errors.map((d) => d.message),
    [],
  );
  assert.ok(r.plan);
  return r.plan;
}

// layers × (2 × kv heads × head dim, or latent + rope) × 2 bytes (bf16).
const KV_BY_HAND: Record<string, number> = {
  'mixtral-8x7b': 32 * 8 * 128 * 2 * 2, // 131,072
  'mixtral-8x22b': 56 * 8 * 128 * 2 * 2, // 229,376
  dbrx: 40 * 8 * 128 * 2 * 2, // 163,840
  'deepseek-v3': (512 + 64) * 61 * 2, // 70,272
  'qwen3-235b-a22b': 94 * 4 * 128 * 2 * 2, // 192,512
  'qwen3-30b-a3b': 48 * 4 * 128 * 2 * 2, // 98,304
  'olmoe-1b-7b': 16 * 16 * 128 * 2 * 2, // 131,072
  'gpt-oss-120b': 18 * 8 * 64 * 2 * 2, // 36,864: the 18 full-attention layers; the other 18 slide over 128 tokens
};

test('KV bytes per token of every preset are the hand-computed figures', () => {
  assert.deepEqual(Object.keys(KV_BY_HAND).sort(), Object.keys(MODEL_PRESETS).sort());
  assert.equal(KV_BY_HAND['mixtral-8x7b'], 131_072);
  assert.equal(KV_BY_HAND['deepseek-v3'], 70_272);
  for (const [id, bytes] of Object.entries(KV_BY_HAND)) {
    const plan = planOf(`model ${id}\ngpu h200 x 8\n`);
    assert.equal(plan.model.kv?.bytesPerToken.value, bytes, id);
    assert.match(plan.model.kv!.bytesPerToken.source, new RegExp(bytes.toLocaleString('en-US')), id);
  }
});

test('an FP8 cache halves the bytes per token; a sliding window caps a request at its window', () => {
  assert.equal(planOf('model deepseek-v3 {\n  kv-dtype fp8\n}\ngpu h200 x 32\n').model.kv?.bytesPerToken.value, 35_136);
  const oss = planOf('model gpt-oss-120b\ngpu h100-sxm x 4\n').model.kv!;
  // 4,096 tokens in 18 full layers, and 128 in each of 18 sliding ones (2 × 8 × 64 × 2 B per token per layer).
  assert.equal(kvBytesPerRequest(oss, 4096), 4096 * 36_864 + 18 * 128 * 2048);
  assert.equal(kvBytesPerRequest(oss, 100), 100 * 36_864 + 18 * 100 * 2048);
});

test('model custom: grouped-query, multi-head and latent attention fields; both kinds at once is MP216', () => {
  const base = 'layers 4\n  experts 8\n  top-k 2\n  hidden 1024\n  expert-ffn 2048';
  const gqa = planOf(`model custom {\n  ${base}\n  heads 16\n  kv-heads 4\n  head-dim 64\n}\ngpu h100-sxm x 2\n`).model.kv!;
  assert.equal(gqa.bytesPerToken.value, 4 * 2 * 4 * 64 * 2);
  const mha = planOf(`model custom {\n  ${base}\n  heads 16\n}\ngpu h100-sxm x 2\n`).model.kv!;
  assert.equal(mha.kvHeads?.value, 16);
  assert.equal(mha.headDim?.value, 1024 / 16);
  const mla = planOf(`model custom {\n  ${base}\n  heads 8\n  kv-latent 256\n  kv-rope 32\n  kv-dtype fp8\n}\ngpu h100-sxm x 2\n`).model.kv!;
  assert.equal(mla.kind, 'mla');
  assert.equal(mla.bytesPerToken.value, 4 * (256 + 32));
  assert.equal(planOf(`model custom {\n  ${base}\n}\ngpu h100-sxm x 2\n`).model.kv, undefined);
  const both = check(`model custom {\n  ${base}\n  kv-heads 4\n  kv-latent 256\n}\ngpu h100-sxm x 2\n`).diagnostics;
  assert.ok(both.some((d) => d.code === 'MP216' && d.severity === 'error'));
  // A preset's field overridden, the rest kept.
  assert.equal(planOf('model mixtral-8x7b {\n  kv-heads 4\n}\ngpu h100-sxm x 2\n').model.kv?.bytesPerToken.value, 32 * 4 * 128 * 2 * 2);
});

test('dense weights: the preset figures match the public parameter counts', () => {
  // Experts + dense = the models' published totals.
  const total = (id: string) => {
    const m = MODEL_PRESETS[id];
    return m.layers * (m.experts + m.sharedExperts) * 3 * m.hidden * m.expertFfn + m.denseParams;
  };
  assert.equal(total('mixtral-8x7b'), 46_702_792_704);
  assert.equal(total('deepseek-v3'), 671_026_419_200);
  assert.equal(total('qwen3-30b-a3b'), 30_532_122_624);
  const ds = planOf('model deepseek-v3\ngpu h100-sxm x 32\n').model.dense!;
  assert.equal(ds.bytes.value, 16_524_127_232); // FP8 projections, BF16 embeddings
  assert.equal(planOf('model mixtral-8x7b\ngpu h100-sxm x 2\n').model.dense!.bytes.value, 2 * 1_605_636_096);
});

test('memory per GPU: dense + shared + slots + activations + KV cache add up to the GPU memory', () => {
  const models = Object.keys(MODEL_PRESETS);
  const gpus = Object.keys(GPU_PRESETS);
  fc.assert(
    fc.property(
      fc.constantFrom(...models),
      fc.constantFrom(...gpus),
      fc.integer({ min: 1, max: 64 }),
      fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: 0, max: 30 }),
      fc.integer({ min: 1, max: 1 << 17 }),
      (model, gpu, count, slots, activationsPct, context) => {
        // Too few GPUs for the experts is an error of its own (MP208); the memory model still holds.
        const plan = check(`model ${model}\ngpu ${gpu} x ${count}\nserve {\n  context ${context} tokens\n  activations ${activationsPct}%\n}\n`).plan!;
        const m = memoryPerGpu(plan, slots);
        const sum = m.denseBytes + m.sharedBytes + m.expertBytes + m.activationBytes + m.kvBytes;
        assert.ok(Math.abs(sum - m.totalBytes) <= 1e-6 * m.totalBytes, `${sum} vs ${m.totalBytes}`);
        assert.equal(m.totalBytes, GPU_PRESETS[gpu].memoryBytes);
        assert.equal(m.activationBytes, (GPU_PRESETS[gpu].memoryBytes * activationsPct) / 100);
        assert.equal(m.expertBytes, slots * plan.model.layers.value * plan.model.bytesPerExpert.value);
        const kv = plan.model.kv!;
        assert.ok(m.kvTokens * kv.bytesPerToken.value <= Math.max(0, m.kvBytes));
        assert.ok((m.kvTokens + 1) * kv.bytesPerToken.value > m.kvBytes);
        const n = requestsThatFit(kv, m.kvBytes, context);
        assert.ok(n * kvBytesPerRequest(kv, context) <= Math.max(0, m.kvBytes));
        assert.ok((n + 1) * kvBytesPerRequest(kv, context) > m.kvBytes);
        // The most slots that leave one request is exactly where the room runs out.
        const max = maxSlotsForOneRequest(plan, context);
        if (max >= 0 && max < plan.model.experts.value) {
          assert.ok(memoryPerGpu(plan, max).kvBytes >= kvBytesPerRequest(kv, context));
          assert.ok(memoryPerGpu(plan, max + 1).kvBytes < kvBytesPerRequest(kv, context));
        }
      },
    ),
    { numRuns: 200 },
  );
});

test('the Mixtral example on 2 × H100: 4 slots leave about 180k tokens of KV cache per GPU', () => {
  const plan = planOf('model mixtral-8x7b\ngpu h100-sxm x 2\nserve {\n  context 4096 tokens\n}\n');
  const m = memoryPerGpu(plan, 4);
  // 80 GB − 3.21 GB dense − 4 × 11.27 GB slots − 8 GB activations = 23.7 GB; / 131,072 B.
  assert.equal(m.kvBytes, 80e9 - 3_211_272_192 - 4 * 32 * 352_321_536 - 8e9);
  assert.equal(m.kvTokens, Math.floor(m.kvBytes / 131_072));
  assert.equal(requestsThatFit(plan.model.kv!, m.kvBytes, 4096), Math.floor(m.kvBytes / (4096 * 131_072)));
});

test('serve block: context, target and activations read with units; defaults say so', () => {
  const p = planOf('model mixtral-8x7b\ngpu h100-sxm x 2\nserve {\n  context 8192 tokens\n  target 40 ms per token\n  activations 6 GiB per gpu\n}\n');
  assert.equal(p.serve?.context.value, 8192);
  assert.equal(p.serve?.targetS?.value, 0.04);
  assert.equal(p.serve?.activationBytes.value, 6 * 2 ** 30);
  const d = planOf('model mixtral-8x7b\ngpu h100-sxm x 2\nserve {\n}\n');
  assert.equal(d.serve?.context.value, 4096);
  assert.equal(d.serve?.targetS, undefined);
  assert.match(d.serve!.activationBytes.source, /default: 10%/);
  const bad = check('model mixtral-8x7b\ngpu h100-sxm x 2\nserve {\n  target 40 GB\n  context 0\n}\n').diagnostics;
  assert.ok(bad.some((x) => x.code === 'MP115'));
  assert.ok(bad.some((x) => x.code === 'MP116'));
});

test('MP214: memory that leaves no room for one request, with each part and the fix; MP215 without a KV shape', () => {
  const full = check('model mixtral-8x7b\ngpu h100-sxm x 2\nslots 6 per gpu\nserve {\n  context 65536 tokens\n}\n').diagnostics.find((d) => d.code === 'MP214');
  assert.ok(full, 'MP214');
  assert.equal(full.severity, 'warning');
  assert.match(full.message, /dense weights .* \+ 6 expert slots .* \+ activations/);
  assert.match(full.message, /one request of 65,536 tokens needs 8 GiB of KV cache \(131,072 B per token\)/);
  assert.match(full.message, /kv-dtype fp8/);
  assert.equal(full.range.start.line, 2, 'on the slots line');
  // Fewer slots leave room: no warning.
  assert.equal(
    check('model mixtral-8x7b\ngpu h100-sxm x 2\nslots 4 per gpu\nserve {\n  context 65536 tokens\n}\n').diagnostics.some((d) => d.code === 'MP214'),
    false,
  );
  // Without a serve block, no capacity question is asked.
  assert.equal(
    check('model mixtral-8x7b\ngpu h100-sxm x 2\nslots 6 per gpu\n').diagnostics.some((d) => d.code === 'MP214'),
    false,
  );
  const custom = check(
    'model custom {\n  layers 4\n  experts 8\n  top-k 2\n  hidden 1024\n  expert-ffn 2048\n}\ngpu h100-sxm x 2\nserve {\n  context 4096 tokens\n}\n',
  ).diagnostics;
  assert.ok(custom.some((d) => d.code === 'MP215'));
});

test('--context and --target make a serve block when the plan has none, and override the plan’s', () => {
  const plan = planOf('model mixtral-8x7b\ngpu h100-sxm x 2\n');
  assert.equal(plan.serve, undefined);
  const o = applyOverrides(plan, { context: 2048, targetS: 0.05 });
  assert.equal(o.serve?.context.value, 2048);
  assert.equal(o.serve?.targetS?.value, 0.05);
  assert.match(o.serve!.context.source, /--context 2048/);
  const p = planOf('model mixtral-8x7b\ngpu h100-sxm x 2\nserve {\n  context 8192 tokens\n  target 40 ms\n}\n');
  const q = applyOverrides(p, { targetS: 0.1 });
  assert.equal(q.serve?.context.value, 8192);
  assert.equal(q.serve?.targetS?.value, 0.1);
});

test('a decode step outside the MoE layers reads the dense weights and each request’s KV cache, by hand', () => {
  const plan = planOf('model mixtral-8x7b\ngpu h100-sxm x 2\nworkload {\n  phase decode output 256 tokens\n}\nserve {\n  context 4096 tokens\n}\n');
  const shape = servingShapeOf(plan);
  assert.equal(meanDecodeLength(shape), 4096 - 128);
  const a = attentionStep(plan, shape, 16);
  const denseRead = 2 * 1_605_636_096 - 2 * 32000 * 4096; // the input embedding is gathered, not read
  const kvRead = 16 * (4096 - 128) * 131_072;
  assert.equal(a.readBytes, denseRead + kvRead);
  // Memory-bound: bytes / 3.35 TB/s.
  assert.equal(a.s, (denseRead + kvRead) / 3.35e12);
  assert.ok(a.flops / 989e12 < a.s);
});
