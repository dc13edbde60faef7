// Semantic highlighting from the syntax tree: statement keywords, preset
// names, option words, numbers and their units, strings, comments.
import type { SemanticTokensLegend, SemanticTokensOptions } from 'vscode-languageserver';
import type { Comment, Document, Range, Statement, Value } from '../language/ast';
import type { ServerContext } from './context';
import { safely } from './safe';
import { statementWords } from '../plan/vocabulary';

/** `unit` is our own type (package.json maps it to a TextMate scope, superType `type`). */
const legend: SemanticTokensLegend = {
  tokenTypes: ['keyword', 'number', 'string', 'comment', 'operator', 'type', 'enumMember', 'unit'],
  tokenModifiers: ['declaration', 'defaultLibrary'],
};
const T = Object.fromEntries(legend.tokenTypes.map((t, i) => [t, i])) as Record<string, number>;

export const options: SemanticTokensOptions = { legend, full: true, range: false };

/** Words that act as keywords inside a statement (`gpu h100 x 8 in 2 nodes`); other words are values. */
const STATEMENT_WORDS = new Set(statementWords());

interface Tok {
  line: number;
  char: number;
  length: number;
  type: number;
  mods: number;
}

function computeTokens(ast: Document, presetRanges: Range[]): number[] {
  const toks: Tok[] = [];
  const presets = new Set(presetRanges.map((r) => `${r.start.line}:${r.start.character}`));
  const push = (r: Range, type: number, mods = 0): void => {
    if (r.start.line !== r.end.line) return; // LSP tokens are single-line
    const length = r.end.character - r.start.character;
    if (length > 0) toks.push({ line: r.start.line, char: r.start.character, length, type, mods });
  };
  const comment = (c: Comment | undefined): void => {
    if (c) push(c.range, T.comment!);
  };
  const value = (v: Value): void => {
    switch (v.kind) {
      case 'number':
        if (v.unit) {
          push({ start: v.range.start, end: { line: v.range.start.line, character: v.range.start.character + v.raw.length } }, T.number!);
          push(v.unit.range, T.unit!);
        } else push(v.range, T.number!);
        return;
      case 'range':
        value(v.from);
        value(v.to);
        return;
      case 'string':
        push(v.range, T.string!);
        return;
      case 'punct':
        push(v.range, T.operator!);
        return;
      case 'word': {
        const key = `${v.range.start.line}:${v.range.start.character}`;
        if (presets.has(key)) push(v.range, T.type!, 2);
        else if (STATEMENT_WORDS.has(v.text.toLowerCase())) push(v.range, T.keyword!);
        else push(v.range, T.enumMember!);
        return;
      }
    }
  };
  const statement = (s: Statement): void => {
    s.leadingComments.forEach(comment);
    push(s.keyword.range, T.keyword!, s.block ? 1 : 0);
    s.args.forEach(value);
    comment(s.trailingComment);
    if (s.block) {
      s.block.statements.forEach(statement);
      s.block.trailingComments.forEach(comment);
    }
  };
  ast.statements.forEach(statement);
  ast.trailingComments.forEach(comment);
  toks.sort((a, b) => a.line - b.line || a.char - b.char);
  const data: number[] = [];
  let line = 0;
  let char = 0;
  let lastEnd = -1;
  let lastLine = -1;
  for (const t of toks) {
    if (t.line === lastLine && t.char < lastEnd) continue; // overlapping: keep the first
    const dl = t.line - line;
    data.push(dl, dl === 0 ? t.char - char : t.char, t.length, t.type, t.mods);
    line = t.line;
    char = t.char;
    lastLine = t.line;
    lastEnd = t.char + t.length;
  }
  return data;
}

export function register(ctx: ServerContext): void {
  ctx.connection.languages.semanticTokens.on(
    safely(ctx.log, 'semanticTokens', { data: [] }, (p) => {
      const a = ctx.fast(p.textDocument.uri);
      if (!a?.ast) return { data: [] };
      const presets = (a.plan?.refs ?? []).filter((r) => r.kind === 'preset').map((r) => r.range);
      return { data: computeTokens(a.ast, presets) };
    }),
  );
}
