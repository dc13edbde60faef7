// `moeplan check` and `moeplan fmt`, in-process through main(argv, io) and
// once through the bundled bin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../server/src/cli/main';
import { EXAMPLES, ROOT } from './plan-arbitraries';

async function run(argv: string[], cwd = ROOT) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t), cwd });
  return { code, out, err };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'moeplan-cli-'));
}

test('check: every example is clean (exit 0, no output)', async () => {
  const r = await run(['check', ...EXAMPLES.map((e) => `examples/${e.name}.moeplan`)]);
  assert.equal(r.code, 0, r.out + r.err);
  assert.equal(r.out, '');
});

test('check: errors print path:line:col: severity CODE: message and exit 1', async () => {
  const dir = tempDir();
  try {
    const text = EXAMPLES[0].text.replace('reserve 16 GiB per gpu', 'reserve 16 per gpu').replace('gpu 1: 1 3 5 6 7', 'gpu 4: 1 3 5 6 7');
    writeFileSync(join(dir, 'bad.moeplan'), text);
    const lines = text.split('\n');
    const r = await run(['check', 'bad.moeplan'], dir);
    assert.equal(r.code, 1);
    const reserveLine = lines.findIndex((l) => l.startsWith('reserve')) + 1;
    const gpuLine = lines.findIndex((l) => l.includes('gpu 4:')) + 1;
    assert.ok(r.out.includes(`bad.moeplan:${reserveLine}:9: error MP114: `), r.out);
    assert.ok(r.out.includes(`bad.moeplan:${gpuLine}:9: error MP403: `), r.out);
    for (const l of r.out.trim().split('\n')) assert.match(l, /^bad\.moeplan:\d+:\d+: (error|warning|information|hint) MP\d{3}: .+/);
    assert.match(r.err, /errors?, \d+ warnings? in 1 file/);
    const j = await run(['check', '--format', 'json', 'bad.moeplan'], dir);
    assert.equal(j.code, 1);
    const parsed = JSON.parse(j.out);
    assert.equal(parsed.files[0].path, 'bad.moeplan');
    const codes = parsed.files[0].diagnostics.map((d: { code: string }) => d.code);
    assert.ok(codes.includes('MP114') && codes.includes('MP403'));
    assert.equal(parsed.files[0].diagnostics.find((d: { code: string }) => d.code === 'MP114').line, reserveLine);
    // Warnings and information alone exit 0.
    writeFileSync(join(dir, 'warn.moeplan'), 'model dbrx\ngpu h200 x 4\nslots 9 per gpu\n');
    const w = await run(['check', 'warn.moeplan'], dir);
    assert.equal(w.code, 0);
    assert.match(w.out, /warning MP211/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('check: usage errors exit 2 with a clear message', async () => {
  const none = await run(['check']);
  assert.equal(none.code, 2);
  assert.match(none.err, /no files given/);
  const flag = await run(['check', '--frobnicate', 'examples/dbrx.moeplan']);
  assert.equal(flag.code, 2);
  assert.match(flag.err, /unknown option '--frobnicate'/);
  const missing = await run(['check', 'examples/nope.moeplan']);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /cannot read 'examples\/nope\.moeplan': no such file/);
  const folder = await run(['check', 'examples']);
  assert.equal(folder.code, 2);
  assert.match(folder.err, /is a folder/);
  const fmtArg = await run(['check', '--format', 'xml', 'examples/dbrx.moeplan']);
  assert.equal(fmtArg.code, 2);
});

test('check: trace paths are relative to the plan file, not the working directory', async () => {
  const dir = tempDir();
  try {
    mkdirSync(join(dir, 'plans', 'traces'), { recursive: true });
    writeFileSync(join(dir, 'plans', 'traces', 't.jsonl'), '{}\n');
    writeFileSync(join(dir, 'plans', 'p.moeplan'), 'model dbrx\ngpu h200 x 4\nworkload {\n  trace "traces/t.jsonl"\n}\n');
    writeFileSync(join(dir, 'plans', 'q.moeplan'), 'model dbrx\ngpu h200 x 4\nworkload {\n  trace "traces/missing.jsonl"\n}\n');
    assert.equal((await run(['check', 'plans/p.moeplan'], dir)).code, 0);
    const q = await run(['check', 'plans/q.moeplan'], dir);
    assert.equal(q.code, 1);
    assert.match(q.out, /^plans\/q\.moeplan:4:9: error MP301: Trace file `traces\/missing\.jsonl` not found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fmt: formats in place atomically; --check lists unformatted files; syntax errors refused', async () => {
  const dir = tempDir();
  try {
    copyFileSync(EXAMPLES[1].path, join(dir, 'ok.moeplan'));
    writeFileSync(join(dir, 'messy.moeplan'), 'model   dbrx\ngpu h200 x 4;reserve 24GiB per gpu\n');
    writeFileSync(join(dir, 'broken.moeplan'), 'workload {\n');
    const c = await run(['fmt', '--check', 'ok.moeplan', 'messy.moeplan'], dir);
    assert.equal(c.code, 1);
    assert.equal(c.out, 'messy.moeplan\n');
    assert.equal(readFileSync(join(dir, 'messy.moeplan'), 'utf8'), 'model   dbrx\ngpu h200 x 4;reserve 24GiB per gpu\n');
    const f = await run(['fmt', 'ok.moeplan', 'messy.moeplan'], dir);
    assert.equal(f.code, 0, f.err);
    assert.equal(readFileSync(join(dir, 'messy.moeplan'), 'utf8'), 'model dbrx\ngpu h200 x 4\nreserve 24 GiB per gpu\n');
    assert.equal(readFileSync(join(dir, 'ok.moeplan'), 'utf8'), EXAMPLES[1].text);
    assert.equal((await run(['fmt', '--check', 'messy.moeplan'], dir)).code, 0);
    const b = await run(['fmt', 'broken.moeplan'], dir);
    assert.equal(b.code, 1);
    assert.match(b.err, /broken\.moeplan: cannot format: 1 syntax error; first at line 1/);
    assert.equal(readFileSync(join(dir, 'broken.moeplan'), 'utf8'), 'workload {\n');
    assert.deepEqual(readdirSync(dir).sort(), ['broken.moeplan', 'messy.moeplan', 'ok.moeplan'], 'no temp files left');
    assert.equal((await run(['fmt'], dir)).code, 2);
    assert.equal((await run(['fmt', '--write-all'], dir)).code, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the bundled bin: node bin/moeplan.js check', () => {
  const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(build.status, 0, build.stderr);
  const ok = spawnSync(
    process.execPath,
    ['bin/moeplan.js', 'check', 'examples/mixtral-8x7b.moeplan', 'examples/dbrx.moeplan', 'examples/deepseek-v3.moeplan'],
    { cwd: ROOT, encoding: 'utf8' },
  );
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  const dir = tempDir();
  try {
    writeFileSync(join(dir, 'b.moeplan'), 'model mixtral-8x7\ngpu h100 x 2\n');
    const bad = spawnSync(process.execPath, [join(ROOT, 'bin/moeplan.js'), 'check', 'b.moeplan'], { cwd: dir, encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /^b\.moeplan:1:7: error MP201: Unknown model preset `mixtral-8x7`: did you mean `mixtral-8x7b`\?/);
    const usage = spawnSync(process.execPath, [join(ROOT, 'bin/moeplan.js'), 'check'], { cwd: dir, encoding: 'utf8' });
    assert.equal(usage.status, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
