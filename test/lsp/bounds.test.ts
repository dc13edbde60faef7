// Runaway inputs in the editor: a 5 MB line gives a small publishDiagnostics
// (1,000 problems and a closing MP109) and the server keeps answering; a
// plan `time` past setTimeout's range does not make the watchdog fire at once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hover } from 'vscode-languageserver-protocol';
import { SolveRequest } from '../../server/src/protocol';
import { LspClient, fileUri } from './harness';
import { positionOf, smallPlan } from './plans';

describe('runaway documents', () => {
  let c: LspClient;
  let ws: string;
  before(async () => {
    ws = mkdtempSync(join(tmpdir(), 'moeplan-lsp-bounds-'));
    c = await LspClient.start({ workspace: ws });
  });
  after(async () => {
    await c.stop();
    rmSync(ws, { recursive: true, force: true });
  });

  test('a 5 MB line of `}` and a 5 MB token: a bounded publishDiagnostics; the server still answers', async () => {
    const uri = fileUri(join(ws, 'huge.moeplan'));
    const text = smallPlan() + '}'.repeat(5_000_000) + '\n';
    await c.open(uri, text);
    const d = await c.diagnosticsFor(uri, 1);
    assert.equal(d.diagnostics.length, 1001);
    assert.equal(d.diagnostics.at(-1)!.code, 'MP109');
    assert.ok(JSON.stringify(d).length < 1_000_000, `${JSON.stringify(d).length} bytes`);
    const v = await c.change(uri, smallPlan().replace('greedy', 'greedy' + 'y'.repeat(5_000_000)));
    const d2 = await c.diagnosticsFor(uri, v);
    for (const x of d2.diagnostics) assert.ok(x.message.length < 400, `${x.code}: ${x.message.length} characters`);
    const v3 = await c.change(uri, smallPlan());
    await c.diagnosticsFor(uri, v3);
    const h = await c.request<Hover>('textDocument/hover', { textDocument: { uri }, position: positionOf(smallPlan(), 'mixtral', 1) });
    assert.ok(h, 'hover answers after the storm');
  });
});

describe('a plan `time` of 20,000 minutes with no editor cap', () => {
  test('the analysis is not stopped by a watchdog that fired after 1 ms', async () => {
    const ws = mkdtempSync(join(tmpdir(), 'moeplan-lsp-longtime-'));
    const c = await LspClient.start({ workspace: ws, settings: { solver: { timeBudget: 0 } } });
    try {
      const uri = fileUri(join(ws, 'long.moeplan'));
      await c.open(uri, smallPlan({ policy: 'contiguous', time: '20000 min' }));
      const r = await c.call(SolveRequest, { uri });
      assert.equal(r?.error, undefined, r?.error?.message);
      assert.ok(r?.results);
    } finally {
      await c.stop();
      rmSync(ws, { recursive: true, force: true });
    }
  });
});
