// The placement view's host in the extension, driven with a stand-in for the
// `vscode` module and a fake language client: the ready handshake, results
// from the server and its notifications, following the active plan, reviving
// a panel after a reload, and reveal moving the editor's selection.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type * as HostModule from '../../client/src/placementView';
import {
  GetResultsRequest,
  ResultsReadyNotification,
  RevealRequest,
  type PlanResults,
  type ResultsReadyParams,
  type RevealParams,
} from '../../server/src/protocol';
import { findRevealRange } from '../../server/src/feedback/reveal';
import { checkText } from '../../server/src/plan/check';
import { installFakeVscode, openEditor, state, Uri, type FakePanel } from './fakeVscode';
import { EXAMPLE_PLAN, examplePlanText } from './realResults';
import { syntheticResults } from './syntheticResults';

let host: typeof HostModule;

before(() => {
  installFakeVscode();
  // Loaded after the stand-in `vscode` module is installed, which a static import would precede.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  host = require('../../client/src/placementView') as typeof HostModule;
});

/**
 * A language client whose server knows `answers` (results by plan) and
 * reveals as the real server does, in the plan text the editor holds.
 */
function fakeClient(answers: Map<string, PlanResults | null>, texts = new Map<string, string>()) {
  const requests: { method: string; params: { uri: string } }[] = [];
  let handler: ((p: ResultsReadyParams) => void) | undefined;
  const client = {
    running: true,
    isRunning() {
      return this.running;
    },
    async sendRequest<R>(method: string, params: { uri: string }): Promise<R> {
      requests.push({ method, params });
      if (method === RevealRequest.method) {
        const plan = checkText(texts.get(params.uri) ?? '', params.uri).plan;
        return ((plan && findRevealRange(plan, (params as RevealParams).target)) ?? null) as R;
      }
      const results = answers.get(params.uri);
      return (results ? { uri: params.uri, version: 1, results, ms: 5 } : null) as R;
    },
    onNotification(method: string, h: (p: ResultsReadyParams) => void) {
      assert.equal(method, ResultsReadyNotification.method);
      handler = h;
      return { dispose() {} };
    },
    notify(p: ResultsReadyParams) {
      handler?.(p);
    },
  };
  return { client, requests };
}

function context() {
  return { extensionUri: Uri.file('/ext'), subscriptions: [] as { dispose(): void }[] };
}

/** The view registered with the fakes, which implement only what the view calls of the real types. */
function registerView(client: ReturnType<typeof fakeClient>['client']) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
  return host.registerPlacementView(context() as any, () => client as any);
}

const settle = () => new Promise<void>((r) => setImmediate(r));

test('ready handshake, results from the server, notifications, following the active plan', async () => {
  const planA = openEditor('/plans/a.moeplan', examplePlanText());
  const a = planA.document.uri.toString();
  const resultsA = syntheticResults({ layers: 2, experts: 8, gpus: 2, topK: 2, seed: 1 });
  const { client, requests } = fakeClient(new Map([[a, resultsA]]));
  const view = registerView(client);
  view.attach(client as never);
  assert.ok(state.serializers.has(host.PLACEMENT_VIEW_TYPE), 'a serializer revives the panel after reloads');

  view.show();
  const panel = state.panels.at(-1)!;
  assert.equal(panel.viewType, host.PLACEMENT_VIEW_TYPE);
  assert.match(panel.title, /a\.moeplan/);
  const html = panel.webview.html;
  const nonce = /script-src 'nonce-([^']+)'/.exec(html)?.[1];
  assert.ok(nonce, 'scripts only by nonce');
  assert.match(html, /default-src 'none'/);
  assert.match(html, new RegExp(`<script nonce="${nonce.replace(/[+/=]/g, '\\$&')}" src="https://webview.test/ext/dist/webview.js">`));
  assert.match(html, /href="https:\/\/webview\.test\/ext\/dist\/webview\.css"/);
  assert.deepEqual(
    (panel.webview.options as { localResourceRoots: Uri[] }).localResourceRoots.map((u) => u.path),
    ['/ext/dist'],
  );
  await settle();
  assert.deepEqual(panel.posted, [], 'nothing is posted before the page is ready');

  panel.fromPage({ type: 'ready' });
  await settle();
  assert.deepEqual(requests.at(-1), { method: GetResultsRequest.method, params: { uri: a } });
  assert.deepEqual(panel.posted.at(-1), { type: 'results', results: resultsA, planName: 'a.moeplan' });

  // A newer analysis of this plan is posted; another plan's is not.
  const newer = syntheticResults({ layers: 2, experts: 8, gpus: 2, topK: 2, seed: 2 });
  client.notify({ uri: a, version: 2, results: newer, ms: 3 });
  assert.deepEqual(panel.posted.at(-1), { type: 'results', results: newer, planName: 'a.moeplan' });
  const count = panel.posted.length;
  client.notify({ uri: 'file:///plans/other.moeplan', version: 1, results: newer, ms: 3 });
  assert.equal(panel.posted.length, count);

  // Switching to another plan follows it; no results yet → a clear message.
  openEditor('/plans/b.moeplan', examplePlanText());
  await settle();
  assert.equal(requests.at(-1)?.params.uri, 'file:///plans/b.moeplan');
  const last = panel.posted.at(-1) as unknown as { type: string; message: string };
  assert.equal(last.type, 'empty');
  assert.match(last.message, /b\.moeplan: no results yet/);
  assert.match(panel.title, /b\.moeplan/);
  view.dispose();
});

test('reveal moves the editor selection to the expert or GPU clicked', async () => {
  const editor = openEditor(EXAMPLE_PLAN, examplePlanText());
  const uri = editor.document.uri.toString();
  const { client } = fakeClient(new Map([[uri, syntheticResults({ layers: 2, experts: 8, gpus: 2, topK: 2 })]]), new Map([[uri, examplePlanText()]]));
  const view = registerView(client);
  view.show(uri);
  const panel = state.panels.at(-1)!;
  panel.fromPage({ type: 'ready' });
  await settle();

  const lines = examplePlanText().split('\n');
  panel.fromPage({ type: 'reveal', target: { kind: 'gpu', gpu: 1, layer: 2 } });
  await waitFor(() => editor.selection !== undefined);
  const gpuLine = lines.findIndex((l, i) => /^\s*gpu 1:/.test(l) && lines.slice(0, i).some((x) => /^\s*layer 2\b/.test(x)));
  assert.equal(editor.selection!.start.line, gpuLine);
  assert.ok(editor.revealed, 'the range is scrolled into view');

  editor.selection = undefined;
  const holder = lines.findIndex((l) => /^\s*gpu 0:/.test(l));
  const lone = /\s(\d+)\s*$/.exec(lines[holder].split('#')[0])![1];
  panel.fromPage({ type: 'reveal', target: { kind: 'expert', expert: Number(lone), gpu: 0, layer: 0 } });
  await waitFor(() => editor.selection !== undefined);
  const sel = editor.selection!;
  assert.equal(sel.start.line, holder);
  assert.equal(lines[holder].slice(sel.start.character, sel.end.character), lone);
  view.dispose();
});

test('a revived panel keeps its charts until the server has fresh results', async () => {
  const editor = openEditor('/plans/c.moeplan', examplePlanText());
  const uri = editor.document.uri.toString();
  const fresh = syntheticResults({ layers: 2, experts: 8, gpus: 2, topK: 2, seed: 3 });
  const answers = new Map<string, PlanResults | null>();
  const { client } = fakeClient(answers);
  client.running = false;
  const view = registerView(client);
  const revived = window_createPanel();
  const old = { ...fresh, uri };
  await state.serializers.get(host.PLACEMENT_VIEW_TYPE)!.deserializeWebviewPanel(revived, { results: old, planName: 'c.moeplan' });
  assert.match(revived.webview.html, /webview\.js/, 'the revived panel gets the page again');
  revived.fromPage({ type: 'ready' });
  await settle();
  assert.deepEqual(revived.posted, [], 'the server is not up yet: the revived charts stay');

  client.running = true;
  view.attach(client as never);
  await settle();
  assert.deepEqual(revived.posted, [], 'the server has nothing newer: the revived charts stay');
  answers.set(uri, fresh);
  client.notify({ uri, version: 1, results: fresh, ms: 1 });
  assert.deepEqual(revived.posted.at(-1), { type: 'results', results: fresh, planName: 'c.moeplan' });
  view.dispose();
});

function window_createPanel(): FakePanel {
  // A panel as VS Code hands it to the serializer.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module the stand-in installed, as the view sees it
  const w = (require('./fakeVscode') as typeof import('./fakeVscode')).window;
  return w.createWebviewPanel(host.PLACEMENT_VIEW_TYPE, 'old title');
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await settle();
  assert.ok(check(), 'condition not reached');
}
