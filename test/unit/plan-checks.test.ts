// Broken variants of the examples produce the right codes at the right
// lines; quick fixes repair what they claim to repair.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkText } from '../../server/src/plan/check';
import type { Diagnostic } from '../../server/src/language/diagnostic';
import { EXAMPLES, applyEdits, diagnosticProblems } from './plan-arbitraries';

const mixtral = EXAMPLES.find((e) => e.name === 'mixtral-8x7b')!;
const FILE = mixtral.path;
const noTrace = { fileExists: () => false };

function check(text: string, opts = noTrace) {
  const r = checkText(text, FILE, opts);
  assert.deepEqual(diagnosticProblems(text, r.diagnostics), []);
  return r;
}

/** Replace `from` (which must occur once) in the Mixtral example. */
function variant(from: string, to: string, base = mixtral.text): string {
  assert.equal(base.split(from).length, 2, `'${from}' must occur once`);
  return base.replace(from, to);
}

/** 1-based line of the first line containing `needle`. */
function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  assert.ok(i >= 0, `no line contains '${needle}'`);
  return i + 1;
}

function find(diags: Diagnostic[], code: string): Diagnostic {
  const d = diags.find((x) => x.code === code);
  assert.ok(d, `expected ${code}, got ${diags.map((x) => `${x.code}@${x.range.start.line + 1}: ${x.message}`).join('; ') || 'nothing'}`);
  return d;
}

function expectAt(text: string, code: string, needle: string, severity: Diagnostic['severity'] = 'error'): Diagnostic {
  const r = check(text);
  const d = find(r.diagnostics, code);
  assert.equal(d.range.start.line + 1, lineOf(text, needle), `${code} line`);
  assert.equal(d.severity, severity, `${code} severity`);
  assert.ok(d.message.length > 20);
  return d;
}

function fixed(text: string, d: Diagnostic, which = 0): string {
  assert.ok(d.fixes && d.fixes[which], `${d.code} has no fix`);
  return applyEdits(text, d.fixes[which].edits);
}

const errors = (text: string) => check(text).diagnostics.filter((d) => d.severity === 'error');

test('examples check clean and resolve to plans', () => {
  for (const e of EXAMPLES) {
    const r = checkText(e.text, e.path);
    assert.deepEqual(r.diagnostics, [], e.name);
    assert.ok(r.plan, e.name);
  }
});

test('unknown model preset: nearest suggested, fix applies', () => {
  const t = variant('model mixtral-8x7b', 'model mixtral-8x7');
  const d = expectAt(t, 'MP201', 'model mixtral-8x7');
  assert.match(d.message, /did you mean `mixtral-8x7b`/);
  assert.equal(check(t).plan, undefined);
  assert.deepEqual(errors(fixed(t, d)), []);
});

test('unknown GPU preset: nearest suggested, fix applies', () => {
  const t = variant('gpu h100-sxm x 2', 'gpu h100-sx x 2');
  const d = expectAt(t, 'MP202', 'gpu h100-sx');
  assert.deepEqual(errors(fixed(t, d)), []);
});

test('missing unit: fix adds one', () => {
  const t = variant('reserve 16 GiB per gpu', 'reserve 16 per gpu');
  const d = expectAt(t, 'MP114', 'reserve 16');
  assert.deepEqual(errors(fixed(t, d)), []);
});

test('wrong-kind and misspelt units: fix replaces the unit', () => {
  for (const bad of ['16 GB/s', '16 Gib', '16 ms']) {
    const t = variant('reserve 16 GiB per gpu', `reserve ${bad} per gpu`);
    const d = expectAt(t, 'MP115', 'reserve 16');
    assert.deepEqual(errors(fixed(t, d)), [], bad);
  }
  const t = variant('link nvlink 450 GB/s 1 us', 'link nvlink 450 GiB 1 us');
  expectAt(t, 'MP115', 'link nvlink');
  const plain = variant('model mixtral-8x7b', 'model mixtral-8x7b {\n  experts 8 GiB\n}');
  const d = expectAt(plain, 'MP115', 'experts 8');
  assert.deepEqual(errors(fixed(plain, d)), []);
});

test('top-k greater than experts', () => {
  const t = variant('model mixtral-8x7b', 'model mixtral-8x7b {\n  top-k 9\n}');
  expectAt(t, 'MP205', 'top-k 9');
});

test('unknown and duplicate keys, with related location', () => {
  const t = variant('reserve 16 GiB per gpu', 'reserv 16 GiB per gpu');
  const d = expectAt(t, 'MP110', 'reserv 16');
  assert.deepEqual(errors(fixed(t, d)), []);
  const dup = variant('gpu h100-sxm x 2', 'gpu h100-sxm x 2\ngpu h100-sxm x 4');
  const dd = expectAt(dup, 'MP111', 'x 4');
  assert.equal(dd.related![0].range.start.line + 1, lineOf(dup, 'x 2'));
  expectAt(variant('  batch 32 tokens', '  batch 32 tokens\n  batch 8'), 'MP111', 'batch 8');
});

test('values out of range, extra values, wrong values, stray blocks', () => {
  expectAt(variant('reserve 16 GiB per gpu', 'slots 0 per gpu'), 'MP116', 'slots 0');
  expectAt(variant('reserve 16 GiB per gpu', 'reserve 16 GiB per gpu please'), 'MP113', 'reserve 16');
  expectAt(variant('gpu h100-sxm x 2', 'gpu h100-sxm x two'), 'MP112', 'x two');
  expectAt(variant('reserve 16 GiB per gpu', 'reserve 16 GiB per gpu {\n}'), 'MP117', 'reserve 16');
  expectAt(variant('  batch 32 tokens', '  batch 2.5 tokens'), 'MP116', 'batch 2.5');
  expectAt(variant('layer 2 {', 'layer 3..1 {'), 'MP107', 'layer 3..1');
});

test('no model, no GPUs', () => {
  const t = variant('model mixtral-8x7b\n', '');
  const r = check(t);
  find(r.diagnostics, 'MP203');
  assert.equal(r.plan, undefined);
  const g = variant('gpu h100-sxm x 2\n', '');
  assert.equal(check(g).plan, undefined);
  find(check(g).diagnostics, 'MP204');
});

test('memory that cannot hold one copy of every expert says how much is missing; offload makes it information', () => {
  const t = variant('reserve 16 GiB per gpu', 'reserve 60 GiB per gpu');
  const d = expectAt(t, 'MP208', 'reserve 60');
  assert.match(d.message, /4 slots per GPU/);
  assert.match(d.message, /GiB more than is free/);
  assert.match(d.message, /offload/);
  const plan = check(t).plan;
  assert.ok(plan, 'a plan is still returned');
  assert.deepEqual(plan.hardware.slotsPerGpu, [1, 1]);
  const off = t + '\noffload {\n  policy layer-lru\n  prefetch on\n}\n';
  const r = check(off);
  const i = find(r.diagnostics, 'MP208');
  assert.equal(i.severity, 'information');
  assert.deepEqual(r.plan?.offload, { enabled: true, policy: 'layer-lru', prefetch: true, range: r.plan!.offload!.range });
  // Committed layers then leave experts to paging: information, not error.
  assert.ok(r.diagnostics.filter((x) => x.code === 'MP407').every((x) => x.severity === 'information'));
});

test('memory shortfall fixes: lower the reserve, or add an offload block', () => {
  const t = variant('reserve 16 GiB per gpu', 'reserve 60 GiB per gpu');
  const d = find(check(t).diagnostics, 'MP208');
  assert.equal(d.fixes?.length, 2);
  const lowered = fixed(t, d, 0);
  assert.match(lowered, /reserve 32 GiB per gpu/);
  const r = check(lowered);
  assert.equal(r.diagnostics.filter((x) => x.code === 'MP208').length, 0);
  assert.deepEqual(r.plan!.hardware.slotsPerGpu, [4, 4]); // exactly one copy of each expert fits
  const offloaded = fixed(t, d, 1);
  assert.match(offloaded, /\noffload \{\n {2}policy layer-lru\n\}\n$/);
  assert.equal(find(check(offloaded).diagnostics, 'MP208').severity, 'information');
});

test('a keyword in the wrong block says where it belongs', () => {
  const d = expectAt(variant('gpu h100-sxm x 2', 'gpu h100-sxm x 2\nexperts 8'), 'MP110', 'experts 8');
  assert.match(d.message, /belongs inside `model`/);
  const b = expectAt(variant('  batch 32 tokens', '  batch 32 tokens\n  prefetch on'), 'MP110', 'prefetch on');
  assert.match(b.message, /belongs inside `offload`/);
});

test('a pin that a forbid rules out', () => {
  const t = variant('  seed 1\n', '  seed 1\n  forbid gpu 1\n  pin expert 3 on gpu 1\n');
  const d = expectAt(t, 'MP410', 'pin expert 3', 'warning');
  assert.equal(d.related![0].range.start.line + 1, lineOf(t, 'forbid gpu 1'));
});

test('no room at all for experts', () => {
  expectAt(variant('reserve 16 GiB per gpu', 'reserve 76 GiB per gpu'), 'MP209', 'reserve 76');
});

test('offload when everything fits, unknown paging policy', () => {
  const t = mixtral.text + 'offload {\n  policy lur\n}\n';
  expectAt(t, 'MP501', 'offload {', 'information');
  const d = expectAt(t, 'MP502', 'policy lur');
  assert.equal(d.fixes?.[0].edits[0].newText, 'lru');
});

test('committed assignment exceeding slots: add-a-slot fix', () => {
  const t = variant('    gpu 0: 0 2 4 6 7', '    gpu 0: 0..5 7');
  const d = expectAt(t, 'MP406', 'gpu 0: 0..5 7');
  assert.match(d.message, /7 experts .* 5 slots/);
  const after = fixed(t, d);
  assert.match(after, /slots 7 per gpu/);
  const r = check(after);
  assert.equal(r.diagnostics.filter((x) => x.code === 'MP406').length, 0);
  assert.equal(find(r.diagnostics, 'MP211').severity, 'warning'); // 7 slots do not fit in memory: said, not hidden
});

test('expert twice on one GPU: fix removes the copy', () => {
  const t = variant('    gpu 0: 0 2 4 6 7', '    gpu 0: 0 2 4 6 7 2');
  const d = expectAt(t, 'MP405', 'gpu 0: 0 2 4 6 7 2');
  assert.ok(d.related && d.related.length === 1);
  assert.deepEqual(errors(fixed(t, d)), []);
});

test('expert unplaced in a committed layer: fix places it on a GPU with a free slot', () => {
  const t = variant('    gpu 1: 1 3 5 6 7', '    gpu 1: 1 5 6 7');
  const d = expectAt(t, 'MP407', 'layer 2 {');
  assert.match(d.message, /Expert 3 is on no GPU in layer 2/);
  const after = fixed(t, d);
  assert.deepEqual(errors(after), []);
  const plan = check(after).plan!;
  assert.ok(plan.placement.committed.get(2)!.gpus[1].includes(3));
  // A GPU line that is missing altogether is added.
  const t2 = variant('    gpu 1: 1 3 5 6 7\n', '');
  const d2 = expectAt(t2, 'MP407', 'layer 2 {');
  const after2 = fixed(t2, d2);
  assert.deepEqual(errors(after2), []);
});

test('nonexistent GPU, expert and layer ids', () => {
  expectAt(variant('    gpu 1: 1 3 5 6 7', '    gpu 2: 1 3 5 6 7'), 'MP403', 'gpu 2:');
  expectAt(variant('    gpu 1: 1 3 5 6 7', '    gpu 1: 1 3 5 6 7 8'), 'MP404', 'gpu 1: 1 3 5 6 7 8');
  expectAt(variant('layer 2 {', 'layer 32 {'), 'MP402', 'layer 32');
  expectAt(variant('  seed 1\n', '  seed 1\n  pin expert 9 on gpu 0\n'), 'MP404', 'pin expert 9');
});

test('layer committed twice, GPU listed twice', () => {
  expectAt(variant('layer 2 {', 'layer 1 {'), 'MP408', 'layer 1 {');
  expectAt(variant('    gpu 1: 1 3 5 6 7', '    gpu 1: 1 3\n    gpu 1: 5 6 7'), 'MP409', 'gpu 1: 5 6 7');
});

test('constraints broken by a committed layer', () => {
  expectAt(variant('  seed 1\n', '  seed 1\n  pin expert 0 on gpu 1 layer 2\n'), 'MP410', 'gpu 1: 1 3 5 6 7', 'warning');
  expectAt(variant('  replicas on', '  replicas off'), 'MP411', 'layer 0..1', 'warning');
});

test('trace path that does not exist; existing one is fine', () => {
  const t = variant('  synthetic tokens 20000 seed 7 skew 1.0 concentration 0.6 topics 16', '  trace "traces/chat.jsonl" format jsonl');
  const d = expectAt(t, 'MP301', 'trace "');
  assert.match(d.message, /traces\/chat\.jsonl/);
  const seen: string[] = [];
  const ok = checkText(t, FILE, { fileExists: (p) => (seen.push(p), true) });
  assert.equal(ok.diagnostics.length, 0);
  assert.ok(seen[0].endsWith('/examples/traces/chat.jsonl'));
  const src = ok.plan!.workload.source;
  assert.equal(src?.kind, 'trace');
  assert.equal(src?.kind === 'trace' && src.format, 'jsonl');
});

test('workload sources: two sources (mixed), none, inline subsets', () => {
  const two = check(variant('  batch 32 tokens', '  trace "x.jsonl" weight 2\n  batch 32 tokens'));
  assert.ok(!two.diagnostics.some((d) => d.code === 'MP302'), 'several sources are mixed, not refused');
  expectAt(variant('  batch 32 tokens', '  trace "x.jsonl"\n  batch 32 tokens'), 'MP301', 'x.jsonl');
  const none = variant('  synthetic tokens 20000 seed 7 skew 1.0 concentration 0.6 topics 16\n', '');
  expectAt(none, 'MP303', 'workload {', 'information');
  const inline = variant(
    '  synthetic tokens 20000 seed 7 skew 1.0 concentration 0.6 topics 16',
    '  subsets {\n    subset 0 1: 30%\n    subset 2 3: 0.7\n    layer 4 { subset 0 7: 1 }\n  }',
  );
  const r = check(inline);
  assert.deepEqual(r.diagnostics, []);
  const src = r.plan!.workload.source!;
  assert.equal(src.kind, 'inline');
  if (src.kind === 'inline') {
    assert.deepEqual(
      src.layers.get(-1)!.map((e) => [e.experts, e.weight]),
      [
        [[0, 1], 0.3],
        [[2, 3], 0.7],
      ],
    );
    assert.deepEqual(
      src.layers.get(4)!.map((e) => e.experts),
      [[0, 7]],
    );
  }
  expectAt(variant('    subset 2 3: 0.7', '    subset 2 3 4: 0.7', inline), 'MP304', 'subset 2 3 4');
});

test('model and hardware consistency', () => {
  expectAt(variant('gpu h100-sxm x 2', 'gpu h100-sxm x 3 in 2 nodes'), 'MP207', 'gpu h100-sxm x 3');
  expectAt(variant('model mixtral-8x7b', 'model mixtral-8x7b {\n  groups 3 top 1\n}'), 'MP210', 'groups 3');
  expectAt(variant('model mixtral-8x7b', 'model mixtral-8x7b {\n  total-layers 10\n}'), 'MP212', 'total-layers 10');
  expectAt(variant('model mixtral-8x7b', 'model custom {\n  experts 8\n}'), 'MP206', 'model custom');
  expectAt(variant('gpu h100-sxm x 2', 'gpu custom x 2 {\n  memory 80 GB\n}'), 'MP206', 'gpu custom');
  expectAt(variant('reserve 16 GiB per gpu', 'slots 8 per gpu'), 'MP211', 'slots 8', 'warning');
});

test('unknown placement policy: nearest suggested', () => {
  const t = variant('  policy search 5 s', '  policy greedyy');
  const d = expectAt(t, 'MP401', 'policy greedyy');
  assert.deepEqual(errors(fixed(t, d)), []);
});

test('several problems are reported in one pass', () => {
  const t = variant('reserve 16 GiB per gpu', 'reserve 16 per gpu\nslots 0').replace('gpu 1: 1 3 5 6 7', 'gpu 7: 1 3 5 6 7 3 3');
  const codes = new Set(check(t).diagnostics.map((d) => d.code));
  for (const c of ['MP114', 'MP116', 'MP403']) assert.ok(codes.has(c), c);
});

test('absurd ranges are refused quickly instead of exhausting memory', () => {
  const t = 'model nosuch\ngpu h100 x 2\nplacement {\n  layer 0..999999999 {\n    gpu 0: 0..999999999\n  }\n}\n';
  const t0 = performance.now();
  const r = check(t);
  assert.ok(performance.now() - t0 < 2000);
  assert.equal(r.diagnostics.filter((d) => d.code === 'MP116').length, 2);
  expectAt(variant('gpu h100-sxm x 2', 'gpu h100-sxm x 100000'), 'MP116', 'gpu h100-sxm x 100000');
});
