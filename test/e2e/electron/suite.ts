// Runs INSIDE VS Code's extension host (loaded by @vscode/test-electron as
// extensionTestsPath, after esbuild bundles it to CommonJS). The same checks
// as the code-server suite, through the VS Code API. Writes one record per
// check to the results file named in MOEPLAN_ELECTRON_CONFIG; the outer
// node:test file (../test-electron.test.ts) turns them into subtests.
import * as vscode from 'vscode';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ElectronConfig {
  workspace: string;
  results: string;
  plan: string;
  brokenPlan: string;
  brokenLine: number;
  brokenCode: string;
  presetOriginal: string;
  messyPlan: string;
  messyFormatted: string;
  /** 0-based position of an expert id in the plan. */
  expert: { line: number; character: number };
}

export interface CheckRecord {
  name: string;
  ok: boolean;
  detail: string;
  ms: number;
}

function fail(msg: string): never {
  throw new Error(msg);
}

async function until<T>(what: string, ms: number, f: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function hoverText(hovers: vscode.Hover[]): string {
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : String(c)))).join('\n');
}

export async function run(): Promise<void> {
  const cfg = JSON.parse(readFileSync(process.env.MOEPLAN_ELECTRON_CONFIG!, 'utf8')) as ElectronConfig;
  const records: CheckRecord[] = [];
  const uri = (name: string) => vscode.Uri.file(join(cfg.workspace, name));
  const open = async (name: string) => {
    const doc = await vscode.workspace.openTextDocument(uri(name));
    await vscode.window.showTextDocument(doc);
    return doc;
  };
  const check = async (name: string, body: () => Promise<string>) => {
    const t0 = Date.now();
    try {
      records.push({ name, ok: true, detail: await body(), ms: Date.now() - t0 });
    } catch (e) {
      records.push({ name, ok: false, detail: e instanceof Error ? (e.stack ?? e.message) : String(e), ms: Date.now() - t0 });
    }
    writeFileSync(cfg.results, JSON.stringify(records, null, 2));
  };

  const ext = vscode.extensions.all.find((e) => e.packageJSON?.name === 'moeplan');
  await check('extension activates', async () => {
    if (!ext) fail('the moeplan extension is not loaded');
    await ext.activate();
    return `activated ${ext.id}`;
  });

  await check('language and semantic highlighting', async () => {
    const doc = await open(cfg.plan);
    if (doc.languageId !== 'moeplan') fail(`language is ${doc.languageId}`);
    const tokens = await until('semantic tokens', 30_000, async () =>
      vscode.commands.executeCommand<vscode.SemanticTokens | undefined>('vscode.provideDocumentSemanticTokens', doc.uri),
    );
    if (tokens.data.length < 5 * 5) fail(`only ${tokens.data.length / 5} semantic tokens`);
    const types = new Set<number>();
    for (let i = 3; i < tokens.data.length; i += 5) types.add(tokens.data[i]!);
    if (types.size < 3) fail(`only ${types.size} token types`);
    return `${tokens.data.length / 5} tokens of ${types.size} types`;
  });

  await check('completion offers the preset', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'moeplan', content: 'model ' });
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(0, 6));
    const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    if (!labels.includes(cfg.presetOriginal)) fail(`completions ${labels.join(', ')} lack ${cfg.presetOriginal}`);
    return `${labels.length} items`;
  });

  await check('diagnostic with its code on the broken plan', async () => {
    const doc = await open(cfg.brokenPlan);
    const diag = await until('the error diagnostic', 30_000, () =>
      vscode.languages
        .getDiagnostics(doc.uri)
        .find(
          (d) =>
            d.severity === vscode.DiagnosticSeverity.Error &&
            String(typeof d.code === 'object' ? d.code.value : d.code) === cfg.brokenCode &&
            d.range.start.line + 1 === cfg.brokenLine,
        ),
    );
    return `${diag.message}`;
  });

  await check('quick fix restores the preset', async () => {
    const doc = await open(cfg.brokenPlan);
    const diag = vscode.languages.getDiagnostics(doc.uri).find((d) => d.severity === vscode.DiagnosticSeverity.Error) ?? fail('no diagnostic');
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      doc.uri,
      diag.range,
      vscode.CodeActionKind.QuickFix.value,
    );
    const fix =
      actions.find((a) => a.title.includes(cfg.presetOriginal)) ??
      fail(`no fix naming ${cfg.presetOriginal} among: ${actions.map((a) => a.title).join(' | ')}`);
    if (!fix.edit || !(await vscode.workspace.applyEdit(fix.edit))) fail('the fix edit was not applied');
    if (!doc.getText().includes(`model ${cfg.presetOriginal}`)) fail('the text does not name the preset after the fix');
    await doc.save();
    return fix.title;
  });

  await check('solve now, code lens with E[T], hover on an expert', async () => {
    const doc = await open(cfg.plan);
    await vscode.commands.executeCommand('moeplan.solveNow', doc.uri);
    const lens = await until('a code lens with E[T]', 120_000, async () => {
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 10);
      return lenses.find((l) => l.command?.title.includes('E[T]'));
    });
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      doc.uri,
      new vscode.Position(cfg.expert.line, cfg.expert.character),
    );
    const text = hoverText(hovers);
    if (!/expert\s*\d+/i.test(text) || !/\d+(\.\d+)?\s*(%|µs|us)/.test(text)) fail(`hover without the expert's figures: ${text}`);
    return lens.command!.title;
  });

  await check('placement view opens', async () => {
    const doc = await open(cfg.plan);
    await vscode.commands.executeCommand('moeplan.showPlacementView', doc.uri);
    const tab = await until('a webview tab', 30_000, () =>
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview),
    );
    return tab.label;
  });

  await check('apply placement changes the file on disk', async () => {
    const doc = await open(cfg.plan);
    const before = readFileSync(doc.uri.fsPath, 'utf8');
    await vscode.commands.executeCommand('moeplan.solveNow', doc.uri);
    await vscode.commands.executeCommand('moeplan.applyPlacement', doc.uri);
    await until('the edit', 30_000, () => doc.isDirty);
    await doc.save();
    const after = readFileSync(doc.uri.fsPath, 'utf8');
    if (after === before) fail('the file did not change');
    if (!/^\s*gpu\s+\d+\s*:/m.test(after)) fail('no committed gpu line written');
    return `${before.length} → ${after.length} bytes`;
  });

  await check('formatting matches moeplan fmt', async () => {
    const doc = await open(cfg.messyPlan);
    const edits = await vscode.commands.executeCommand<vscode.TextEdit[]>('vscode.executeFormatDocumentProvider', doc.uri, { tabSize: 2, insertSpaces: true });
    const we = new vscode.WorkspaceEdit();
    we.set(doc.uri, edits ?? []);
    await vscode.workspace.applyEdit(we);
    if (doc.getText() !== cfg.messyFormatted) fail('formatted text differs from `moeplan fmt`');
    return `${edits?.length ?? 0} edits`;
  });
}
