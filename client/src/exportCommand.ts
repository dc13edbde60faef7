// "moeplan: Export Placement…": pick an engine format, save the file, then
// show the engine flags that go with it (the same text `moeplan export`
// prints) in an output channel, with a button that copies the flags. The
// server computes everything; the client only asks, saves and shows.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { ExportRequest, sendRequest, type ExportFormat, type ExportParams, type ExportResponse } from '../../server/src/protocol';

const FORMATS: { label: string; format: ExportFormat; detail: string }[] = [
  { label: 'SGLang', format: 'sglang', detail: 'expert location file for --init-expert-location' },
  { label: 'TensorRT-LLM', format: 'trtllm', detail: 'MoE load balancer placement (YAML for moe_config.load_balancer)' },
  { label: 'vLLM-Ascend', format: 'vllm-ascend', detail: 'expert map JSON for eplb_config.expert_map_path' },
  { label: 'JSON', format: 'json', detail: "moeplan's own placement JSON (any placement)" },
];

let channel: vscode.OutputChannel | undefined;

export async function exportPlacement(c: LanguageClient, uri: string): Promise<void> {
  const pick = await vscode.window.showQuickPick(FORMATS, { title: 'moeplan: export the placement as…' });
  if (!pick) return;
  const first = await request(c, { uri, format: pick.format });
  if (!first.ok || first.content === undefined) {
    void vscode.window.showWarningMessage(`moeplan: export failed: ${first.error ?? 'no content'}`);
    return;
  }
  const defaultUri = vscode.Uri.joinPath(vscode.Uri.parse(uri), '..', first.suggestedName ?? `placement.${pick.format}.json`);
  const target = await vscode.window.showSaveDialog({ defaultUri, title: `Save ${pick.label} placement` });
  if (!target) return;
  // A local file is written by the server through moeplan's one write path (never over the
  // plan or its trace, no FIFO or read-only file replaced); the flags name the saved file.
  const local = target.scheme === 'file';
  const r = local ? await request(c, { uri, format: pick.format, outputPath: target.fsPath, write: true }) : first;
  if (!r.ok || (!local && r.content === undefined)) {
    void vscode.window.showWarningMessage(`moeplan: export failed: ${r.error ?? 'no content'}`);
    return;
  }
  if (!local) await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(r.content!));
  const shown = vscode.workspace.asRelativePath(target);
  show(shown, r);
  for (const w of r.warnings ?? []) void vscode.window.showWarningMessage(`moeplan: ${w}`);
  if (!r.launch) {
    void vscode.window.showInformationMessage(`moeplan: wrote ${shown}`);
    return;
  }
  const copy = 'Copy Launch Arguments';
  const open = 'Show';
  const flags = r.launch.flags;
  const choice = await vscode.window.showInformationMessage(
    `moeplan: wrote ${shown}. Launch ${r.launch.engine} with ${flags.length > 160 ? 'the flags in the "moeplan export" output' : flags}`,
    copy,
    open,
  );
  if (choice === copy) {
    await vscode.env.clipboard.writeText(flags);
    vscode.window.setStatusBarMessage('moeplan: launch arguments copied', 3000);
  } else if (choice === open) channel?.show(true);
}

function request(c: LanguageClient, p: ExportParams): Promise<ExportResponse> {
  return sendRequest(c, ExportRequest, p);
}

function show(file: string, r: ExportResponse): void {
  channel ??= vscode.window.createOutputChannel('moeplan export');
  channel.appendLine(`wrote ${file}`);
  for (const w of r.warnings ?? []) channel.appendLine(`warning: ${w}`);
  for (const n of r.notes ?? []) channel.appendLine(`note: ${n}`);
  if (r.launch) channel.append(r.launch.text);
  channel.appendLine('');
}
