// The capacity sweep in the editor, over the bundled server: the lens on the
// memory line names the plan's slots and the recommendation, the hover on
// `slots` and `serve` gives the KV cache they leave, the source action and
// the moeplan/applyCapacity request write the recommended slots and batch,
// and an infeasible target is MP810 on the target.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApplyWorkspaceEditParams, CodeAction, CodeLens, Hover } from 'vscode-languageserver-protocol';
import { ApplyCapacityRequest } from '../../server/src/protocol';
import { LspClient, fileUri } from './harness';
import { positionOf, smallPlan } from './plans';
import { applyEdits } from '../../server/src/lsp/textDiff';
import { checkText } from '../../server/src/plan/check';

let c: LspClient;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'moeplan-lsp-capacity-'));
  c = await LspClient.start({ workspace: dir, settings: { solver: { timeBudget: 0 } } });
});
after(async () => {
  await c.stop();
  rmSync(dir, { recursive: true, force: true });
});

const hoverText = (h: Hover | null) => (h ? (h.contents as { value: string }).value : '');

/** The small plan (Mixtral on 4 H100s, 3 slots each) asking how to serve 4,096-token requests. */
function servingPlan(target: string): string {
  return smallPlan({ committed: '', time: '3 s' }) + `\nserve {\n  context 4096 tokens\n  target ${target} per token\n}\n`;
}

describe('capacity in the editor', () => {
  test('lens on the memory line, hovers with the KV cache, the action writes the recommended slots and batch', async () => {
    const uri = fileUri(join(dir, 'serve.moeplan'));
    const text = servingPlan('60 ms');
    await c.open(uri, text);
    const ready = await c.resultsFor(uri, 1);
    assert.equal(ready.error, undefined, ready.error?.message);
    const cap = ready.results!.capacity!;
    assert.ok(cap.points.length > 0);
    const rec = cap.recommended!;
    assert.ok(rec, JSON.stringify(cap.advice));

    const lenses = await c.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
    const lens = lenses.find((l) => l.range.start.line === positionOf(text, 'slots 3').line);
    assert.ok(lens, JSON.stringify(lenses.map((l) => l.command?.title)));
    assert.match(lens.command!.title, /^capacity: 3 slots: [\d,]+ tokens\/s at [\d.]+ ms per token/);
    {
      assert.match(lens.command!.title, new RegExp(`recommended ${rec.slotsPerGpu} slots, batch ${rec.batch.toLocaleString('en-US')}`));
      assert.equal(lens.command!.command, 'moeplan.applyCapacity');
    }

    const slots = hoverText(await c.request<Hover>('textDocument/hover', { textDocument: { uri }, position: positionOf(text, 'slots 3', 1) }));
    assert.match(slots, /memory per GPU, serving \| dense weights 2\.99 GiB \+ 3 slots 31\.5 GiB \+ activations 7\.45 GiB \+ KV cache [\d.]+ GiB = 74\.5 GiB/);
    assert.match(slots, /KV cache per GPU \| [\d,]+ tokens = \d+ requests of 4,096 tokens \(131,072 B per token\)/);
    assert.match(slots, /recommended \| \d+ slots/);
    const serve = hoverText(await c.request<Hover>('textDocument/hover', { textDocument: { uri }, position: positionOf(text, 'serve {', 1) }));
    assert.match(serve, /\*\*Serving target\*\*/);
    assert.match(serve, /KV cache per token \| 131,072 B \(bf16\)/);
    assert.match(serve, /_Sweep: \d+ points/);

    const actions = await c.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: positionOf(text, 'slots 3'), end: positionOf(text, 'slots 3') },
      context: { diagnostics: [], only: ['source.moeplan.writeCapacity'] },
    });
    // 60 ms per token allows far more than the plan's 4 requests per GPU.
    assert.ok(rec.batch > 16, JSON.stringify(rec));
    {
      const action = actions.find((a) => a.kind === 'source.moeplan.writeCapacity');
      assert.ok(action?.edit?.changes?.[uri], JSON.stringify(actions));
      const written = applyEdits(text, action.edit.changes[uri]);
      const plan = checkText(written, '/x.moeplan', { fileExists: () => true }).plan!;
      assert.equal(plan.hardware.slotsPerGpu[0], rec.slotsPerGpu);
      assert.equal(plan.workload.batch.value, rec.batch);
      assert.ok(written.includes('# test plan'));

      const applied = await c.call(ApplyCapacityRequest, { uri });
      assert.equal(applied.applied, true, applied.message);
      const edit = c.appliedEdits.at(-1) as ApplyWorkspaceEditParams;
      assert.equal(applyEdits(text, edit.edit.changes![uri]!), written);
    }
    await c.close(uri);
  });

  test('a target no point meets: MP810 on the target line, no write', async () => {
    const uri = fileUri(join(dir, 'tight.moeplan'));
    const text = servingPlan('1 ms');
    await c.open(uri, text);
    const d = await c.diagnosticsFor(uri, 1, (p) => p.diagnostics.some((x) => x.code === 'MP810'));
    const diag = d.diagnostics.find((x) => x.code === 'MP810')!;
    assert.equal(diag.range.start.line, positionOf(text, 'target 1 ms').line);
    assert.match(diag.message, /^No slots and batch meet 1 ms per token: the fastest point \(\d+ slots per GPU, batch \d+\) takes [\d.]+ ms/);
    const applied = await c.call(ApplyCapacityRequest, { uri });
    assert.equal(applied.applied, false);
    assert.match(applied.message ?? '', /MP810/);
    await c.close(uri);
  });
});
