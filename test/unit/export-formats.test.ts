import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import YAML from 'yaml';
import { checkText } from '../../server/src/plan/check';
import type { Plan } from '../../server/src/plan/types';
import { exportPlan, committedPlacements, EXPORT_FORMATS } from '../../server/src/export/index';
import type { ExportFormat } from '../../server/src/protocol';
import { main } from '../../server/src/cli/main';
import { loadAsEngine, sglangFlags, sglangLoad, trtllmLoad, vllmAscendFlags, vllmAscendLoad, type Ok } from './engine-loaders';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'moeplan-export-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function planOf(text: string, name = 'p.moeplan'): Plan {
  const r = checkText(text, join(dir, name));
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(
    errors.map((d) => d.message),
    [],
  );
  assert.ok(r.plan);
  return r.plan;
}

// 4 MoE layers after 2 dense ones, 8 experts, 4 GPUs.
const tiny = `model custom "Tiny" {
  layers 4
  first-layer 2
  total-layers 6
  experts 8
  top-k 2
  hidden 1024
  expert-ffn 512
}
gpu h100 x 4 in 2 nodes
workload {
  synthetic tokens 500 seed 1
}
`;

function exported(plan: Plan, placements: number[][][], format: ExportFormat, target: string | undefined = join(dir, `out.${format}.json`)): Ok {
  const r = exportPlan(plan, placements, format, format === 'trtllm' && target ? target.replace(/\.json$/, '.yaml') : target);
  assert.ok(r.ok, `${format}: ${!r.ok ? r.error : ''}`);
  return r;
}

/** Random valid placements: every expert at least once, m per GPU, no duplicates on a GPU. */
const placementArb = (layers: number, gpus: number, experts: number, m: number) =>
  fc.array(
    fc
      .tuple(
        fc.array(fc.nat(), { minLength: experts, maxLength: experts }),
        fc.array(fc.nat({ max: experts - 1 }), { minLength: gpus * m, maxLength: gpus * m }),
      )
      .map(([perm, extra]) => {
        // a permutation fills the first `experts` slots round the GPUs; extra copies fill the rest where allowed
        const order = Array.from({ length: experts }, (_, e) => e).sort((a, b) => perm[a] - perm[b] || a - b);
        const p: number[][] = Array.from({ length: gpus }, () => []);
        order.forEach((e, i) => p[i % gpus].push(e));
        let x = 0;
        for (let g = 0; g < gpus; g++)
          while (p[g].length < m) {
            let e = extra[x++ % extra.length];
            while (p[g].includes(e)) e = (e + 1) % experts;
            p[g].push(e);
          }
        return p;
      }),
    { minLength: layers, maxLength: layers },
  );

test('every engine, loading the export with the printed flags, ends up with the planned experts on every rank', () => {
  const plan = planOf(tiny);
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 4 }).chain((m) => placementArb(4, 4, 8, m)),
      (placements) => {
        for (const f of EXPORT_FORMATS) assert.deepEqual(loadAsEngine(f, exported(plan, placements, f), plan), placements, f);
      },
    ),
    { numRuns: 30 },
  );
});

test('the oracles fail on what the engines reject: an ep_size key, redundancy left at 0, a missing layer', () => {
  const plan = planOf(tiny);
  const placements = Array.from({ length: 4 }, () => [
    [0, 1, 2],
    [3, 4, 5],
    [6, 7, 0],
    [1, 2, 3],
  ]);
  const moe = { moeLayerIds: [2, 3, 4, 5], experts: 8 };
  const trt = exported(plan, placements, 'trtllm');
  assert.throws(() => trtllmLoad(trt.content + 'ep_size: 4\n', moe, 4), /forbids the key 'ep_size'/);
  assert.throws(() => trtllmLoad(trt.content.replace(/^ {2}5: .*$/m, ''), moe, 4), /KeyError: layer_idx 5/);
  assert.throws(() => trtllmLoad(trt.content, moe, 5), /must be divisible by ep_size/);
  const sg = exported(plan, placements, 'sglang');
  const flags = sglangFlags(sg.launch!.args);
  assert.equal(flags.redundantExperts, 4);
  assert.throws(() => sglangLoad(sg.content, { totalLayers: 6, firstMoeLayer: 2, moeLayers: 4, experts: 8 }, { ...flags, redundantExperts: 0 }), /allocate 8/);
  const va = exported(plan, placements, 'vllm-ascend');
  const vf = vllmAscendFlags(va.launch!.args);
  assert.equal(vf.numRedundantExperts, 4);
  assert.throws(() => vllmAscendLoad(va.content, { moeLayers: 4, experts: 8 }, { ...vf, numRedundantExperts: 0 }), /EPLB local expert capacity mismatch/);
});

test("TensorRT-LLM's own YAML (sorted keys, flow lists, no ep_size) loads with the EP size taken from the plan", () => {
  const plan = planOf(tiny);
  // Written by PyYAML as NVIDIA's generate_eplb_config.py writes it (test/fixtures/engines/make_trtllm_yaml.py).
  const nvidia = readFileSync(join(__dirname, '../fixtures/engines/nvidia-style.trtllm.yaml'), 'utf8');
  assert.doesNotMatch(nvidia, /ep_size/);
  const got = trtllmLoad(nvidia, { moeLayerIds: [2, 3, 4, 5], experts: 8 }, plan.hardware.count);
  assert.deepEqual(got[0], [
    [0, 1, 2],
    [3, 4, 5],
    [6, 7, 0],
    [1, 2, 3],
  ]);
  assert.deepEqual(got[3], [
    [1, 0, 3],
    [2, 5, 4],
    [7, 6, 1],
    [0, 3, 2],
  ]);
  // moeplan's YAML means the same as NVIDIA's for the same placement.
  const ours = exported(plan, got, 'trtllm');
  assert.deepEqual(trtllmLoad(ours.content, { moeLayerIds: [2, 3, 4, 5], experts: 8 }, plan.hardware.count), got);
});

test('SGLang map: one row per model layer, dense rows trivial, slot p on rank p // slots', () => {
  const plan = planOf(tiny);
  const placements = Array.from({ length: 4 }, () => [
    [0, 1, 2],
    [3, 4, 5],
    [6, 7, 0],
    [1, 2, 3],
  ]);
  const r = exportPlan(plan, placements, 'sglang');
  assert.ok(r.ok);
  const doc = JSON.parse(r.content) as { physical_to_logical_map: number[][] };
  assert.deepEqual(Object.keys(doc), ['physical_to_logical_map']);
  assert.equal(doc.physical_to_logical_map.length, 6);
  assert.deepEqual(doc.physical_to_logical_map[0], [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3]);
  assert.deepEqual(doc.physical_to_logical_map[2], [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3]);
  assert.equal(r.fileName, 'p.sglang.json');
});

test('TensorRT-LLM YAML: only the three config keys, layers keyed by model layer index, EP size in a comment and the flags', () => {
  const plan = planOf(tiny);
  const placements = Array.from({ length: 4 }, () => [
    [0, 1],
    [2, 3],
    [4, 5],
    [6, 7],
  ]);
  const r = exported(plan, placements, 'trtllm');
  const doc = YAML.parse(r.content, { mapAsMap: true }) as Map<unknown, unknown>;
  assert.deepEqual([...doc.keys()].sort(), ['initial_global_assignments', 'layer_updates_per_iter', 'num_slots']);
  assert.equal(doc.get('num_slots'), 8);
  assert.equal(doc.get('layer_updates_per_iter'), 0);
  assert.deepEqual([...(doc.get('initial_global_assignments') as Map<number, number[]>).keys()], [2, 3, 4, 5]);
  assert.doesNotMatch(r.content, /^ep_size/m);
  assert.match(r.content, /^# Made for EP size 4 \(--ep_size 4\)/m);
  assert.deepEqual(r.launch?.args.slice(0, 4), ['--tp_size', '4', '--ep_size', '4']);
  assert.equal(r.launch?.redundantExperts, 0);
});

test('slots a placement leaves empty are filled as each engine allows; a GPU with no expert is refused; json keeps them', () => {
  const plan = planOf(tiny);
  const uneven = Array.from({ length: 4 }, () => [
    [0, 1, 2],
    [3, 4],
    [5, 6],
    [7, 0],
  ]);
  for (const f of ['sglang', 'trtllm', 'vllm-ascend'] as const) {
    const r = exported(plan, uneven, f);
    const loaded = loadAsEngine(f, r, plan);
    loaded.forEach((layer, l) =>
      layer.forEach((row, g) => {
        assert.equal(row.length, 3, `${f} layer ${l} GPU ${g}`);
        for (const e of uneven[l][g]) assert.ok(row.includes(e), `${f}: layer ${l} GPU ${g} keeps expert ${e}`);
        // SGLang and TensorRT-LLM: the filler is a second copy on the same GPU, so no token goes anywhere new.
        if (f !== 'vllm-ascend') assert.deepEqual([...new Set(row)].sort(), [...uneven[l][g]].sort());
      }),
    );
    const text = [...r.warnings, ...r.notes].join('\n');
    assert.match(text, /12 slots the placement leaves empty/, f);
    if (f === 'vllm-ascend') assert.match(r.warnings.join('\n'), /change where tokens go/);
  }
  const noExpert = Array.from({ length: 4 }, () => [[0, 1, 2, 3], [4, 5, 6, 7], [], [0]]);
  for (const f of ['sglang', 'trtllm', 'vllm-ascend'] as const) {
    const r = exportPlan(plan, noExpert, f);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.error : '', /places no expert on GPU 2.*--format json/);
  }
  const j = exported(plan, uneven, 'json');
  assert.deepEqual(loadAsEngine('json', j, plan), uneven);
});

test('invalid placements are refused for every format', () => {
  const plan = planOf(tiny);
  const base = () =>
    Array.from({ length: 4 }, () => [
      [0, 1],
      [2, 3],
      [4, 5],
      [6, 7],
    ]);
  const missing = base();
  missing[2][3] = [6, 6];
  const cases: [number[][][], RegExp][] = [
    [base().slice(0, 3), /3 layers but Tiny has 4 MoE layers/],
    [missing, /layer 2, GPU 3: expert 6 appears twice/],
    [
      base().map((l, i) =>
        i === 1
          ? [
              [0, 1],
              [2, 3],
              [4, 5],
              [6, 6 + 0],
            ].map((g, j) => (j === 3 ? [6] : g))
          : l,
      ),
      /layer 1: expert 7 has no copy/,
    ],
    [base().map((l) => l.map((g) => g.map((e) => (e === 7 ? 9 : e)))), /expert 9 does not exist/],
  ];
  for (const [p, re] of cases)
    for (const f of EXPORT_FORMATS) {
      const r = exportPlan(plan, p, f);
      assert.equal(r.ok, false, f);
      assert.match(!r.ok ? r.error : '', re);
    }
});

test('committed placements are taken when every layer is committed', () => {
  const partial = planOf(tiny + 'placement {\n  layer 0..2 {\n    gpu 0: 0 1\n    gpu 1: 2 3\n    gpu 2: 4 5\n    gpu 3: 6 7\n  }\n}\n');
  assert.equal(committedPlacements(partial), undefined);
  const full = planOf(tiny + 'placement {\n  layer 0..3 {\n    gpu 0: 0 1\n    gpu 1: 2 3\n    gpu 2: 4 5\n    gpu 3: 6 7\n  }\n}\n');
  assert.deepEqual(committedPlacements(full)?.[3], [
    [0, 1],
    [2, 3],
    [4, 5],
    [6, 7],
  ]);
});

test('CLI: export of a committed plan, atomically, next to the plan or with -o', async () => {
  const text = tiny + 'placement {\n  layer 0..3 {\n    gpu 0: 0 1\n    gpu 1: 2 3\n    gpu 2: 4 5\n    gpu 3: 6 7\n  }\n}\n';
  const planPath = join(dir, 'cli.moeplan');
  writeFileSync(planPath, text);
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t), cwd: dir };
  assert.equal(await main(['export', 'cli.moeplan', '--format', 'trtllm'], io), 0, err.join(''));
  const written = readFileSync(join(dir, 'cli.trtllm.yaml'), 'utf8');
  assert.deepEqual(trtllmLoad(written, { moeLayerIds: [2, 3, 4, 5], experts: 8 }, 4)[0], [
    [0, 1],
    [2, 3],
    [4, 5],
    [6, 7],
  ]);
  assert.match(out.join(''), /TensorRT-LLM launch arguments for this file \(EP size 4, 2 slots per GPU = 8 physical experts for 8, 0 redundant\)/);
  assert.match(out.join(''), new RegExp(`load_balancer: ${join(dir, 'cli.trtllm.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.equal(await main(['export', 'cli.moeplan', '--format=sglang', '-o', 'x/../out.json'], io), 0, err.join(''));
  assert.ok(readFileSync(join(dir, 'out.json'), 'utf8').startsWith('{"physical_to_logical_map"'));
  assert.ok(!readdirSync(dir).some((f) => f.endsWith('.tmp')));
  out.length = 0;
  assert.equal(await main(['export', 'cli.moeplan', '--format', 'json', '-o', '-'], io), 0);
  assert.equal((JSON.parse(out.join('')) as { layers: unknown[] }).layers.length, 4);
  // usage errors
  assert.equal(await main(['export', 'cli.moeplan'], io), 2);
  assert.equal(await main(['export', 'cli.moeplan', '--format', 'onnx'], io), 2);
  assert.equal(await main(['export', '--format', 'json'], io), 2);
  assert.equal(await main(['export', 'nope.moeplan', '--format', 'json'], io), 2);
});

test('CLI: an engine that cannot hold the placement exits 1 with the reason', async () => {
  const text = tiny + 'placement {\n  layer 0..3 {\n    gpu 0: 0 1 2 3\n    gpu 1: 4 5 6 7\n    gpu 2: 0\n  }\n}\n';
  writeFileSync(join(dir, 'uneven.moeplan'), text);
  const err: string[] = [];
  const io = { out: () => {}, err: (t: string) => void err.push(t), cwd: dir };
  assert.equal(await main(['export', 'uneven.moeplan', '--format', 'sglang'], io), 1);
  assert.match(err.join(''), /cannot export as sglang: SGLang gives every GPU the same expert slots, but layer 0 places no expert on GPU 3/);
});

test('CLI: without a committed placement the plan is solved first, then exported', async () => {
  const text = `model custom "Tiny" {
  layers 2
  experts 8
  top-k 2
  hidden 1024
  expert-ffn 512
}
gpu h100 x 2
workload {
  synthetic tokens 500 seed 1
}
placement {
  policy greedy 0.2 s
}
`;
  writeFileSync(join(dir, 'solve.moeplan'), text);
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t), cwd: dir };
  assert.equal(await main(['export', 'solve.moeplan', '--format', 'vllm-ascend', '-o', '-'], io), 0, err.join(''));
  const placements = (JSON.parse(out.join('')) as { layer_list: { device_list: { device_expert: number[] }[] }[] }).layer_list.map((l) =>
    l.device_list.map((d) => d.device_expert),
  );
  assert.equal(placements.length, 2);
  for (const layer of placements) {
    assert.equal(layer.length, 2);
    // every expert placed, no expert twice on one GPU
    assert.deepEqual(
      [...new Set(layer.flat())].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
    for (const gpu of layer) assert.equal(new Set(gpu).size, gpu.length);
  }
});
