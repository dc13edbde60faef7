// Canonical formatting of .moeplan text: one statement per line, two-space
// indentation, single spaces between values, `:`/`,` attached to the value
// before them, units after a space (`52 GiB`) except `%`, at most one blank
// line kept between statements, every comment kept where it was (own-line
// comments above their statement, end-of-line comments after it). Numbers
// and strings are written as the user wrote them. Idempotent: formatting
// formatted text changes nothing. Text with syntax errors is refused rather
// than guessed at. The file's line end (LF, CRLF or CR) and a leading
// byte-order mark are kept.
import type { Block, Comment, Document, NumberValue, Statement, Value } from './ast';
import { parse } from './parser';
import { looksLikeUnit } from './units';

const INDENT = '  ';

export function formatText(text: string): { text: string } | { error: string } {
  const parsed = parse(text);
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    const e = errors[0];
    return {
      error: `cannot format: ${errors.length} syntax error${errors.length > 1 ? 's' : ''}; first at line ${e.range.start.line + 1}, column ${e.range.start.character + 1}: ${e.message}`,
    };
  }
  const bom = text.charCodeAt(0) === 0xfeff ? '\ufeff' : '';
  return { text: bom + formatDocument(parsed.document, detectEol(text)) };
}

/** Line ending of the text: that of its first line break (CRLF, CR or LF); LF when it has none. */
function detectEol(text: string): string {
  const m = /\r\n|\r|\n/.exec(text);
  return m ? m[0] : '\n';
}

function formatDocument(doc: Document, eol = '\n'): string {
  const out: string[] = [];
  printItems(out, doc.statements, doc.trailingComments, 0);
  return out.length === 0 ? '' : out.join(eol) + eol;
}

/** Print statements and the comments around them, keeping single blank lines. */
function printItems(out: string[], statements: Statement[], trailing: Comment[], depth: number) {
  const pad = INDENT.repeat(depth);
  let prevEnd = -1; // last source line printed in this container
  const gap = (line: number) => {
    if (prevEnd >= 0 && line > prevEnd + 1) out.push('');
  };
  for (const s of statements) {
    for (const c of s.leadingComments) {
      gap(c.range.start.line);
      out.push(pad + c.text);
      prevEnd = c.range.end.line;
    }
    gap(s.range.start.line);
    printStatement(out, s, depth);
    prevEnd = s.trailingComment ? Math.max(s.range.end.line, s.trailingComment.range.end.line) : s.range.end.line;
  }
  for (const c of trailing) {
    gap(c.range.start.line);
    out.push(pad + c.text);
    prevEnd = c.range.end.line;
  }
}

function printStatement(out: string[], s: Statement, depth: number) {
  const pad = INDENT.repeat(depth);
  let head = pad + s.keyword.text + printArgs(s.args);
  const tail = s.trailingComment ? '  ' + s.trailingComment.text : '';
  if (!s.block) {
    out.push(head + tail);
    return;
  }
  const b: Block = s.block;
  if (b.statements.length === 0 && b.trailingComments.length === 0 && !b.openComment) {
    out.push(head + ' {}' + tail);
    return;
  }
  head += ' {';
  if (b.openComment) head += '  ' + b.openComment.text;
  out.push(head);
  printItems(out, b.statements, b.trailingComments, depth + 1);
  out.push(pad + '}' + tail);
}

function printArgs(args: Value[]): string {
  let s = '';
  for (const a of args) {
    if (a.kind === 'punct' && a.text !== '=') s += a.text;
    else s += ' ' + printValue(a);
  }
  return s;
}

export function printValue(v: Value): string {
  switch (v.kind) {
    case 'word':
      return v.text;
    case 'string':
      return v.raw;
    case 'punct':
      return v.text;
    case 'number':
      return printNumber(v);
    case 'range':
      return printNumber(v.from) + '..' + printNumber(v.to);
  }
}

function printNumber(n: NumberValue): string {
  if (!n.unit) return n.raw;
  const u = n.unit.text;
  // A unit the lexer would not read after a space stays attached, so the meaning never changes.
  if (u === '%' || !looksLikeUnit(u)) return n.raw + u;
  return n.raw + ' ' + u;
}
