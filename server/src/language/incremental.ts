// Re-parsing after an edit within one line (what typing does): when the
// previous text parsed cleanly and no line break was added or removed,
// every other line keeps its content and its position, so the statements
// that do not touch the edited line are kept as they are, and only the
// innermost statements around the edit are read again. The result is the
// same tree a whole parse gives (test/unit/language-incremental.test.ts);
// anything less simple falls back to a whole parse.
import type { Document, Statement } from './ast';
import { parse, parseRegion, withLazyTokens, type ParseResult } from './parser';

export interface PreviousParse {
  text: string;
  result: ParseResult;
}

/** parse(text), reusing what it can of the previous text's clean parse. */
export function reparse(text: string, previous: PreviousParse | undefined): ParseResult {
  if (!previous) return parse(text);
  return tryReparse(text, previous) ?? parse(text);
}

const isBreak = (k: number) => k === 10 || k === 13;

function hasLineBreak(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (isBreak(text.charCodeAt(i))) return true;
  return false;
}

/** Number of line breaks before offset `to` (`\r\n` counts once). */
function lineOf(text: string, to: number): number {
  let line = 0;
  if (text.lastIndexOf('\r', to) < 0) {
    for (let i = text.indexOf('\n'); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) line++;
    return line;
  }
  for (let i = 0; i < to; i++) {
    const k = text.charCodeAt(i);
    if (k === 10 || (k === 13 && text.charCodeAt(i + 1) !== 10)) line++;
  }
  return line;
}

/** Start of the line holding offset `pos` (not inside a `\r\n`). */
function startOfLine(text: string, pos: number): number {
  let i = pos;
  while (i > 0 && !isBreak(text.charCodeAt(i - 1))) i--;
  return i;
}

/** Start of the line before the one starting at `lineStart` (> 0). */
function startOfPreviousLine(text: string, lineStart: number): number {
  let k = lineStart - 1;
  if (text.charCodeAt(k) === 10 && text.charCodeAt(k - 1) === 13) k--;
  return startOfLine(text, k);
}

/** Start of the line after the one holding `pos`, or the end of the text. */
function startOfNextLine(text: string, pos: number): number {
  let i = pos;
  const n = text.length;
  while (i < n && !isBreak(text.charCodeAt(i))) i++;
  if (i >= n) return n;
  return text.charCodeAt(i) === 13 && text.charCodeAt(i + 1) === 10 ? i + 2 : i + 1;
}

/** First line of a statement with the comments above it that belong to it. */
const firstLine = (s: Statement) => (s.leadingComments.length > 0 ? s.leadingComments[0].range.start.line : s.range.start.line);
/** Last line of a statement with its end-of-line comment. */
const lastLine = (s: Statement) => (s.trailingComment ? Math.max(s.range.end.line, s.trailingComment.range.end.line) : s.range.end.line);

interface Edit {
  text: string;
  /** An offset inside the edited line and its line number. */
  at: number;
  line: number;
}

function tryReparse(text: string, previous: PreviousParse): ParseResult | undefined {
  const { text: old, result } = previous;
  if (text === old) return result;
  if (result.diagnostics.length > 0) return undefined;
  const oldLen = old.length;
  const newLen = text.length;
  const min = Math.min(oldLen, newLen);
  let p = 0;
  while (p < min && old.charCodeAt(p) === text.charCodeAt(p)) p++;
  let s = 0;
  while (s < min - p && old.charCodeAt(oldLen - 1 - s) === text.charCodeAt(newLen - 1 - s)) s++;
  // Only edits inside one line; a `\r` right before the edit might pair with a `\n` after it.
  if (hasLineBreak(old, p, oldLen - s) || hasLineBreak(text, p, newLen - s)) return undefined;
  if (p > 0 && text.charCodeAt(p - 1) === 13) return undefined;
  // The byte-order mark shifts line 0's columns; keep that case simple.
  if (p === 0) return undefined;
  const edit: Edit = { text, at: p, line: lineOf(text, p) };
  const statements = reparseIn(result.document.statements, edit, -1, Infinity);
  if (!statements) return undefined;
  const doc = result.document;
  const document: Document = {
    kind: 'document',
    statements,
    trailingComments: doc.trailingComments,
    range: { start: { line: 0, character: 0 }, end: endOf(text, doc.range.end.line) },
  };
  return withLazyTokens({ document, diagnostics: [] }, text);
}

/** Position past the end of the text, whose last line is `lastLine` (unchanged by the edit). */
function endOf(text: string, lastLine: number): { line: number; character: number } {
  let i = text.length;
  while (i > 0 && !isBreak(text.charCodeAt(i - 1))) i--;
  return { line: lastLine, character: text.length - i };
}

/**
 * The statements of one level (the document or a block whose lines run from
 * `openLine` to `closeLine`) with those touching the edited line read again;
 * undefined when that is not simple.
 */
function reparseIn(statements: Statement[], edit: Edit, openLine: number, closeLine: number): Statement[] | undefined {
  const n = statements.length;
  if (n === 0 || edit.line > lastLine(statements[n - 1])) return undefined; // in the comments after the last statement
  // Lines lo..hi: the edited line and every statement sharing a line with it (or with each other).
  let lo = edit.line;
  let hi = edit.line;
  let i0 = 0;
  let i1 = -1;
  for (;;) {
    i0 = 0;
    while (i0 < n && lastLine(statements[i0]) < lo) i0++;
    i1 = n - 1;
    while (i1 >= 0 && firstLine(statements[i1]) > hi) i1--;
    if (i0 > i1) break;
    const nlo = Math.min(lo, firstLine(statements[i0]));
    const nhi = Math.max(hi, lastLine(statements[i1]));
    if (nlo === lo && nhi === hi) break;
    lo = nlo;
    hi = nhi;
  }
  if (lo <= openLine || hi >= closeLine) return undefined;
  if (i0 === i1) {
    // One statement: when the edit is inside its block, go one level down.
    const st = statements[i0];
    const b = st.block;
    if (b && b.close && edit.line > b.open.start.line && edit.line < b.close.start.line) {
      const inner = reparseIn(b.statements, edit, b.open.start.line, b.close.start.line);
      if (inner) {
        const out = statements.slice();
        out[i0] = { ...st, block: { ...b, statements: inner } };
        return out;
      }
      // Inside the block but not simple there (e.g. among its trailing comments): read the whole statement.
    }
  }
  // Read lines lo..hi again.
  let from = startOfLine(edit.text, edit.at);
  for (let l = edit.line; l > lo; l--) from = startOfPreviousLine(edit.text, from);
  let limit = edit.at;
  for (let l = edit.line; l <= hi; l++) limit = startOfNextLine(edit.text, limit);
  const r = parseRegion(edit.text, from, lo, limit);
  if (r.diagnostics.length > 0 || r.trailingComments.length > 0) return undefined;
  // The lines must hold whole statements: none may run past them (a block opened and not closed there is an error above).
  if (r.statements.length > 0 && lastLine(r.statements[r.statements.length - 1]) > hi) return undefined;
  return [...statements.slice(0, i0), ...r.statements, ...statements.slice(i1 + 1)];
}
