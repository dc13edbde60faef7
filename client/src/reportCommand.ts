// "moeplan: Save HTML Report": the page `moeplan report` writes, for the plan
// in the editor and its last results. The server renders it (the same code
// path as the CLI); a local file is written by the server through moeplan's
// one write path, anything else is saved here.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { ReportRequest, sendRequest } from '../../server/src/protocol';

export async function saveReport(c: LanguageClient, uri: string): Promise<void> {
  const plan = vscode.Uri.parse(uri);
  const base =
    plan.path
      .split('/')
      .pop()
      ?.replace(/\.moeplan$/, '') || 'plan';
  const defaultUri = plan.scheme === 'untitled' ? undefined : vscode.Uri.joinPath(plan, '..', `${base}.report.html`);
  const target = await vscode.window.showSaveDialog({ defaultUri, filters: { HTML: ['html'] }, title: 'Save moeplan report' });
  if (!target) return;
  const local = target.scheme === 'file';
  const r = await sendRequest(c, ReportRequest, local ? { uri, outputPath: target.fsPath } : { uri });
  if (!r.ok || (!local && r.html === undefined)) {
    void vscode.window.showWarningMessage(`moeplan: report not saved: ${r.error ?? 'no page'}`);
    return;
  }
  if (!local) await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(r.html!));
  const open = 'Open in Browser';
  const choice = await vscode.window.showInformationMessage(`moeplan: wrote ${vscode.workspace.asRelativePath(target)}`, open);
  if (choice === open) await vscode.env.openExternal(target);
}
