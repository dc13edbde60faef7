// What plans mean: presets, units, slots, defaults with sources, refs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkText } from '../../server/src/plan/check';
import { GPU_PRESETS, MODEL_PRESETS, findModelPreset } from '../../server/src/plan/presets';
import { ALL_UNITS, lookupUnit } from '../../server/src/language/units';
import { EXAMPLES } from './plan-arbitraries';

const plan = (text: string) => {
  const r = checkText(text, '/plans/p.moeplan', { fileExists: () => true });
  assert.ok(r.plan, r.diagnostics.map((d) => d.message).join('\n'));
  return { plan: r.plan, diagnostics: r.diagnostics };
};

test('units convert to SI base units', () => {
  const cases: [string, number][] = [
    ['GiB', 2 ** 30],
    ['GB', 1e9],
    ['MiB', 2 ** 20],
    ['TB', 1e12],
    ['KiB', 1024],
    ['GB/s', 1e9],
    ['Gb/s', 1e9 / 8],
    ['TB/s', 1e12],
    ['GiB/s', 2 ** 30],
    ['us', 1e-6],
    ['µs', 1e-6],
    ['μs', 1e-6],
    ['ms', 1e-3],
    ['ns', 1e-9],
    ['min', 60],
    ['TFLOPS', 1e12],
    ['TFLOP/s', 1e12],
    ['PFLOPS', 1e15],
    ['%', 0.01],
    ['tokens', 1],
  ];
  for (const [u, f] of cases) assert.equal(lookupUnit(u)?.factor, f, u);
  assert.equal(lookupUnit('gib'), undefined, 'units are case-sensitive');
  assert.equal(new Set(ALL_UNITS.map((u) => u.text)).size, ALL_UNITS.length);
});

test('all nine model names resolve, with figures from the notes and a source', () => {
  const expected: Record<string, [number, number, number, number, number, number]> = {
    'mixtral-8x7b': [32, 8, 2, 4096, 14336, 176.2e6],
    'mixtral-8x22b': [56, 8, 2, 6144, 16384, 302.0e6],
    dbrx: [40, 16, 4, 6144, 10752, 198.2e6],
    'deepseek-v3': [58, 256, 8, 7168, 2048, 44.0e6],
    'deepseek-r1': [58, 256, 8, 7168, 2048, 44.0e6],
    'qwen3-235b-a22b': [94, 128, 8, 4096, 1536, 18.9e6],
    'qwen3-30b-a3b': [48, 128, 8, 2048, 768, 4.7e6],
    'olmoe-1b-7b': [16, 64, 8, 2048, 1024, 6.3e6],
    'gpt-oss-120b': [36, 128, 4, 2880, 2880, 24.9e6],
  };
  for (const [id, [layers, experts, k, d, f, params]] of Object.entries(expected)) {
    const { plan: p } = plan(`model ${id}\ngpu h200 x 64\noffload {}\n`);
    assert.equal(p.model.layers.value, layers, id);
    assert.equal(p.model.experts.value, experts, id);
    assert.equal(p.model.topK.value, k, id);
    assert.equal(p.model.hidden.value, d, id);
    assert.equal(p.model.expertFfn.value, f, id);
    assert.ok(Math.abs(3 * d * f - params) / params < 0.005, `${id} params/expert`);
    assert.match(p.model.layers.source, /preset/);
  }
  assert.equal(findModelPreset('DeepSeek-R1')?.name, 'DeepSeek-R1');
  assert.equal(Object.keys(MODEL_PRESETS).length, 8);
  const ds = plan('model deepseek-v3\ngpu h100 x 32 in 4 nodes\n').plan;
  assert.equal(ds.model.firstMoeLayer.value, 3);
  assert.equal(ds.model.totalLayers.value, 61);
  assert.deepEqual({ c: ds.model.groups?.count, t: ds.model.groups?.topGroups }, { c: 8, t: 4 });
  assert.equal(ds.model.bytesPerExpert.value, 3 * 7168 * 2048); // FP8: one byte per weight
  assert.equal(ds.hardware.gpusPerNode, 8);
});

test('GPU presets carry datasheet figures; links default from the preset and the notes', () => {
  assert.deepEqual(Object.keys(GPU_PRESETS).sort(), ['a100-80g', 'b200', 'h100-sxm', 'h200']);
  const { plan: p } = plan('model dbrx\ngpu a100-80g x 8\n');
  assert.equal(p.hardware.gpu.memoryBytes.value, 80e9);
  assert.equal(p.hardware.gpu.hbmBytesPerS.value, 2.04e12);
  assert.equal(p.hardware.gpu.flops.value, 312e12);
  assert.equal(p.hardware.nvlink.bytesPerS.value, 300e9);
  assert.match(p.hardware.nvlink.bytesPerS.source, /600 GB\/s both ways/);
  assert.equal(p.hardware.pcie.bytesPerS.value, 32e9);
  assert.equal(p.hardware.network.bytesPerS.value, 50e9);
  assert.equal(p.hardware.network.latencyS.value, 3e-6);
  assert.match(p.hardware.network.bytesPerS.source, /DeepEP/);
  const h = plan('model dbrx\ngpu h100 x 8\nlink network 400 Gb/s 5 us, pcie 55 GB/s\n').plan.hardware;
  assert.equal(h.network.bytesPerS.value, 50e9);
  assert.equal(h.network.latencyS.value, 5e-6);
  assert.match(h.network.bytesPerS.source, /line 3/);
  assert.equal(h.pcie.bytesPerS.value, 55e9);
});

test('slots per GPU follow from memory, reserve, layers and bytes per expert', () => {
  const { plan: p } = plan('model mixtral-8x7b\ngpu h100-sxm x 2\nreserve 16 GiB per gpu\n');
  const perSlot = 32 * 3 * 4096 * 14336 * 2;
  assert.deepEqual(p.hardware.slotsPerGpu, [Math.floor((80e9 - 16 * 2 ** 30) / perSlot), Math.floor((80e9 - 16 * 2 ** 30) / perSlot)]);
  assert.equal(p.hardware.slotsPerGpu[0], 5);
  assert.match(p.hardware.slotsSource, /floor/);
  const pct = plan('model mixtral-8x7b\ngpu h100-sxm x 2\nreserve 25%\n').plan;
  assert.equal(pct.hardware.reserveBytes.value, 20e9);
  const def = plan('model mixtral-8x7b\ngpu h100-sxm x 2\n').plan;
  assert.equal(def.hardware.reserveBytes.value, 8e9);
  assert.match(def.hardware.reserveBytes.source, /default/);
  const given = plan('model mixtral-8x7b\ngpu h100-sxm x 2\nslots 4 per gpu\n').plan;
  assert.deepEqual(given.hardware.slotsPerGpu, [4, 4]);
  assert.match(given.hardware.slotsSource, /line 3/);
});

test('slots are capped at the expert count', () => {
  const { plan: p } = plan('model qwen3-30b-a3b\ngpu h200 x 2\n');
  assert.deepEqual(p.hardware.slotsPerGpu, [128, 128]);
  assert.match(p.hardware.slotsSource, /capped at the 128 experts/);
  const r = checkText('model mixtral-8x7b\ngpu h200 x 2\nslots 12\n', '/p.moeplan');
  assert.deepEqual(r.plan!.hardware.slotsPerGpu, [8, 8]);
  assert.equal(r.diagnostics.find((d) => d.code === 'MP213')?.severity, 'information');
});

test('custom model and GPU from explicit fields', () => {
  const { plan: p } = plan(
    'model custom "Tiny" {\n  layers 4\n  experts 16\n  top-k 2\n  hidden 1024\n  expert-ffn 512\n  dtype fp8\n}\ngpu custom x 2 {\n  memory 24 GB\n  bandwidth 1 TB/s\n  compute 200 TFLOPS\n}\nslots 8\n',
  );
  assert.equal(p.model.name, 'Tiny');
  assert.equal(p.model.bytesPerExpert.value, 3 * 1024 * 512);
  assert.equal(p.hardware.gpu.memoryBytes.value, 24e9);
  assert.equal(p.hardware.gpu.flops.value, 200e12);
  const sized = plan('model mixtral-8x7b {\n  expert-size 300 MiB\n}\ngpu h100 x 2\n').plan;
  assert.equal(sized.model.bytesPerExpert.value, 300 * 2 ** 20);
});

test('workload and placement defaults, with sources', () => {
  const { plan: p, diagnostics } = plan('model dbrx\ngpu h200 x 4\n');
  assert.equal(p.workload.batch.value, 1);
  assert.equal(p.workload.phase.value, 'decode');
  assert.equal(p.workload.tokens.value, 256);
  assert.equal(p.workload.source?.kind, 'synthetic');
  assert.ok(diagnostics.some((d) => d.code === 'MP303' && d.severity === 'information'));
  assert.equal(p.placement.policy.value, 'greedy');
  assert.equal(p.placement.timeBudgetMs.value, 5000);
  assert.equal(p.placement.replicas, true);
  assert.equal(p.offload, undefined);
  // An offload block that names no policy pages with layer-aware LRU (docs/paging.md: it beat lru in 5 of 6 Mixtral cases).
  const o = plan('model mixtral-8x7b\ngpu h100-sxm x 1\nslots 4 per gpu\noffload {}\n').plan.offload;
  assert.deepEqual(o && [o.enabled, o.policy, o.prefetch], [true, 'layer-lru', false]);
  const named = plan('model mixtral-8x7b\ngpu h100-sxm x 1\nslots 4 per gpu\noffload {\n  policy lru\n}\n').plan.offload;
  assert.equal(named?.policy, 'lru');
  const q = plan(
    'model dbrx\ngpu h200 x 4\nworkload {\n  synthetic seed 9 tokens 500 concentration 40%\n  phase prefill 4096 tokens\n  batch 8\n}\nplacement {\n  policy greedy+search 2 s\n  pin expert 3 on gpu 1\n  forbid gpu 3 layer 2\n  max-copies 2\n}\n',
  ).plan;
  const s = q.workload.source;
  assert.ok(s && s.kind === 'synthetic');
  if (s.kind === 'synthetic') assert.deepEqual([s.seed, s.tokens, s.concentration], [9, 500, 0.4]);
  assert.equal(q.workload.phase.value, 'prefill');
  assert.equal(q.workload.tokens.value, 4096);
  assert.equal(q.placement.policy.value, 'search');
  assert.equal(q.placement.timeBudgetMs.value, 2000);
  assert.deepEqual(
    q.placement.pins.map((x) => [x.expert, x.gpu, x.layer]),
    [[3, 1, undefined]],
  );
  assert.deepEqual(
    q.placement.forbids.map((x) => [x.gpu, x.expert, x.layer]),
    [[3, undefined, 2]],
  );
  assert.equal(q.placement.maxCopies, 2);
});

test('committed layers resolve per layer, ranges expanded', () => {
  const ex = EXAMPLES.find((e) => e.name === 'mixtral-8x7b')!;
  const p = checkText(ex.text, ex.path).plan!;
  assert.deepEqual([...p.placement.committed.keys()].sort(), [0, 1, 2]);
  assert.deepEqual(p.placement.committed.get(1)!.gpus, [
    [0, 1, 2, 3, 5],
    [1, 4, 5, 6, 7],
  ]);
  assert.equal(p.placement.committed.get(2)!.gpuRanges.length, 2);
});

test('refs cover presets, fields, layers, GPUs, experts and traces', () => {
  const ex = EXAMPLES.find((e) => e.name === 'mixtral-8x7b')!;
  const text = ex.text.replace('  synthetic tokens 20000 seed 7 skew 1.0 concentration 0.6 topics 16', '  trace "t.jsonl"');
  const p = checkText(text, ex.path, { fileExists: () => true }).plan!;
  const kinds = new Set(p.refs.map((r) => r.kind));
  for (const k of ['preset', 'field', 'layer', 'gpu', 'expert', 'trace']) assert.ok(kinds.has(k as never), k);
  const lines = text.split('\n');
  const e5 = p.refs.find((r) => r.kind === 'expert' && r.expert === 5 && r.layer === 0 && r.gpu === 0)!;
  assert.equal(lines[e5.range.start.line].slice(e5.range.start.character, e5.range.end.character), '5');
  const preset = p.refs.find((r) => r.kind === 'preset' && r.presetKind === 'gpu')!;
  assert.equal(lines[preset.range.start.line].slice(preset.range.start.character, preset.range.end.character), 'h100-sxm');
  assert.ok(p.refs.some((r) => r.kind === 'field' && r.path === 'model'));
  assert.ok(p.refs.some((r) => r.kind === 'field' && r.path === 'workload.batch'));
});
