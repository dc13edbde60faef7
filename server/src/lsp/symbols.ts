// Outline (document symbols) and folding ranges from the syntax tree.
import { FoldingRangeKind, SymbolKind, type DocumentSymbol, type FoldingRange } from 'vscode-languageserver';
import type { Comment, Statement } from '../language/ast';
import type { ServerContext } from './context';
import { statementHeader } from './astUtil';
import { safely } from './safe';

const KIND: Record<string, SymbolKind> = {
  model: SymbolKind.Class,
  gpu: SymbolKind.Struct,
  link: SymbolKind.Interface,
  reserve: SymbolKind.Property,
  slots: SymbolKind.Property,
  workload: SymbolKind.Module,
  placement: SymbolKind.Namespace,
  layer: SymbolKind.Array,
  offload: SymbolKind.Module,
  trace: SymbolKind.File,
  policy: SymbolKind.EnumMember,
  pin: SymbolKind.Constant,
  forbid: SymbolKind.Constant,
};

function toSymbol(s: Statement, nested: boolean): DocumentSymbol {
  const name = statementHeader(s);
  const children = s.block ? s.block.statements.map((c) => toSymbol(c, true)) : undefined;
  return {
    name: name.length > 80 ? name.slice(0, 77) + '…' : name,
    kind: nested && s.keyword.text === 'gpu' ? SymbolKind.Field : (KIND[s.keyword.text] ?? SymbolKind.Property),
    range: s.range,
    selectionRange: s.keyword.range,
    children,
  };
}

export function register(ctx: ServerContext): void {
  ctx.connection.onDocumentSymbol(
    safely(ctx.log, 'documentSymbol', [], (p) => {
      const ast = ctx.fast(p.textDocument.uri)?.ast;
      return ast ? ast.statements.map((s) => toSymbol(s, false)) : [];
    }),
  );

  ctx.connection.onFoldingRanges(
    safely(ctx.log, 'foldingRange', [], (p) => {
      const ast = ctx.fast(p.textDocument.uri)?.ast;
      if (!ast) return [];
      const out: FoldingRange[] = [];
      const comments: Comment[] = [...ast.trailingComments];
      const visit = (list: Statement[]): void => {
        for (const s of list) {
          comments.push(...s.leadingComments);
          if (s.block) {
            const end = s.block.close ? s.block.close.start.line - 1 : s.block.range.end.line;
            if (end > s.range.start.line) out.push({ startLine: s.range.start.line, endLine: end });
            comments.push(...s.block.trailingComments);
            visit(s.block.statements);
          }
        }
      };
      visit(ast.statements);
      // Runs of two or more full-line comments fold as one.
      comments.sort((a, b) => a.range.start.line - b.range.start.line);
      let runStart = -1;
      let prev = -2;
      for (const c of comments) {
        const line = c.range.start.line;
        if (line !== prev + 1) {
          if (runStart >= 0 && prev > runStart) out.push({ startLine: runStart, endLine: prev, kind: FoldingRangeKind.Comment });
          runStart = line;
        }
        prev = line;
      }
      if (runStart >= 0 && prev > runStart) out.push({ startLine: runStart, endLine: prev, kind: FoldingRangeKind.Comment });
      return out;
    }),
  );
}
