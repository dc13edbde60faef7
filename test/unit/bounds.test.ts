// Runaway inputs are bounded, with a clear message: nesting depth (MP108,
// no stack overflow), problems per file (MP109 closes the list), quoted
// tokens (an excerpt, not megabytes), values in the unit written, synthetic
// work per model, the what-if flags held to the plan's limits, and timer
// delays past setTimeout's range.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkText } from '../../server/src/plan/check';
import { formatText } from '../../server/src/language/formatter';
import { parse, MAX_NESTING } from '../../server/src/language/parser';
import { MAX_DIAGNOSTICS, shortQuotes } from '../../server/src/language/diagnostic';
import { WorkloadError } from '../../server/src/workload/types';
import { applyOverrides } from '../../server/src/analysis/overrides';
import { LIMITS } from '../../server/src/plan/limits';
import { MAX_TIMER_MS, timerDelay } from '../../server/src/lsp/timerDelay';
import { watchdogMs } from '../../server/src/lsp/solveManager';
import { EXAMPLES } from './plan-arbitraries';
import { inTemp, runCli } from './fileKinds';

const HEAD = 'model mixtral-8x7b\ngpu h100-sxm x 2\nreserve 16 GiB per gpu\n';

test('nesting 5,000 blocks deep: one MP108, no internal error, no false "no model"/"no GPUs"', () => {
  const text = HEAD + 'x {\n'.repeat(5000) + '}\n'.repeat(5000);
  const r = checkText(text, '/tmp/deep.moeplan');
  const codes = r.diagnostics.map((d) => d.code);
  assert.equal(codes.filter((c) => c === 'MP108').length, 1, codes.join(' '));
  for (const bad of ['MP100', 'MP203', 'MP204']) assert.ok(!codes.includes(bad), `${bad} in ${codes.join(' ')}`);
  const mp108 = r.diagnostics.find((d) => d.code === 'MP108')!;
  assert.equal(mp108.range.start.line, 3 + MAX_NESTING, 'at the first `{` past the limit');
  assert.ok('error' in formatText(text), 'the formatter refuses it (nothing inside the skipped block is lost)');
  // 100,000 unclosed blocks (read again by indentation, as siblings): no overflow either, problems capped.
  const unclosed = parse('x {\n'.repeat(100_000));
  assert.ok(!unclosed.diagnostics.some((d) => d.code === 'MP100'));
  assert.equal(unclosed.diagnostics.length, MAX_DIAGNOSTICS);
  assert.ok((unclosed.omitted?.count ?? 0) > 90_000);
  // Indented the same way, they nest: skipped past the limit.
  const indented = Array.from({ length: 3000 }, (_, i) => ' '.repeat(i) + 'x {').join('\n');
  assert.ok(parse(indented).diagnostics.some((d) => d.code === 'MP108'));
  // Nesting up to the limit reads normally.
  assert.ok(!parse('x {\n'.repeat(MAX_NESTING) + '}\n'.repeat(MAX_NESTING)).diagnostics.some((d) => d.code === 'MP108'));
});

test('a 5 MB line of `}`: 1,000 problems and one closing MP109 with the count, as severe as what it hides', () => {
  const text = HEAD + '}'.repeat(5_000_000) + '\n';
  const r = checkText(text, '/tmp/braces.moeplan');
  assert.equal(r.diagnostics.length, MAX_DIAGNOSTICS + 1);
  const last = r.diagnostics[r.diagnostics.length - 1]!;
  assert.equal(last.code, 'MP109');
  assert.equal(last.severity, 'error');
  // 5,000,000 unmatched braces and the plan's own note (no workload), 1,000 shown.
  assert.match(last.message, /^4,999,001 more problems not shown \(1,000 per file at most\)/);
  assert.deepEqual(last.range.start, { line: 3, character: 999 }, 'where the first one left out is');
  assert.ok(JSON.stringify(r.diagnostics).length < 400_000, 'a few hundred kilobytes, not a hundred megabytes');
});

test('the checker caps its own problems too (a layer of 5,000 bad GPU lines)', () => {
  const layer = Array.from({ length: 5000 }, (_, i) => `    gpu ${i + 10}: 0`).join('\n');
  const text = HEAD + `placement {\n  layer 0 {\n${layer}\n  }\n}\n`;
  const r = checkText(text, '/tmp/gpus.moeplan');
  assert.ok(r.diagnostics.length <= MAX_DIAGNOSTICS + 1);
  assert.equal(r.diagnostics.at(-1)!.code, 'MP109');
  assert.match(r.diagnostics.at(-1)!.message, /more problems? not shown/);
});

test('messages quote a short excerpt of a huge token (MP110, MP113, MP101)', () => {
  const huge = 'x'.repeat(5_000_000);
  for (const text of [
    HEAD + `workload {\n  synthetic ${huge} 1\n}\n`, // MP110
    HEAD + `workload {\n  batch 4 tokens ${huge}\n}\n`, // MP113
    HEAD + '@'.repeat(5_000_000) + '\n', // MP101
    HEAD + `${huge} 1\n`, // unknown keyword
  ]) {
    const r = checkText(text, '/tmp/huge.moeplan');
    assert.ok(r.diagnostics.length > 0);
    for (const d of r.diagnostics) assert.ok(d.message.length < 400, `${d.code}: ${d.message.length} characters`);
  }
  assert.equal(shortQuotes('Unknown `' + 'y'.repeat(100) + '`.'), 'Unknown `' + 'y'.repeat(32) + '…' + 'y'.repeat(8) + '` (100 characters).');
  assert.equal(shortQuotes('short `ok` stays'), 'short `ok` stays');
  // Unquoted runs (a JSON value a trace reader echoes) too; paths of ordinary length stay whole.
  assert.equal(shortQuotes(`got "${'z'.repeat(300)}"`), `got "${'z'.repeat(31)}…${'z'.repeat(7)}" (302 characters)`);
  const path = '/home/someone/' + 'd/'.repeat(60) + 'trace.jsonl';
  assert.equal(shortQuotes(`cannot read ${path}`), `cannot read ${path}`);
  assert.ok(new WorkloadError(`"experts" must be an array (got ${JSON.stringify(huge)})`, '/t.jsonl', 1).message.length < 200);
});

test('`reserve -5 GiB` is reported in GiB, not as −5368709120', () => {
  const r = checkText(HEAD.replace('reserve 16 GiB', 'reserve -5 GiB'), '/tmp/r.moeplan');
  const d = r.diagnostics.find((x) => x.code === 'MP116')!;
  assert.equal(d.message, '`reserve` must be at least 0 GiB, not -5 GiB.');
  const big = checkText(HEAD.replace('gpu h100-sxm x 2', 'gpu h100-sxm x 5000'), '/tmp/g.moeplan');
  assert.match(big.diagnostics.find((x) => x.code === 'MP116')!.message, /at most 4,096, not 5,000/);
});

test('synthetic tokens past what the generator can draw for the model: MP116 with the most it takes', () => {
  const ds = (tokens: string) => checkText(`model deepseek-v3\ngpu h100-sxm x 64\nworkload {\n  synthetic tokens ${tokens}\n}\n`, '/tmp/s.moeplan');
  const d = ds('1e8').diagnostics.find((x) => x.code === 'MP116');
  assert.ok(d, 'refused');
  assert.match(d.message, /100,000,000 synthetic tokens × 58 MoE layers × top-8 = 46,400,000,000 expert draws; .* use at most 72,315 tokens for DeepSeek-V3/);
  assert.ok(!ds('72315').diagnostics.some((x) => x.code === 'MP116'));
  assert.ok(ds('72316').diagnostics.some((x) => x.code === 'MP116'));
  // The examples' workloads are well inside.
  for (const ex of EXAMPLES) assert.ok(!checkText(ex.text, ex.path).diagnostics.some((x) => x.code === 'MP116'), ex.name);
});

test(
  'what-if flags are held to the plan limits; slots past the experts are capped as in a plan',
  inTemp('moeplan-bounds-', async (dir) => {
    const plan = join(dir, 'plan.moeplan');
    writeFileSync(plan, EXAMPLES[0]!.text);
    for (const [flag, value, limit] of [
      ['--gpus', '1e6', '4,096'],
      ['--slots', '1e12', '1,048,576'],
      ['--batch', '1e12', '16,777,216'],
      ['--gpus', '0', '4,096'],
      ['--batch', '2.5', '16,777,216'],
    ]) {
      const r = await runCli(['solve', 'plan.moeplan', flag!, value!], dir);
      assert.equal(r.code, 2, `${flag} ${value}`);
      assert.equal(r.err.split('\n')[0], `moeplan solve: ${flag} takes a whole number from 1 to ${limit} (a plan's limit), not '${value}'`);
    }
    const p = checkText(EXAMPLES[0]!.text, EXAMPLES[0]!.path).plan!;
    assert.throws(() => applyOverrides(p, { gpus: 1e6 }), /--gpus takes a whole number from 1 to 4,096/);
    const capped = applyOverrides(p, { slots: 1e6 });
    assert.deepEqual(capped.hardware.slotsPerGpu, [8, 8], 'Mixtral has 8 experts');
    assert.match(capped.hardware.slotsSource, /--slots 1000000, capped at the 8 experts/);
    assert.equal(applyOverrides(p, { batch: LIMITS.batchTokens }).workload.batch.value, LIMITS.batchTokens);
  }),
);

test(
  '--trace names the current folder, not the plan, when the file is missing',
  inTemp('moeplan-bounds-', async (dir) => {
    writeFileSync(join(dir, 'plan.moeplan'), EXAMPLES[0]!.text);
    const r = await runCli(['solve', 'plan.moeplan', '--trace', 'missing.jsonl'], dir);
    assert.equal(r.code, 2);
    assert.equal(r.err, `moeplan solve: --trace missing.jsonl: no such file (the path is relative to the current folder, ${dir})\n`);
  }),
);

test('timer delays: past 2^31 − 1 ms they are clamped, not fired at once', () => {
  assert.equal(timerDelay(1e12), MAX_TIMER_MS);
  assert.equal(timerDelay(-5), 0);
  assert.equal(timerDelay(NaN), 0);
  // A plan's `time` of 20,000 minutes with no editor cap: the watchdog waits 24.8 days, not 1 ms.
  assert.equal(watchdogMs(20_000 * 60_000), MAX_TIMER_MS);
  assert.equal(watchdogMs(1000), 121_000);
});
