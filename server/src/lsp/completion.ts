// Completion by context: keywords of the enclosing block, presets and option
// values after their keyword, units after a number, expert and GPU ids in
// committed layers and constraints, trace paths from the file system
// (relative to the plan; inside the workspace only when it is untrusted).
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  CompletionItemKind,
  InsertTextFormat,
  type CompletionItem,
  type CompletionOptions,
  type CompletionParams,
} from 'vscode-languageserver';
import type { Plan } from '../plan/types';
import type { ServerContext } from './context';
import { enclosingStatements, insideBlock } from './astUtil';
import { safely } from './safe';
import { insideAny } from './solveManager';
import { GPU_PRESETS, KEYWORDS, MODEL_PRESETS, unitsFor, valuesFor } from './vocabulary';

export const options: CompletionOptions = { triggerCharacters: [' ', '"', '/'] };

const MAX_PATH_ITEMS = 200;
const TRACE_EXT = /\.(jsonl|json|csv|tsv|npy|txt|gz)$/i;

const isNumber = (w: string) => /^-?\d/.test(w);

export function register(ctx: ServerContext): void {
  const lastPlan = new Map<string, Plan>();
  ctx.documents.onDidClose((e) => lastPlan.delete(e.document.uri));
  ctx.connection.onCompletion(
    safely(ctx.log, 'completion', [], (p: CompletionParams): CompletionItem[] => {
      const uri = p.textDocument.uri;
      const doc = ctx.documents.get(uri);
      const a = ctx.fast(uri);
      if (!doc || !a) return [];
      if (a.plan) lastPlan.set(uri, a.plan);
      const plan = a.plan ?? lastPlan.get(uri);
      const prefix = doc.getText({ start: { line: p.position.line, character: 0 }, end: p.position });
      const quotes = (prefix.match(/"/g) ?? []).length;
      if (quotes % 2 === 1) {
        const kw = prefix.trimStart().split(/\s+/)[0];
        return kw === 'trace' ? tracePaths(ctx, a.file, prefix.slice(prefix.lastIndexOf('"') + 1), p) : [];
      }
      if (prefix.includes('#')) return [];
      const chain = a.ast ? enclosingStatements(a.ast, p.position) : [];
      const block = [...chain].reverse().find((s) => s.block && insideBlock(s.block, p.position));
      const context = block ? block.keyword.text : 'top';
      const trailingSpace = /\s$/.test(prefix) || prefix.endsWith(':');
      const words = prefix.replace(/:/g, ' : ').trim().split(/\s+/).filter(Boolean);
      const done = trailingSpace ? words : words.slice(0, -1);
      if (done.length === 0) return keywordItems(context);
      return argumentItems(context, done, plan, context === 'layer');
    }),
  );
}

function keywordItems(context: string): CompletionItem[] {
  const table = KEYWORDS[context] ?? {};
  return Object.entries(table).map(([label, info]) => ({
    label,
    kind: CompletionItemKind.Keyword,
    detail: info.detail,
    insertText: info.snippet ?? label,
    insertTextFormat: info.snippet ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
  }));
}

function words(list: string[], kind: CompletionItemKind, detail?: string): CompletionItem[] {
  return list.map((label, i) => ({ label, kind, detail, sortText: String(i).padStart(4, '0') }));
}

function ids(n: number, exclude: Set<number>, kind: CompletionItemKind, what: string): CompletionItem[] {
  const out: CompletionItem[] = [];
  for (let i = 0; i < n && out.length < 512; i++) {
    if (!exclude.has(i)) out.push({ label: String(i), kind, detail: what, sortText: String(i).padStart(6, '0') });
  }
  return out;
}

function argumentItems(context: string, done: string[], plan: Plan | undefined, inLayer: boolean): CompletionItem[] {
  const kw = done[0]!;
  const last = done[done.length - 1]!;
  const experts = plan?.model.experts.value ?? 0;
  const gpus = plan?.hardware.count ?? 0;
  if (inLayer && kw === 'gpu') {
    if (done.length === 1) return ids(gpus, new Set(), CompletionItemKind.Value, 'GPU');
    if (done.includes(':')) {
      const listed = new Set(done.slice(done.indexOf(':') + 1).filter(isNumber).map(Number));
      return ids(experts, listed, CompletionItemKind.Value, 'expert');
    }
    return [{ label: ':', kind: CompletionItemKind.Operator }];
  }
  if (kw === 'pin' || kw === 'forbid') {
    if (last === 'expert') return ids(experts, new Set(), CompletionItemKind.Value, 'expert');
    if (last === 'gpu') return ids(gpus, new Set(), CompletionItemKind.Value, 'GPU');
    if (last === 'layer') return ids(plan?.model.layers.value ?? 0, new Set(), CompletionItemKind.Value, 'layer');
    if (done.length === 1) return words(kw === 'pin' ? ['expert'] : ['expert', 'gpu'], CompletionItemKind.Keyword);
    if (isNumber(last) && done[done.length - 2] === 'expert') return words(['on'], CompletionItemKind.Keyword);
    if (last === 'on') return words(['gpu'], CompletionItemKind.Keyword);
    if (isNumber(last)) return words(['layer'], CompletionItemKind.Keyword);
    return [];
  }
  if (kw === 'gpu' && context === 'top') {
    if (done.length === 1) return words(GPU_PRESETS, CompletionItemKind.Class, 'GPU preset');
    if (done.length === 2) return words(['x'], CompletionItemKind.Keyword, 'count');
    if (done.length === 4) return words(['in'], CompletionItemKind.Keyword, 'nodes');
    if (done.length === 6 && last !== 'nodes') return words(['nodes'], CompletionItemKind.Keyword);
    return [];
  }
  if (kw === 'model' && context === 'top' && done.length === 1) return words(MODEL_PRESETS, CompletionItemKind.Class, 'model preset');
  if (kw === 'trace' && last.startsWith('"')) return words(['format'], CompletionItemKind.Keyword);
  if (last === 'format') return words(valuesFor(context, 'format') ?? [], CompletionItemKind.EnumMember);
  if (isNumber(last)) {
    return words(unitsFor(kw), CompletionItemKind.Unit, 'unit');
  }
  if (kw === 'reserve' && done.length === 3) return words(['per gpu'], CompletionItemKind.Keyword);
  if (kw === 'slots' && done.length === 2) return words(['per gpu'], CompletionItemKind.Keyword);
  if (kw === 'groups' && done.length === 2) return words(['top'], CompletionItemKind.Keyword);
  if (kw === 'phase' && done.length === 2 && last === 'decode') return words(['output'], CompletionItemKind.Keyword);
  if (done.length === 1) {
    const values = valuesFor(context, kw);
    if (values) return words(values, CompletionItemKind.EnumMember);
  }
  return [];
}

function tracePaths(ctx: ServerContext, planFile: string, typed: string, p: CompletionParams): CompletionItem[] {
  if (!planFile.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(planFile)) return [];
  const slash = Math.max(typed.lastIndexOf('/'), typed.lastIndexOf('\\'));
  const dirPart = slash >= 0 ? typed.slice(0, slash + 1) : '';
  const namePart = slash >= 0 ? typed.slice(slash + 1) : typed;
  const dir = resolve(dirname(planFile), dirPart || '.');
  if (!ctx.trusted() && !insideAny(dir, ctx.workspaceRoots())) return [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const start = { line: p.position.line, character: p.position.character - namePart.length };
  const out: CompletionItem[] = [];
  for (const name of entries.sort()) {
    if (out.length >= MAX_PATH_ITEMS) break;
    if (name.startsWith('.') && !namePart.startsWith('.')) continue;
    if (!name.startsWith(namePart)) continue;
    let isDir = false;
    try {
      isDir = statSync(join(dir, name)).isDirectory();
    } catch {
      continue;
    }
    if (!isDir && !TRACE_EXT.test(name)) continue;
    if (name === 'node_modules') continue;
    const label = isDir ? `${name}/` : name;
    out.push({
      label,
      kind: isDir ? CompletionItemKind.Folder : CompletionItemKind.File,
      textEdit: { range: { start, end: p.position }, newText: label },
      sortText: (isDir ? '0' : '1') + name,
      command: isDir ? { title: 'next', command: 'editor.action.triggerSuggest' } : undefined,
    });
  }
  return out;
}
