// `moeplan solve`: the JSON contract, --write (atomic, re-checkable), plan
// errors in check's format, usage errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../server/src/cli/main';
import { checkText } from '../../server/src/plan/check';

const dir = mkdtempSync(join(tmpdir(), 'moeplan-cli-solve-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const PLAN = `# keep this comment
model mixtral-8x7b
gpu h100-sxm x 2
reserve 16 GiB per gpu
workload {
  synthetic tokens 2000 seed 5 skew 1.0 concentration 0.6 topics 8
}
placement {
  policy search 1 s  # inline comment
}
`;

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += t), err: (t) => (err += t), cwd: dir });
  return { code, out, err };
}

test('--json prints the contract: layers with placement, the objective in µs, E[T], bounds, baselines; solver', async () => {
  writeFileSync(join(dir, 'a.moeplan'), PLAN);
  const r = await run(['solve', 'a.moeplan', '--json', '--no-sweeps', '--time', '1']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.layers.length, 32);
  for (const l of j.layers) {
    assert.equal(typeof l.layer, 'number');
    assert.equal(l.placement.length, 2);
    assert.ok(l.expectedTime >= l.lowerBound - 1e-12);
    for (const k of ['contiguous', 'roundRobin', 'eplb']) assert.equal(typeof l.baselines[k], 'number');
    // The objective: µs per layer at the plan's batch, never above a baseline's, never below the bound.
    for (const k of ['contiguous', 'roundRobin', 'eplb', 'oneCopy']) assert.ok(l.latencyUs <= l.baselinesUs[k] + 1e-9, `${k}`);
    assert.ok(l.lowerBoundUs <= l.latencyUs + 1e-9);
    assert.equal(l.freeSlots.length, 2);
  }
  const mean = j.layers.reduce((a: number, l: { expectedTime: number }) => a + l.expectedTime, 0) / 32;
  assert.ok(Math.abs(j.expectedTime - mean) < 1e-9);
  const meanUs = j.layers.reduce((a: number, l: { latencyUs: number }) => a + l.latencyUs, 0) / 32;
  assert.ok(Math.abs(j.latencyUs - meanUs) < 1e-6);
  assert.deepEqual(Object.keys(j.objective).sort(), ['batch', 'dispatch', 'measuredOn', 'name']);
  assert.equal(j.objective.name, 'latency');
  assert.equal(j.objective.dispatch, 'static');
  assert.equal(j.solver.name, 'search');
  assert.equal(typeof j.solver.ms, 'number');
  assert.equal(typeof j.solver.optimal, 'boolean');
});

test('--policy eplb and what-if overrides', async () => {
  writeFileSync(join(dir, 'b.moeplan'), PLAN);
  const r = await run(['solve', 'b.moeplan', '--json', '--no-sweeps', '--policy', 'eplb', '--gpus', '4', '--slots', '3']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.solver.name, 'eplb');
  assert.equal(j.layers[0].placement.length, 4);
  assert.ok(Math.abs(j.layers[0].expectedTime - j.layers[0].baselines.eplb) < 1e-12);
});

test('--write commits the placement atomically; the plan still checks and keeps its comments', async () => {
  const file = join(dir, 'c.moeplan');
  writeFileSync(file, PLAN);
  const r = await run(['solve', 'c.moeplan', '--write', '--no-sweeps', '--time', '1']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /wrote the placement of 32 layers/);
  const text = readFileSync(file, 'utf8');
  assert.match(text, /# keep this comment/);
  assert.match(text, /# inline comment/);
  const checked = checkText(text, file);
  assert.deepEqual(
    checked.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message),
    [],
  );
  assert.equal(checked.plan!.placement.committed.size, 32);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.tmp')),
    [],
  );
  // The committed placement is what the table reported: solving again evaluates it as committed.
  const again = JSON.parse((await run(['solve', 'c.moeplan', '--json', '--no-sweeps', '--time', '1'])).out);
  for (const l of again.layers) assert.ok(l.committedExpectedTime !== undefined);
});

test('plan errors print like check and exit 1; usage errors exit 2', async () => {
  writeFileSync(join(dir, 'bad.moeplan'), 'model mixtral-8x7b\ngpu h100-sxm x 0\n');
  const r = await run(['solve', 'bad.moeplan']);
  assert.equal(r.code, 1);
  assert.match(r.err, /^bad\.moeplan:\d+:\d+: error /m);
  assert.equal((await run(['solve'])).code, 2);
  assert.equal((await run(['solve', 'a.moeplan', '--policy', 'magic'])).code, 2);
  assert.equal((await run(['solve', 'a.moeplan', '--gpus', 'x'])).code, 2);
  assert.equal((await run(['solve', 'missing.moeplan'])).code, 2);
});

test('summary table leads with the objective: µs, eplb, one copy, the bound; E[T] beside; --objective expected-time swaps them', async () => {
  writeFileSync(join(dir, 'd.moeplan'), PLAN);
  const r = await run(['solve', 'd.moeplan', '--no-sweeps', '--time', '1']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /objective latency: µs per MoE layer at batch \d+, static dispatch/);
  assert.match(r.out, /layer\s+µs\s+eplb µs\s+one-copy µs\s+bound µs\s+vs eplb\s+E\[T\]/);
  assert.match(r.out, /^mean\s+\d+(\.\d+)? (µs|ms)\s/m);
  const e = await run(['solve', 'd.moeplan', '--no-sweeps', '--time', '1', '--objective', 'expected-time', '--dispatch', 'balanced']);
  assert.equal(e.code, 0, e.err);
  assert.match(e.out, /objective expected-time: E\[T\]/);
  assert.match(e.out, /layer\s+E\[T\]\s+eplb E\[T\]\s+E\[T\] bound/);
  assert.match(e.out, /^mean\s+\d\.\d{3}\s/m);
  const bad = await run(['solve', 'd.moeplan', '--dispatch', 'fastest']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--dispatch takes one of static, random, balanced, not 'fastest'/);
});
