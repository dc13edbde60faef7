// `moeplan solve --context N --target T`: the flags are read with their
// units and limits, refused with a message that says what they take, and a
// solve with them prints the capacity answer and puts it in --json exactly
// as the contract says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDuration } from '../../server/src/cli/solve';
import { inTemp, runCli } from './fileKinds';
import { checkText } from '../../server/src/plan/check';
import { applyOverrides } from '../../server/src/analysis/overrides';
import { servingFigures, servingShapeOf } from '../../server/src/cost/serving';

test('--target reads ms, s and µs; a bare number is ms; anything else is refused', () => {
  assert.equal(parseDuration('50ms'), 0.05);
  assert.equal(parseDuration('50 ms'), 0.05);
  assert.equal(parseDuration('0.5s'), 0.5);
  assert.equal(parseDuration('800us'), 0.0008);
  assert.equal(parseDuration('800µs'), 0.0008);
  assert.equal(parseDuration('40'), 0.04);
  for (const bad of ['', 'fast', '-5ms', '0', '5 GB', '1e3ms']) assert.equal(parseDuration(bad), undefined, bad);
});

const PLAN = `model mixtral-8x7b
gpu h100-sxm x 2
reserve 16 GiB per gpu
workload {
  synthetic tokens 2000 seed 3
  batch 16 tokens
  phase decode output 128 tokens
}
placement {
  policy search 1 s
}
`;

test(
  'bad --context and --target are usage errors that say what they take',
  inTemp('moeplan-capacity-cli-', async (dir) => {
    writeFileSync(join(dir, 'p.moeplan'), PLAN);
    const t = await runCli(['solve', 'p.moeplan', '--target', 'soon'], dir);
    assert.equal(t.code, 2);
    assert.match(t.err, /--target takes a time such as 50ms, 0\.5s or 800us \(a bare number is ms\), not 'soon'/);
    const c = await runCli(['solve', 'p.moeplan', '--context', '0'], dir);
    assert.equal(c.code, 2);
    assert.match(c.err, /--context takes a whole number from 1 to 16,777,216/);
  }),
);

test(
  'solve --context --target --json: the capacity contract, the model’s KV bytes per token, and the table',
  inTemp('moeplan-capacity-cli-', async (dir) => {
    writeFileSync(join(dir, 'p.moeplan'), PLAN);
    const j = await runCli(['solve', 'p.moeplan', '--context', '4096', '--target', '50ms', '--json'], dir);
    assert.equal(j.code, 0, j.err);
    const r = JSON.parse(j.out);
    assert.equal(r.model.kvBytesPerToken, 131_072);
    const c = r.capacity;
    assert.deepEqual(c.target, { us: 50_000, metric: 'time-per-output-token', context: 4096 });
    assert.ok(c.points.length > 0);
    for (const p of c.points) {
      for (const k of ['slotsPerGpu', 'batch', 'kvTokensPerGpu', 'usPerToken', 'tokensPerSecond']) assert.equal(typeof p[k], 'number', k);
      assert.equal(typeof p.meetsTarget, 'boolean');
      assert.equal(p.meetsTarget, p.usPerToken <= 50_000);
      assert.ok(Math.abs(p.tokensPerSecond - p.batch / (p.usPerToken / 1e6)) < 1e-6 * p.tokensPerSecond);
    }
    for (const k of ['slotsPerGpu', 'batch', 'usPerToken', 'tokensPerSecond']) assert.equal(typeof c.recommended[k], 'number', k);
    const t = await runCli(['solve', 'p.moeplan', '--context', '4096', '--target', '50ms'], dir);
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /^capacity at 4,096 tokens per request, target 50 ms per token: \d+ points/m);
    assert.match(t.out, /^recommended: \d+ slots per GPU \(\d+ redundant experts\), batch [\d,]+/m);
    assert.match(t.out, /^Pareto front \(throughput against latency\):/m);
    // Without the flags and without a serve block, no sweep.
    const plain = await runCli(['solve', 'p.moeplan', '--json', '--no-sweeps'], dir);
    assert.equal(JSON.parse(plain.out).capacity, undefined);
  }),
);

test(
  'an infeasible target: the FP8 figure in the advice is the same point with a model whose cache is FP8',
  inTemp('moeplan-capacity-cli-', async (dir) => {
    writeFileSync(join(dir, 'p.moeplan'), PLAN);
    const j = await runCli(['solve', 'p.moeplan', '--context', '65536', '--target', '1ms', '--json'], dir);
    assert.equal(j.code, 0, j.err);
    const c = JSON.parse(j.out).capacity;
    assert.equal(c.recommended, undefined);
    const a = c.advice;
    const fastest = c.points.find((p: { usPerToken: number }) => p.usPerToken === a.fastestUs);
    assert.ok(fastest, 'the fastest point is one of the points');
    assert.ok(a.fp8Us < a.fastestUs, JSON.stringify(a));
    const fp8 = checkText(PLAN.replace('model mixtral-8x7b', 'model mixtral-8x7b {\n  kv-dtype fp8\n}'), join(dir, 'p.moeplan')).plan!;
    const withServe = applyOverrides(fp8, { context: 65536 });
    const expected = servingFigures(withServe, servingShapeOf(withServe), fastest.batch, fastest.moeUs / 1e6).latencyS * 1e6;
    assert.ok(Math.abs(a.fp8Us - expected) < 1e-6 * expected, `${a.fp8Us} vs ${expected}`);
    assert.match(a.message, /an FP8 KV cache \(`kv-dtype fp8`\) would bring the fastest point to [\d.]+ ms/);
  }),
);
