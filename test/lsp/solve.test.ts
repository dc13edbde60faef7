// Slow work of the bundled server over stdio: solving on open/save in worker
// threads, solver diagnostics, code lenses, hovers with results, inlay hints,
// code actions that write the solver's placement, custom requests, a failed
// analysis as a diagnostic, cancellation of a superseded solve, and workspace
// trust. Every wait is on a notification.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CodeAction, CodeLens, Hover, InlayHint, Diagnostic, ApplyWorkspaceEditParams } from 'vscode-languageserver-protocol';
import { ApplyPlacementRequest, ExportRequest, GetResultsRequest, SolveRequest } from '../../server/src/protocol';
import { LspClient, fileUri } from './harness';
import { positionOf, smallPlan } from './plans';
import { applyEdits } from '../../server/src/lsp/textDiff';

let c: LspClient;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'moeplan-lsp-solve-'));
  // Threshold 3%: the committed layer 0 below is far slower than the solver's;
  // a placement the solver wrote is within it even if a rerun on a busy machine
  // finds a slightly different one.
  // Time budget 0: the plans' own budgets (the cancellation test needs a long one).
  c = await LspClient.start({ workspace: dir, settings: { slowerThreshold: 3, solver: { timeBudget: 0 } } });
});
after(async () => {
  await c.stop();
  rmSync(dir, { recursive: true, force: true });
});

const hoverText = (h: Hover | null) => (h ? (h.contents as { value: string }).value : '');

describe('solving in the editor', () => {
  test('open solves; solver diagnostics, lenses, hovers, hints; the quick fix writes the solver placement', async () => {
    const uri = fileUri(join(dir, 'small.moeplan'));
    // Layer 0 committed full of replicas: at batch 16 every GPU reads three
    // experts' weights every step, about 20% slower than the solver's placement.
    const text = smallPlan({ committed: '  layer 0 {\n    gpu 0: 0 1 2\n    gpu 1: 3 4 5\n    gpu 2: 6 7 0\n    gpu 3: 1 2 3\n  }\n' });
    await c.open(uri, text);
    const ready = await c.resultsFor(uri, 1);
    assert.equal(ready.error, undefined, ready.error?.message);
    const results = ready.results!;
    assert.ok(results.expectedTime > 0 && results.layers.length === 32);
    assert.ok(c.states.all.some((s) => s.uri === uri && s.state === 'running'));
    assert.ok(
      c.states.all.some(
        (s) => s.uri === uri && s.state === 'done' && s.expectedTime === results.expectedTime && s.latencyUs === results.latencyUs && s.objective === 'latency',
      ),
    );
    // Work-done progress: one token went begin → end, titled as a solve.
    const runs = [...c.progress.values()].filter((l) => l[0]?.kind === 'begin' && /solving/.test(l[0].title ?? ''));
    assert.ok(
      runs.some((l) => l.at(-1)?.kind === 'end'),
      JSON.stringify([...c.progress.values()]),
    );

    const d = await c.diagnosticsFor(uri, 1, (p) => p.diagnostics.some((x) => x.code === 'MP802'));
    const slow = d.diagnostics.find((x) => x.code === 'MP802')!;
    assert.match(
      slow.message,
      /Layer 0: the committed placement takes [\d.]+ (µs|ms), \d+\.\d% slower than greedy's [\d.]+ (µs|ms) \(µs per MoE layer at batch 16, static dispatch; E\[T\] \d\.\d{3} vs E\[T\] \d\.\d{3}\)/,
    );
    assert.equal(slow.range.start.line, positionOf(text, 'layer 0 {').line);

    const lenses = await c.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
    const overall = lenses.find((l) => l.range.start.line === positionOf(text, 'placement {').line);
    assert.match(
      overall?.command?.title ?? '',
      /^greedy: [\d.]+ (µs|ms) per layer at batch 16, static dispatch \([\d.]+ (µs|ms) per step\) · .*than EPLB · bound [\d.]+ (µs|ms) · E\[T\] \d\.\d{3}/,
    );
    const layerLens = lenses.find((l) => l.range.start.line === positionOf(text, 'layer 0 {').line);
    assert.match(layerLens?.command?.title ?? '', /layer 0: committed [\d.]+ (µs|ms) · E\[T\] \d\.\d{3} · greedy [\d.]+ (µs|ms)/);

    const expert = await c.request<Hover>('textDocument/hover', { textDocument: { uri }, position: positionOf(text, 'gpu 2: 6 7 0', 7) });
    const md = hoverText(expert);
    assert.match(md, /\*\*Expert 6\*\* · layer 0/);
    assert.match(md, /load \| \d\.\d{3} activations\/token/);
    assert.match(md, /copies \(committed\) \| 1 — GPU 2/);
    assert.match(md, /top partners \|/);
    assert.match(md, /share of the layer \| ≈ [\d.]+ (µs|ms) of [\d.]+ (µs|ms) \(E\[T\]/);
    const gpu = await c.request<Hover>('textDocument/hover', { textDocument: { uri }, position: positionOf(text, 'gpu 2: 6 7 0', 4) });
    assert.match(hoverText(gpu), /slots \| 3 used, 0 free of 3/);
    assert.match(hoverText(gpu), /expected load \| \d\.\d{3} pairs per token .* under static dispatch/);

    const placementHover = await c.request<Hover>('textDocument/hover', { textDocument: { uri }, position: positionOf(text, 'placement {', 2) });
    assert.match(
      hoverText(placementHover),
      /last solve \| greedy.*: [\d.]+ (µs|ms) · E\[T\] \d\.\d{3} per layer \(EPLB [\d.]+ (µs|ms), bound [\d.]+ (µs|ms)\) \| µs per MoE layer at batch 16, static dispatch/,
    );
    const policyHover = await c.request<Hover>('textDocument/hover', { textDocument: { uri }, position: positionOf(text, 'policy greedy', 2) });
    assert.match(hoverText(policyHover), /\| \*\*policy\*\* \| greedy \|/);

    const hints = await c.request<InlayHint[]>('textDocument/inlayHint', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 200, character: 0 } },
    });
    assert.ok(
      hints.some((h) => /^3 slots\/GPU · \d+ GiB total$/.test(String(h.label))),
      JSON.stringify(hints.map((h) => h.label)),
    );

    const actions = await c.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: slow.range,
      context: { diagnostics: [slow as Diagnostic] },
    });
    const fix = actions.find((a) => a.kind === 'quickfix' && /layer 0/.test(a.title));
    assert.ok(fix?.edit?.changes?.[uri], JSON.stringify(actions.map((a) => a.title)));
    const fixed = applyEdits(text, fix.edit.changes[uri]);
    const solverGpus = results.layers[0]!.placement;
    for (let g = 0; g < solverGpus.length; g++) assert.ok(fixed.includes(`gpu ${g}:`), fixed);
    assert.notEqual(fixed, text);
    const v = await c.change(uri, fixed);
    await c.save(uri);
    const again = await c.resultsFor(uri, v);
    assert.equal(again.error, undefined);
    const after = await c.diagnosticsFor(uri, v, (p) => !p.diagnostics.some((x) => x.code === 'MP802' && x.message.startsWith('Layer 0:')));
    assert.equal(after.diagnostics.filter((x) => x.severity === 1).length, 0, JSON.stringify(after.diagnostics));

    // Saving again without a change reuses the cached results: no new run.
    const runsBefore = c.states.all.filter((s) => s.uri === uri && s.state === 'running').length;
    c.results.drain();
    await c.save(uri);
    const cached = await c.resultsFor(uri, v);
    assert.equal(cached.results?.expectedTime, again.results?.expectedTime);
    assert.equal(c.states.all.filter((s) => s.uri === uri && s.state === 'running').length, runsBefore);

    const got = await c.call(GetResultsRequest, { uri });
    assert.equal(got?.version, v);
    const applied = await c.call(ApplyPlacementRequest, { uri });
    assert.equal(applied.applied, true, applied.message);
    const edit = c.appliedEdits.at(-1) as ApplyWorkspaceEditParams;
    const all = applyEdits(fixed, edit.edit.changes![uri]!);
    assert.match(all, /layer 31 \{/);

    const exported = await c.call(ExportRequest, { uri, format: 'json' });
    assert.equal(exported.ok, true, exported.error);
    assert.equal(JSON.parse(exported.content!).layers.length, 32);
    assert.match(exported.suggestedName ?? '', /^small\./);
    assert.equal(exported.launch, undefined);
    // An engine format carries the flags, naming the file where the client saves it.
    const target = join(dir, 'saved elsewhere', 'map.json');
    const sglang = await c.call(ExportRequest, { uri, format: 'sglang', outputPath: target });
    assert.equal(sglang.ok, true, sglang.error);
    assert.equal(sglang.launch?.engine, 'SGLang');
    assert.equal(sglang.launch?.file, target);
    assert.ok(sglang.launch?.args.includes(target));
    assert.match(sglang.launch?.text ?? '', /--ep-num-redundant-experts \d+/);
    assert.ok(Array.isArray(sglang.warnings) && Array.isArray(sglang.notes));
    await c.close(uri);
  });

  test('a failing analysis becomes a diagnostic and the server keeps answering', async () => {
    writeFileSync(join(dir, 'broken.jsonl'), '{"this is": not json\n');
    const uri = fileUri(join(dir, 'broken.moeplan'));
    const text = smallPlan().replace(/ {2}synthetic tokens .*\n/, '  trace "broken.jsonl"\n');
    await c.open(uri, text);
    const r = await c.resultsFor(uri, 1);
    assert.ok(r.error, 'the analysis failed');
    const d = await c.diagnosticsFor(uri, 1, (p) => p.diagnostics.some((x) => x.code === 'MP804'));
    const diag = d.diagnostics.find((x) => x.code === 'MP804')!;
    assert.equal(diag.range.start.line, positionOf(text, 'trace "broken').line);
    assert.match(diag.message, /broken\.jsonl/);
    const h = await c.request<Hover>('textDocument/hover', { textDocument: { uri }, position: positionOf(text, 'mixtral', 1) });
    assert.match(hoverText(h), /Mixtral/);
    await c.close(uri);
  });

  test('a newer version cancels the running solve', async () => {
    const uri = fileUri(join(dir, 'cancel.moeplan'));
    const slow = smallPlan({ committed: '' })
      .replace('model mixtral-8x7b', 'model deepseek-v3')
      .replace('gpu h100-sxm x 4', 'gpu h100-sxm x 32 in 4 nodes')
      .replace('slots 3 per gpu', 'slots 9 per gpu')
      .replace('policy greedy', 'policy search')
      .replace('time 2 s', 'time 120 s');
    await c.open(uri, slow);
    await c.states.next((s) => s.uri === uri && s.state === 'running', 'running');
    const v = await c.change(uri, smallPlan({ committed: '' }));
    await c.save(uri);
    await c.states.next((s) => s.uri === uri && s.state === 'cancelled', 'cancelled');
    const r = await c.resultsFor(uri, v);
    assert.equal(r.error, undefined);
    assert.equal(r.results?.model.experts, 8);
    assert.deepEqual(
      c.results.all.filter((x) => x.uri === uri && x.version === 1),
      [],
      'no results were published for the superseded version',
    );
    await c.close(uri);
  });
});

describe('untrusted workspace', () => {
  let u: LspClient;
  let ws: string;
  let outside: string;
  before(async () => {
    ws = mkdtempSync(join(tmpdir(), 'moeplan-untrusted-'));
    outside = mkdtempSync(join(tmpdir(), 'moeplan-outside-'));
    u = await LspClient.start({ workspace: ws, trusted: false });
  });
  after(async () => {
    await u.stop();
    rmSync(ws, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  test('no solve without a request; a request solves', async () => {
    const uri = fileUri(join(ws, 'plan.moeplan'));
    await u.open(uri, smallPlan());
    await u.states.next((s) => s.uri === uri && s.state === 'queued', 'queued');
    await u.diagnosticsFor(uri, 1);
    assert.equal(u.results.all.length, 0);
    const r = await u.call(SolveRequest, { uri });
    assert.equal(r?.error, undefined);
    assert.ok(r?.results && r?.results.expectedTime > 0);
  });

  test('a trace outside the workspace is not read', async () => {
    writeFileSync(join(outside, 't.jsonl'), '');
    const uri = fileUri(join(ws, 'outside.moeplan'));
    const text = smallPlan().replace(/ {2}synthetic tokens .*\n/, `  trace "${join(outside, 't.jsonl')}"\n`);
    await u.open(uri, text);
    const r = await u.call(SolveRequest, { uri });
    assert.match(r?.error?.message ?? '', /outside the workspace/);
    const d = await u.diagnosticsFor(uri, 1, (p) => p.diagnostics.some((x) => x.code === 'MP806'));
    assert.ok(d.diagnostics.some((x) => x.code === 'MP806'));
  });
});

describe('a hung analysis', () => {
  test('is stopped by the watchdog and reported as a diagnostic; the server keeps working', async () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'moeplan-watchdog-'));
    // The watchdog fires after 300 ms; a 60 s search cannot finish by then.
    const w = await LspClient.start({ workspace: dir2, env: { MOEPLAN_WATCHDOG_MS: '300' } });
    try {
      const uri = fileUri(join(dir2, 'hang.moeplan'));
      const text = smallPlan({ policy: 'search', time: '60 s' });
      await w.open(uri, text);
      const r = await w.resultsFor(uri, 1);
      assert.match(r?.error?.message ?? '', /did not finish/);
      const d = await w.diagnosticsFor(uri, 1, (p) => p.diagnostics.some((x) => x.code === 'MP805'));
      assert.ok(d.diagnostics.find((x) => x.code === 'MP805')!.message.startsWith('Analysis timed out'));
      const h = await w.request<Hover>('textDocument/hover', { textDocument: { uri }, position: positionOf(text, 'mixtral', 1) });
      assert.match(hoverText(h), /Mixtral/);
    } finally {
      await w.stop();
      rmSync(dir2, { recursive: true, force: true });
    }
  });
});

describe('moeplan.run = onType', () => {
  test('a change solves without a save', async () => {
    const dir3 = mkdtempSync(join(tmpdir(), 'moeplan-ontype-'));
    const t = await LspClient.start({ workspace: dir3, settings: { run: 'onType' } });
    try {
      const uri = fileUri(join(dir3, 'typed.moeplan'));
      await t.open(uri, smallPlan());
      await t.resultsFor(uri, 1);
      const v = await t.change(uri, smallPlan().replace('seed 7', 'seed 8'));
      const r = await t.resultsFor(uri, v);
      assert.equal(r.error, undefined);
      assert.equal(r.version, v);
    } finally {
      await t.stop();
      rmSync(dir3, { recursive: true, force: true });
    }
  });
});
