// The placement view's host in the extension. registerPlacementView also
// registers the panel serializer, which revives the panel after a window
// reload (hence "onWebviewPanel:moeplan.placement" in package.json's
// activationEvents); attach(client) after every start of the client.
//
// The panel follows the active .moeplan editor, asks the server for the last
// results (GetResultsRequest), updates on ResultsReadyNotification, and moves
// the editor cursor to an expert or GPU the user clicks in the view.
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  GetResultsRequest,
  ResultsReadyNotification,
  RevealRequest,
  onNotification,
  sendRequest,
  type FromWebview,
  type ResultsReadyParams,
  type RevealResponse,
  type RevealTarget,
  type ToWebview,
} from '../../server/src/protocol';
import { placementViewHtml } from './placementViewHtml';

export const PLACEMENT_VIEW_TYPE = 'moeplan.placement';
const LANGUAGE_ID = 'moeplan';

/** What the webview keeps with setState; the serializer reads `results.uri`. */
interface SavedState {
  results?: { uri?: string };
}

function sameUri(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  if (a === b) return true;
  try {
    return vscode.Uri.parse(a).toString() === vscode.Uri.parse(b).toString();
  } catch {
    return false;
  }
}

function displayName(uri: string): string {
  try {
    return basename(vscode.Uri.parse(uri).path);
  } catch {
    return uri;
  }
}

export class PlacementView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private panelDisposables: vscode.Disposable[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private notification: vscode.Disposable | undefined;
  /** The plan shown (URI string). */
  private uri: string | undefined;
  /** The page said it is ready for data. */
  private ready = false;
  /** Plan whose results the page shows (posted, or revived from its state). */
  private shown: string | undefined;
  /** Last results per plan, from notifications. */
  private readonly latest = new Map<string, ResultsReadyParams>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly getClient: () => LanguageClient | undefined,
  ) {
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        const doc = editor?.document;
        if (!this.panel || doc?.languageId !== LANGUAGE_ID) return;
        const uri = doc.uri.toString();
        if (!sameUri(uri, this.uri)) {
          this.uri = uri;
          void this.push();
        }
      }),
    );
  }

  /** Listen for results (call after the client starts, and again after a restart). */
  attach(client: LanguageClient): void {
    this.notification?.dispose();
    this.notification = onNotification(client, ResultsReadyNotification, (p) => {
      this.latest.set(p.uri, p);
      if (this.panel && sameUri(p.uri, this.uri)) void this.post(this.messageFor(p));
    });
    // A panel revived before the client started is waiting for fresh data.
    void this.push();
  }

  /** Open (or bring forward) the view for a plan: the given URI or the active .moeplan editor. */
  show(uri?: string): void {
    const target = uri ?? this.activePlan();
    if (target) this.uri = target;
    if (this.panel) {
      this.panel.reveal(undefined, true);
      void this.push();
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      PLACEMENT_VIEW_TYPE,
      this.title(),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      this.webviewOptions(),
    );
    this.adopt(panel);
  }

  /** Take over a panel: a new one, or one VS Code revives after a reload. */
  adopt(panel: vscode.WebviewPanel, state?: SavedState): void {
    this.panel?.dispose();
    this.panel = panel;
    this.ready = false;
    this.shown = state?.results?.uri ? this.toUriString(state.results.uri) : undefined;
    if (!this.uri && this.shown) this.uri = this.shown;
    this.uri ??= this.activePlan();
    panel.webview.options = this.webviewOptions();
    panel.title = this.title();
    const dist = vscode.Uri.joinPath(this.context.extensionUri, 'dist');
    panel.webview.html = placementViewHtml({
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css')).toString(),
      cspSource: panel.webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
      title: this.title(),
    });
    this.panelDisposables.push(
      panel.webview.onDidReceiveMessage((m: FromWebview) => this.receive(m)),
      panel.onDidDispose(() => {
        if (this.panel !== panel) return;
        this.panel = undefined;
        this.ready = false;
        for (const d of this.panelDisposables.splice(0)) d.dispose();
      }),
    );
  }

  dispose(): void {
    this.notification?.dispose();
    this.panel?.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private webviewOptions(): vscode.WebviewOptions {
    return {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, 'dist')],
    };
  }

  private title(): string {
    return this.uri ? `Placement: ${displayName(this.uri)}` : 'moeplan placement';
  }

  private activePlan(): string | undefined {
    const doc = vscode.window.activeTextEditor?.document;
    if (doc?.languageId === LANGUAGE_ID) return doc.uri.toString();
    return vscode.window.visibleTextEditors.find((e) => e.document.languageId === LANGUAGE_ID)?.document.uri.toString();
  }

  /** Results in the state may carry a path (CLI) or a URI (server). */
  private toUriString(s: string): string {
    return /^[a-z][a-z0-9+.-]*:/i.test(s) && !/^[a-z]:[\\/]/i.test(s) ? s : vscode.Uri.file(s).toString();
  }

  private receive(m: FromWebview): void {
    if (!m || typeof m !== 'object') return;
    if (m.type === 'ready') {
      this.ready = true;
      void this.push();
    } else if (m.type === 'reveal') {
      void this.reveal(m.target);
    }
  }

  private messageFor(p: ResultsReadyParams | null | undefined): ToWebview {
    const name = this.uri ? displayName(this.uri) : 'plan';
    if (p?.results) return { type: 'results', results: p.results, planName: name };
    if (p?.error) return { type: 'empty', message: `${name}: the analysis failed — ${p.error.message}` };
    return { type: 'empty', message: `${name}: no results yet. Save the plan, or run "moeplan: Solve Now".` };
  }

  /** Send the tracked plan's results: cached from a notification, else asked from the server. */
  private async push(): Promise<void> {
    const panel = this.panel;
    if (!panel || !this.ready) return;
    panel.title = this.title();
    const uri = this.uri;
    if (!uri) {
      await this.post({ type: 'empty', message: 'Open a .moeplan file to see its placement.' });
      return;
    }
    const cached = [...this.latest.entries()].find(([k]) => sameUri(k, uri))?.[1];
    if (cached?.results) {
      await this.post(this.messageFor(cached));
      return;
    }
    // Keep what the page shows for this plan (e.g. revived after a reload)
    // until the server has something newer; attach() and the notification
    // bring it.
    const keep = sameUri(this.shown, uri);
    const client = this.getClient();
    if (!client?.isRunning()) {
      if (!keep) await this.post({ type: 'empty', message: 'Waiting for the moeplan language server…' });
      return;
    }
    try {
      const r = await sendRequest(client, GetResultsRequest, { uri });
      if (!sameUri(uri, this.uri)) return;
      if (r?.results || !keep) await this.post(this.messageFor(r ?? cached));
    } catch (e) {
      if (!keep) await this.post({ type: 'empty', message: `Could not get results: ${(e as Error).message}` });
    }
  }

  private async post(message: ToWebview): Promise<void> {
    if (!this.panel || !this.ready) return;
    this.shown = message.type === 'results' ? this.uri : message.type === 'empty' ? undefined : this.shown;
    await this.panel.webview.postMessage(message);
  }

  /** Move the plan's editor cursor to the expert or GPU clicked in the view. */
  private async reveal(target: RevealTarget): Promise<void> {
    if (!this.uri) return;
    const uri = vscode.Uri.parse(this.uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    const client = this.getClient();
    let answer: RevealResponse | null = null;
    try {
      if (client?.isRunning()) answer = await sendRequest(client, RevealRequest, { uri: uri.toString(), target });
    } catch (e) {
      vscode.window.setStatusBarMessage(`moeplan: could not ask the language server where to reveal: ${(e as Error).message}`, 4000);
    }
    const visible = vscode.window.visibleTextEditors.find((e) => e.document === doc);
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: visible?.viewColumn ?? vscode.ViewColumn.One, preserveFocus: false });
    if (!answer) {
      vscode.window.setStatusBarMessage(`moeplan: could not find ${target.kind === 'gpu' ? `GPU ${target.gpu}` : `expert ${target.expert}`} in the plan`, 4000);
      return;
    }
    const r = answer.range;
    const range = new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
    editor.selection = new vscode.Selection(range.start, range.end);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    if (answer.note) vscode.window.setStatusBarMessage(`moeplan: ${answer.note}`, 4000);
  }
}

/**
 * Create the placement view and register its panel serializer (revives the
 * panel after a window reload). Returns the view: call `attach(client)` once
 * the language client runs and `show(uri?)` from the command.
 */
export function registerPlacementView(context: vscode.ExtensionContext, getClient: () => LanguageClient | undefined): PlacementView {
  const view = new PlacementView(context, getClient);
  context.subscriptions.push(
    view,
    vscode.window.registerWebviewPanelSerializer(PLACEMENT_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        view.adopt(panel, (state ?? undefined) as SavedState | undefined);
      },
    }),
  );
  return view;
}
