// Completion by context: keywords of the enclosing block, presets and option
// values after their keyword, units after a number, expert and GPU ids in
// committed layers and constraints, trace paths from the file system
// (relative to the plan; untrusted, only what stays inside the workspace
// once links are followed: a link out of it is neither listed nor entered).
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CompletionItemKind, InsertTextFormat, type CompletionItem, type CompletionOptions, type CompletionParams } from 'vscode-languageserver';
import type { Plan } from '../plan/types';
import type { ServerContext } from './context';
import { enclosingStatements, insideBlock } from './astUtil';
import { safely } from './safe';
import { lex } from '../language/lexer';
import { CONTEXTS, TRACE_FORMAT, keywordsOf, unitsAfter } from '../plan/vocabulary';
import { GPU_PRESET_NAMES, MODEL_PRESET_NAMES } from '../plan/presets';

const MODEL_PRESETS = [...MODEL_PRESET_NAMES, 'custom'];
const GPU_PRESETS = [...GPU_PRESET_NAMES, 'custom'];
const SYNTHETIC_OPTIONS = Object.keys(CONTEXTS.workload.keywords.synthetic.options);

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
      const blocks = chain.filter((s) => s.block && insideBlock(s.block, p.position)).map((s) => s.keyword.text.toLowerCase());
      const context = blockContext(blocks);
      const trailingSpace = /\s$/.test(prefix) || prefix.endsWith(':');
      const tokens = lineTokens(prefix);
      const done = trailingSpace ? tokens : tokens.slice(0, -1);
      if (done.length === 0) return keywordItems(context);
      return argumentItems(context, done, plan);
    }),
  );
}

/** The vocabulary context from the enclosing blocks' keywords, outermost first. */
function blockContext(blocks: string[]): string {
  const inner = blocks[blocks.length - 1];
  if (!inner) return 'top';
  return inner === 'layer' && blocks[blocks.length - 2] === 'subsets' ? 'subsets-layer' : inner;
}

interface Word {
  text: string;
  /** A number with no unit after it (a unit may follow). */
  bareNumber: boolean;
}

/**
 * The statement being written, as the lexer reads it (so `52GiB` and `52 GiB`
 * are both a number and its unit): the tokens after the last `{`, `}` or `;`
 * on the line.
 */
function lineTokens(prefix: string): Word[] {
  const all = lex(prefix).tokens.filter((t) => t.kind !== 'comment');
  let from = 0;
  all.forEach((t, i) => {
    if (t.kind === 'newline' || t.kind === 'lbrace' || t.kind === 'rbrace') from = i + 1;
  });
  const toks = all.slice(from);
  return toks.map((t, i) => ({ text: t.text, bareNumber: t.kind === 'number' && toks[i + 1]?.kind !== 'unit' }));
}

function keywordItems(context: string): CompletionItem[] {
  const table = keywordsOf(context);
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

function argumentItems(context: string, done: Word[], plan: Plan | undefined): CompletionItem[] {
  const texts = done.map((w) => w.text);
  const kw = texts[0]!.toLowerCase();
  const info = keywordsOf(context)[kw];
  const last = texts[texts.length - 1]!;
  const lastIsBareNumber = done[done.length - 1]!.bareNumber;
  const experts = plan?.model.experts.value ?? 0;
  const gpus = plan?.hardware.count ?? 0;
  /** Expert ids not yet on the line after `from`. */
  const remainingExperts = (from: number) => ids(experts, new Set(texts.slice(from).filter(isNumber).map(Number)), CompletionItemKind.Value, 'expert');
  if (context === 'layer' && kw === 'gpu') {
    if (texts.length === 1) return ids(gpus, new Set(), CompletionItemKind.Value, 'GPU');
    if (texts.includes(':')) return remainingExperts(texts.indexOf(':') + 1);
    return [{ label: ':', kind: CompletionItemKind.Operator }];
  }
  if ((context === 'subsets' || context === 'subsets-layer') && kw === 'subset') {
    return texts.includes(':') ? [] : remainingExperts(1);
  }
  if (kw === 'synthetic' && context === 'workload') {
    // `synthetic [tokens N] [seed N] …`: an option name first and after each number.
    const tokensUnit = last.toLowerCase() === 'tokens' && texts[texts.length - 3]?.toLowerCase() === 'tokens'; // `tokens 2000 tokens`
    if (texts.length === 1 || isNumber(last) || tokensUnit) {
      const used = new Set(texts.slice(1).map((t) => t.toLowerCase()));
      return words(
        SYNTHETIC_OPTIONS.filter((o) => !used.has(o)),
        CompletionItemKind.Keyword,
        'synthetic option',
      );
    }
    return [];
  }
  if (kw === 'pin' || kw === 'forbid') {
    if (last === 'expert') return ids(experts, new Set(), CompletionItemKind.Value, 'expert');
    if (last === 'gpu') return ids(gpus, new Set(), CompletionItemKind.Value, 'GPU');
    if (last === 'layer') return ids(plan?.model.layers.value ?? 0, new Set(), CompletionItemKind.Value, 'layer');
    if (texts.length === 1) return words(kw === 'pin' ? ['expert'] : ['expert', 'gpu'], CompletionItemKind.Keyword);
    if (isNumber(last) && texts[texts.length - 2] === 'expert') return words(['on'], CompletionItemKind.Keyword);
    if (last === 'on') return words(['gpu'], CompletionItemKind.Keyword);
    if (isNumber(last) && !texts.includes('layer')) return words(['layer'], CompletionItemKind.Keyword);
    return [];
  }
  if (kw === 'gpu' && context === 'top') {
    if (texts.length === 1) return words(GPU_PRESETS, CompletionItemKind.Class, 'GPU preset');
    if (texts.length === 2) return words(['x'], CompletionItemKind.Keyword, 'count');
    if (texts.length === 4) return words(['in'], CompletionItemKind.Keyword, 'nodes');
    if (texts.length === 6 && last !== 'nodes') return words(['nodes'], CompletionItemKind.Keyword);
    return [];
  }
  if (kw === 'model' && context === 'top' && texts.length === 1) return words(MODEL_PRESETS, CompletionItemKind.Class, 'model preset');
  if (kw === 'trace' && last.startsWith('"')) return words(['format'], CompletionItemKind.Keyword);
  if (last === 'format') return words([...TRACE_FORMAT.words], CompletionItemKind.EnumMember);
  if (lastIsBareNumber) {
    const units = unitsAfter(info);
    if (units.length) return words(units, CompletionItemKind.Unit, 'unit');
  }
  if (kw === 'reserve' && texts.length === 3) return words(['per gpu'], CompletionItemKind.Keyword);
  if (kw === 'slots' && texts.length === 2) return words(['per gpu'], CompletionItemKind.Keyword);
  if (kw === 'link' && last === ',') return words([...(info?.values?.words ?? [])], CompletionItemKind.EnumMember);
  if (kw === 'groups' && texts.length === 2) return words(['top'], CompletionItemKind.Keyword);
  if (kw === 'phase' && texts.length === 2 && last === 'decode') return words(['output'], CompletionItemKind.Keyword);
  if (texts.length === 1 && info?.values) return words([...info.values.words], CompletionItemKind.EnumMember);
  return [];
}

function tracePaths(ctx: ServerContext, planFile: string, typed: string, p: CompletionParams): CompletionItem[] {
  if (!planFile.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(planFile)) return [];
  const slash = Math.max(typed.lastIndexOf('/'), typed.lastIndexOf('\\'));
  const dirPart = slash >= 0 ? typed.slice(0, slash + 1) : '';
  const namePart = slash >= 0 ? typed.slice(slash + 1) : typed;
  const dir = ctx.readable(resolve(dirname(planFile), dirPart || '.'));
  if (dir === undefined) return [];
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
    // Through the trust gate: an entry that is a link out of the workspace is not shown.
    const entry = ctx.readable(join(dir, name));
    if (entry === undefined) continue;
    let isDir = false;
    try {
      isDir = statSync(entry).isDirectory();
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
