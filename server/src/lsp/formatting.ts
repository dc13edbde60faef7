// Document and range formatting: the core formatter rewrites the whole text;
// the server sends only the lines that changed (range formatting keeps the
// edits that touch the range).
import type { Range, TextEdit } from 'vscode-languageserver';
import type { ServerContext } from './context';
import { formatPlanText } from './fastAnalysis';
import { safely } from './safe';
import { lineEdits } from './textDiff';

export function formatEdits(text: string): TextEdit[] {
  const formatted = formatPlanText(text);
  return formatted === undefined ? [] : lineEdits(text, formatted);
}

/** Whether the edit changes a line inside the range (an edit ending at column 0 ends on the line before). */
function touches(edit: TextEdit, r: Range): boolean {
  const { start, end } = edit.range;
  const lastLine = end.character === 0 && end.line > start.line ? end.line - 1 : end.line;
  return !(lastLine < r.start.line || start.line > r.end.line);
}

export function register(ctx: ServerContext): void {
  ctx.connection.onDocumentFormatting(
    safely(ctx.log, 'formatting', [], (p) => {
      const doc = ctx.documents.get(p.textDocument.uri);
      return doc ? formatEdits(doc.getText()) : [];
    }),
  );
  ctx.connection.onDocumentRangeFormatting(
    safely(ctx.log, 'rangeFormatting', [], (p) => {
      const doc = ctx.documents.get(p.textDocument.uri);
      return doc ? formatEdits(doc.getText()).filter((e) => touches(e, p.range)) : [];
    }),
  );
}
