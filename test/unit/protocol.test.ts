// The custom protocol is declared once (server/src/protocol.ts) and
// documented once (docs/editors.md): the two list the same methods and
// webview messages, and the webview bundle carries no JSON-RPC runtime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as protocol from '../../server/src/protocol';
import { ROOT } from './plan-arbitraries';

const doc = readFileSync(join(ROOT, 'docs', 'editors.md'), 'utf8');

/** Every method object the module exports. */
function declared(): { method: string; kind: string; direction: string }[] {
  const out: { method: string; kind: string; direction: string }[] = [];
  for (const v of Object.values(protocol) as unknown[]) {
    if (typeof v !== 'object' || v === null) continue;
    const { method, kind, direction } = v as Record<string, unknown>;
    if (typeof method === 'string' && typeof kind === 'string' && typeof direction === 'string') out.push({ method, kind, direction });
  }
  return out;
}

test('docs/editors.md lists exactly the custom methods protocol.ts declares, with their kind and sender', () => {
  const rows = [...doc.matchAll(/^\| `(moeplan\/\w+)` \| (request|notification) \| (client|server) \|/gm)].map((m) => ({
    method: m[1]!,
    kind: m[2]!,
    sender: m[3]!,
  }));
  const methods = declared();
  assert.ok(methods.length >= 9, `${methods.length} methods declared`);
  assert.deepEqual(rows.map((r) => r.method).sort(), methods.map((m) => m.method).sort());
  for (const m of methods) {
    const row = rows.find((r) => r.method === m.method)!;
    assert.equal(row.kind, m.kind, m.method);
    assert.equal(row.sender, m.direction.startsWith('client') ? 'client' : 'server', m.method);
  }
  assert.equal(new Set(methods.map((m) => m.method)).size, methods.length, 'each method declared once');
});

test('docs/editors.md names every webview message of each direction', () => {
  const para = doc.slice(doc.indexOf('`postMessage`'));
  for (const t of [...protocol.WEBVIEW_MESSAGES.toWebview, ...protocol.WEBVIEW_MESSAGES.fromWebview]) {
    assert.match(para, new RegExp(`\`${t}\``), t);
  }
});

test('the typed helpers send and receive under the declared method name', async () => {
  const sent: [string, unknown][] = [];
  const handlers = new Map<string, (p: unknown) => unknown>();
  const endpoint = {
    sendRequest: async (method: string, params: unknown) => (sent.push([method, params]), handlers.get(method)?.(params)),
    onRequest: (method: string, h: (p: unknown) => unknown) => void handlers.set(method, h),
    sendNotification: (method: string, params: unknown) => void sent.push([method, params]),
    onNotification: (method: string, h: (p: unknown) => unknown) => void handlers.set(method, h),
  };
  protocol.onRequest(endpoint, protocol.GetResultsRequest, (p) => ({ uri: p.uri, version: 3, ms: 1 }));
  const r = await protocol.sendRequest(endpoint, protocol.GetResultsRequest, { uri: 'file:///a.moeplan' });
  assert.deepEqual(r, { uri: 'file:///a.moeplan', version: 3, ms: 1 });
  protocol.sendNotification(endpoint, protocol.WorkspaceTrustNotification, { trusted: false });
  assert.deepEqual(sent, [
    ['moeplan/getResults', { uri: 'file:///a.moeplan' }],
    ['moeplan/workspaceTrust', { trusted: false }],
  ]);
});

test('the webview bundle carries no JSON-RPC runtime (it only talks postMessage)', (t) => {
  const bundle = join(ROOT, 'dist', 'webview.js');
  if (!existsSync(bundle)) return t.skip('dist/webview.js not built: run `npm run build` (npm test does)');
  const text = readFileSync(bundle, 'utf8');
  for (const marker of ['ParameterStructures', 'Content-Length', 'vscode-jsonrpc']) assert.ok(!text.includes(marker), marker);
});
