// The three examples' exports, read as each engine's loader reads them with
// the flags the export prints; the figures in those flags; the warnings; and
// shell quoting checked against a real POSIX shell.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { analyzePlan } from '../../server/src/analysis/index';
import { main } from '../../server/src/cli/main';
import { committedPlacements, exportPlan, EXPORT_FORMATS } from '../../server/src/export/index';
import { shellQuote } from '../../server/src/export/launch';
import { exportAdvice } from '../../server/src/export/warnings';
import { checkText } from '../../server/src/plan/check';
import type { Plan } from '../../server/src/plan/types';
import { loadAsEngine, type Ok } from './engine-loaders';

const ROOT = join(__dirname, '..', '..');
let dir: string;
const examples = new Map<string, { plan: Plan; placements: number[][][] }>();

function planOf(text: string, file: string): Plan {
  const r = checkText(text, file);
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message),
    [],
  );
  assert.ok(r.plan);
  return r.plan;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'moeplan-engines-'));
  for (const name of ['mixtral-8x7b', 'dbrx', 'deepseek-v3']) {
    const file = join(ROOT, 'examples', `${name}.moeplan`);
    const plan = planOf(readFileSync(file, 'utf8'), file);
    let placements = committedPlacements(plan);
    // A short budget: any valid placement the solver returns must load; its quality is not under test here.
    if (!placements) placements = (await analyzePlan(plan, { sweeps: false, timeBudgetMs: 1500 })).layers.map((l) => l.placement);
    examples.set(name, { plan, placements });
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

function exported(name: string, format: (typeof EXPORT_FORMATS)[number]): Ok {
  const { plan, placements } = examples.get(name)!;
  const r = exportPlan(plan, placements, format, join(dir, `${name}.${format === 'trtllm' ? 'yaml' : 'json'}`));
  assert.ok(r.ok, `${name} ${format}: ${!r.ok ? r.error : ''}`);
  return r;
}

/**
 * The engine's slices mean the plan's placement: the same experts per GPU
 * (json exactly; SGLang and TensorRT-LLM may hold a second copy on a GPU
 * where the plan left a slot empty; vLLM-Ascend may hold extra experts there).
 */
function assertMeansPlacement(loaded: number[][][], placements: number[][][], format: string, label: string): void {
  assert.equal(loaded.length, placements.length, label);
  loaded.forEach((layer, l) =>
    layer.forEach((row, g) => {
      const want = placements[l][g];
      const where = `${label}, layer ${l}, GPU ${g}`;
      if (format === 'json') return assert.deepEqual(row, want, where);
      for (const e of want) assert.ok(row.includes(e), `${where}: expert ${e} missing`);
      if (format !== 'vllm-ascend')
        assert.deepEqual(
          [...new Set(row)].sort((a, b) => a - b),
          [...want].sort((a, b) => a - b),
          where,
        );
    }),
  );
}

test("the three examples' exports load in every engine with the printed flags and mean the plan's placement", () => {
  for (const name of examples.keys())
    for (const format of EXPORT_FORMATS) {
      const { plan, placements } = examples.get(name)!;
      assertMeansPlacement(loadAsEngine(format, exported(name, format), plan), placements, format, `${name} as ${format}`);
    }
});

test('DeepSeek-V3 (32 GPUs × up to 9 slots, 256 experts): the figures in the flags', () => {
  // The file holds as many slots per GPU as the fullest GPU of any layer uses (at most the plan's 9).
  const { placements } = examples.get('deepseek-v3')!;
  const slots = Math.max(...placements.flatMap((layer) => layer.map((gpu) => gpu.length)));
  assert.ok(slots >= 8 && slots <= 9, `${slots}`);
  const redundant = 32 * slots - 256;
  const sg = exported('deepseek-v3', 'sglang');
  assert.equal(sg.launch?.redundantExperts, redundant);
  assert.equal(sg.launch?.physicalExperts, 32 * slots);
  assert.equal(sg.launch?.flags, `--tp-size 32 --ep-size 32 --init-expert-location ${join(dir, 'deepseek-v3.json')} --ep-num-redundant-experts ${redundant}`);
  const doc = JSON.parse(sg.content) as { physical_to_logical_map: number[][] };
  assert.equal(doc.physical_to_logical_map.length, 61);
  assert.ok(doc.physical_to_logical_map.every((row) => row.length === 32 * slots));
  assert.match(sg.launch!.text, /on 4 nodes, run it on each node with --nnodes 4/);

  const va = exported('deepseek-v3', 'vllm-ascend');
  const config = JSON.parse(va.launch!.args[va.launch!.args.indexOf('--additional-config') + 1]) as unknown;
  assert.deepEqual(config, { eplb_config: { expert_map_path: join(dir, 'deepseek-v3.json'), num_redundant_experts: redundant } });

  const trt = exported('deepseek-v3', 'trtllm');
  assert.equal(trt.launch?.configEntry?.text, `moe_config:\n  backend: WIDEEP\n  load_balancer: ${join(dir, 'deepseek-v3.yaml')}\n`);
  assert.match(trt.content, /^ {2}3: \[/m);
  assert.match(trt.content, /^ {2}60: \[/m);
  assert.doesNotMatch(trt.content, /^ {2}(2|61): /m);
});

test('warnings and notes: models SGLang cannot place, the MTP layer, unused slots, unequal slots', () => {
  const mixtral = exported('mixtral-8x7b', 'sglang');
  assert.equal(mixtral.warnings.length, 1);
  assert.match(mixtral.warnings[0], /SGLang's MixtralForCausalLM .* does not take an expert placement/);
  assert.match(exported('dbrx', 'sglang').warnings.join('\n'), /DbrxForCausalLM/);
  assert.deepEqual(exported('deepseek-v3', 'sglang').warnings, []);
  // vLLM-Ascend warns only if the solver left slots empty (it fills them with copies the plan did not time).
  assert.deepEqual(
    exported('mixtral-8x7b', 'vllm-ascend').warnings.filter((w) => !/slots? the placement leaves empty/.test(w)),
    [],
  );
  assert.match(exported('deepseek-v3', 'trtllm').notes.join('\n'), /MTP layer as MoE layer 61.*add a line ' {2}61: \[\.\.\.\]'/);
  assert.doesNotMatch(exported('mixtral-8x7b', 'trtllm').notes.join('\n'), /MTP/);
  assert.match(exported('dbrx', 'vllm-ascend').notes.join('\n'), /Model Runner V1 only/);

  const { plan } = examples.get('mixtral-8x7b')!;
  const tight = { ...plan, hardware: { ...plan.hardware, slotsPerGpu: [6, 6] } };
  assert.match(
    exportAdvice(tight, 'sglang', 2, 5).notes.join('\n'),
    /room for 6 expert slots per GPU but the placement fills 5; the engine allocates 5 \(2 redundant experts\)/,
  );
  const unequal = { ...plan, hardware: { ...plan.hardware, slotsPerGpu: [6, 5] } };
  assert.match(exportAdvice(unequal, 'trtllm', 2, 5).warnings.join('\n'), /different slot counts \(1 GPU with 6, 1 GPU with 5\).*holds 5 per GPU/);
  const custom = planOf(
    'model custom "Mine" {\n  layers 2\n  experts 8\n  top-k 2\n  hidden 1024\n  expert-ffn 512\n}\ngpu h100 x 2\n',
    join(dir, 'c.moeplan'),
  );
  assert.match(exportAdvice(custom, 'sglang', 2, 4).notes.join('\n'), /does not know SGLang's model class for Mine/);
});

test('shell quoting: a POSIX shell reads every quoted word back unchanged', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme-ascii' }), (word) => {
      const printed = execFileSync('/bin/sh', ['-c', `printf '%s' ${shellQuote(word)}`], { encoding: 'utf8' });
      assert.equal(printed, word);
    }),
    { numRuns: 60 },
  );
  assert.equal(shellQuote('/a/b-c_d.json'), '/a/b-c_d.json');
  assert.equal(shellQuote("it's here.json"), `'it'\\''s here.json'`);
});

test('CLI: --json gives the flags as fields; with -o - the file goes to stdout and the flags to stderr', async () => {
  const plan = join(dir, 'cli.moeplan');
  const committed = readFileSync(join(ROOT, 'examples', 'mixtral-8x7b.moeplan'), 'utf8').replace(/policy search 5 s/, 'policy greedy 0.3 s');
  writeFileSync(plan, committed);
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t), cwd: dir };
  assert.equal(await main(['export', 'cli.moeplan', '--format', 'vllm-ascend', '--json'], io), 0, err.join(''));
  const doc = JSON.parse(out.join('')) as {
    file: string;
    format: string;
    layers: number;
    launch: { engine: string; epSize: number; redundantExperts: number; args: string[] };
    warnings: string[];
    notes: string[];
  };
  assert.equal(doc.file, join(dir, 'cli.vllm-ascend.json'));
  assert.equal(doc.layers, 32);
  assert.deepEqual([doc.launch.engine, doc.launch.epSize, doc.launch.redundantExperts], ['vLLM-Ascend', 2, 2]);
  assert.equal(JSON.parse(doc.launch.args[4]).eplb_config.num_redundant_experts, 2);
  assert.match(doc.notes.join('\n'), /Model Runner V1/);

  out.length = 0;
  err.length = 0;
  assert.equal(await main(['export', 'cli.moeplan', '--format', 'sglang', '-o', '-'], io), 0, err.join(''));
  assert.ok(out.join('').startsWith('{"physical_to_logical_map"'));
  assert.match(err.join(''), /--init-expert-location FILE --ep-num-redundant-experts 2/);
  assert.match(err.join(''), /warning: SGLang's MixtralForCausalLM/);
  assert.equal(await main(['export', 'cli.moeplan', '--format', 'sglang', '-o', '-', '--json'], io), 2);
});
