// The VS Code side of moeplan: starts the bundled language server over IPC,
// registers the commands, the language status item and the placement view.
// The work itself happens in the server (dist/server.js) and its workers.
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import {
  ApplyCapacityRequest,
  ApplyPlacementRequest,
  SolveRequest,
  WorkspaceTrustNotification,
  sendNotification,
  sendRequest,
  type SolveResponse,
} from '../../server/src/protocol';
import { SolveStatus } from './status';
import { registerPlacementView } from './placementView';
import { exportPlacement } from './exportCommand';
import { saveReport } from './reportCommand';
import { registerTasks } from './tasks';
import { NEW_PLAN_TEMPLATE } from './planTemplate';
import { VERSION } from '../../server/src/version';

const LANGUAGE_ID = 'moeplan';
let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const serverModule = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: LANGUAGE_ID },
      { scheme: 'untitled', language: LANGUAGE_ID },
    ],
    synchronize: { configurationSection: 'moeplan' },
    initializationOptions: {
      trusted: vscode.workspace.isTrusted,
      settings: vscode.workspace.getConfiguration('moeplan'),
    },
    outputChannelName: 'moeplan',
  };
  client = new LanguageClient('moeplan', 'moeplan language server', serverOptions, clientOptions);

  const status = new SolveStatus();
  context.subscriptions.push(status);
  // The placement view registers its panel serializer too.
  const view = registerPlacementView(context, () => client);

  const hookNotifications = (c: LanguageClient): void => {
    status.attach(c);
    view.attach(c);
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('moeplan.solveNow', (arg?: unknown) => solveNow(arg)),
    vscode.commands.registerCommand('moeplan.applyPlacement', (arg?: unknown) => applyPlacement(arg)),
    vscode.commands.registerCommand('moeplan.applyCapacity', (arg?: unknown) => applyCapacity(arg)),
    vscode.commands.registerCommand('moeplan.export', (arg?: unknown) => exportPlan(arg)),
    vscode.commands.registerCommand('moeplan.showPlacementView', (arg?: unknown) => view.show(planUri(arg))),
    vscode.commands.registerCommand('moeplan.newPlan', () => newPlan()),
    vscode.commands.registerCommand('moeplan.showOutput', () => client?.outputChannel.show(true)),
    vscode.commands.registerCommand('moeplan.saveReport', (arg?: unknown) => reportPlan(arg)),
    registerTasks(),
    vscode.commands.registerCommand('moeplan.restartServer', async () => {
      if (!client) return;
      if (client.isRunning()) await client.restart();
      else await client.start();
      hookNotifications(client);
      vscode.window.setStatusBarMessage('moeplan: language server restarted', 3000);
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      if (client) sendNotification(client, WorkspaceTrustNotification, { trusted: true });
      status.setTrusted(true);
    }),
  );
  status.setTrusted(vscode.workspace.isTrusted);

  try {
    await client.start();
    hookNotifications(client);
    // Both versions come from the builds: a server from another build shows here.
    client.outputChannel.appendLine(`moeplan ${VERSION}; language server ${client.initializeResult?.serverInfo?.version ?? 'of unknown version'}`);
  } catch (e) {
    // Keep the commands (restart can retry) rather than failing activation.
    void vscode.window.showErrorMessage(`moeplan: the language server did not start: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) await c.stop();
}

/** The plan a command acts on: its argument (URI or string) or the active moeplan editor. */
function planUri(arg: unknown): string | undefined {
  if (arg instanceof vscode.Uri) return arg.toString();
  if (typeof arg === 'string' && arg.includes(':')) return arg;
  const doc = vscode.window.activeTextEditor?.document;
  if (doc?.languageId === LANGUAGE_ID) return doc.uri.toString();
  return vscode.workspace.textDocuments.find((d) => d.languageId === LANGUAGE_ID)?.uri.toString();
}

function ready(): LanguageClient | undefined {
  if (!client || !client.isRunning()) {
    void vscode.window.showWarningMessage('moeplan: the language server is not running. Run "moeplan: Restart Language Server".');
    return undefined;
  }
  return client;
}

async function solveNow(arg: unknown): Promise<SolveResponse | undefined> {
  const uri = planUri(arg);
  const c = ready();
  if (!uri || !c) {
    if (!uri) void vscode.window.showInformationMessage('moeplan: open a .moeplan file to solve it.');
    return undefined;
  }
  const r = await sendRequest(c, SolveRequest, { uri });
  if (r?.error && r.error.kind !== 'superseded') void vscode.window.showWarningMessage(`moeplan: ${r.error.message}`);
  return r;
}

async function applyPlacement(arg: unknown): Promise<void> {
  const uri = planUri(arg);
  const c = ready();
  if (!uri || !c) return;
  const r = await sendRequest(c, ApplyPlacementRequest, { uri });
  if (!r.applied) void vscode.window.showWarningMessage(`moeplan: placement not written: ${r.message ?? 'the editor refused the edit'}`);
}

async function applyCapacity(arg: unknown): Promise<void> {
  const uri = planUri(arg);
  const c = ready();
  if (!uri || !c) return;
  const r = await sendRequest(c, ApplyCapacityRequest, { uri });
  if (!r.applied) void vscode.window.showWarningMessage(`moeplan: slots and batch not written: ${r.message ?? 'the editor refused the edit'}`);
}

async function exportPlan(arg: unknown): Promise<void> {
  const uri = planUri(arg);
  const c = ready();
  if (!uri || !c) return;
  await exportPlacement(c, uri);
}

/** An untitled plan from the template, in an editor, ready to save and solve. */
async function newPlan(): Promise<void> {
  const doc = await vscode.workspace.openTextDocument({ language: LANGUAGE_ID, content: NEW_PLAN_TEMPLATE });
  await vscode.window.showTextDocument(doc);
}

async function reportPlan(arg: unknown): Promise<void> {
  const uri = planUri(arg);
  const c = ready();
  if (!uri || !c) {
    if (!uri) void vscode.window.showInformationMessage('moeplan: open a .moeplan file to save its report.');
    return;
  }
  await saveReport(c, uri);
}
