// The lexer and parser as they were before the allocation-free scanner
// (commit 296b76c), kept verbatim as an independent reference: the fast
// path must produce deep-equal trees, tokens and diagnostics.
/* eslint-disable */
import type { Block, Comment, Document, NumberValue, Range, Statement, Token, TokenKind, Value, WordValue } from '../../server/src/language/ast';
import type { Diagnostic } from '../../server/src/language/diagnostic';
import { looksLikeUnit } from '../../server/src/language/units';

/** A token plus what the parser needs (kept small: a 5,000-line plan has ~40,000 tokens). */
export interface LexToken extends Token {
  /** For numbers: the parsed value (NaN when malformed). */
  value?: number;
  /** For strings: the unescaped contents. */
  str?: string;
}

export interface LexResult {
  tokens: LexToken[];
  diagnostics: Diagnostic[];
  /** Offset of the start of each line. */
  lineStarts: number[];
  /** Position just past the end of the text. */
  end: { line: number; character: number };
}

// Character classes on UTF-16 code units (charCodeAt; NaN past the end is in no class).
// ASCII is decided by comparisons; the Unicode regex is only consulted above 127.
const LETTER = /\p{L}/u;
const isDigit = (k: number) => k >= 48 && k <= 57;
const isLetterAt = (text: string, i: number): boolean => {
  const k = text.charCodeAt(i);
  if (k < 128) return (k >= 97 && k <= 122) || (k >= 65 && k <= 90) || k === 95;
  return k === k && LETTER.test(text[i]); // k === k: not NaN
};
/** Letters, digits, `_`, and `/` (units such as GB/s). */
const isUnitCharAt = (text: string, i: number): boolean => {
  const k = text.charCodeAt(i);
  if (k < 128) return (k >= 97 && k <= 122) || (k >= 65 && k <= 90) || (k >= 48 && k <= 57) || k === 95 || k === 47;
  return k === k && LETTER.test(text[i]);
};
/** Unit characters plus `-` and `+` (words such as mixtral-8x7b, greedy+search). */
const isWordCharAt = (text: string, i: number): boolean => {
  const k = text.charCodeAt(i);
  return k === 45 || k === 43 || isUnitCharAt(text, i);
};

export function referenceLex(text: string): LexResult {
  const tokens: LexToken[] = [];
  const diagnostics: Diagnostic[] = [];
  const lineStarts = [0];
  let line = 0;
  let lineStart = 0;
  let i = 0;
  const n = text.length;

  const pos = (offset: number) => ({ line, character: offset - lineStart });
  const push = (kind: TokenKind, start: number, end: number, value?: number, str?: string): LexToken => {
    const t: LexToken = {
      kind,
      text: text.slice(start, end),
      range: { start: pos(start), end: pos(end) },
      value,
      str,
    };
    tokens.push(t);
    return t;
  };
  const error = (range: Range, code: string, message: string) =>
    diagnostics.push({ range, severity: 'error', code, message });

  if (text.charCodeAt(0) === 0xfeff) {
    i = 1; // byte-order mark
  }

  while (i < n) {
    const k = text.charCodeAt(i);
    // space, tab, form feed, vertical tab, no-break space
    if (k === 32 || k === 9 || k === 12 || k === 11 || k === 0xa0) {
      i++;
      continue;
    }
    if (k === 10 || k === 13) {
      const len = k === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
      const t: LexToken = { kind: 'newline', text: len === 2 ? '\r\n' : text[i], range: { start: pos(i), end: { line: line + 1, character: 0 } } };
      // A line break runs from the end of its line to the start of the next, as in LSP.
      tokens.push(t);
      i += len;
      line++;
      lineStart = i;
      lineStarts.push(i);
      continue;
    }
    if (k === 59 /* ; */) {
      push('newline', i, i + 1);
      i++;
      continue;
    }
    if (k === 35 /* # */) {
      let j = i;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 10 || d === 13) break;
        j++;
      }
      push('comment', i, j);
      i = j;
      continue;
    }
    if (k === 123 /* { */) {
      push('lbrace', i, i + 1);
      i++;
      continue;
    }
    if (k === 125 /* } */) {
      push('rbrace', i, i + 1);
      i++;
      continue;
    }
    if (k === 58 || k === 44 || k === 61 /* : , = */) {
      push('punct', i, i + 1);
      i++;
      continue;
    }
    if (k === 46 && text.charCodeAt(i + 1) === 46 /* .. */) {
      push('range', i, i + 2);
      i += 2;
      continue;
    }
    if (k === 34 /* " */) {
      let j = i + 1;
      let value = '';
      let closed = false;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 10 || d === 13) break;
        if (d === 34) {
          closed = true;
          j++;
          break;
        }
        const e = text.charCodeAt(j + 1);
        if (d === 92 /* \ */ && j + 1 < n && e !== 10 && e !== 13) {
          value += e === 110 ? '\n' : e === 116 ? '\t' : text[j + 1];
          j += 2;
          continue;
        }
        value += text[j];
        j++;
      }
      const t = push('string', i, j, undefined, value);
      if (!closed) {
        error(t.range, 'MP102', 'This string is never closed: add a closing `"` before the end of the line.');
      }
      i = j;
      continue;
    }
    if (isDigit(k) || ((k === 45 || k === 43) && isDigit(text.charCodeAt(i + 1)))) {
      let j = i + 1;
      let underscore = false;
      // Integer part, then an optional fraction; `_` may separate digits.
      for (let part = 0; part < 2; part++) {
        for (;;) {
          const d = text.charCodeAt(j);
          if (isDigit(d)) j++;
          else if (d === 95 && isDigit(text.charCodeAt(j + 1))) {
            underscore = true;
            j++;
          } else break;
        }
        if (part === 0 && text.charCodeAt(j) === 46 && isDigit(text.charCodeAt(j + 1))) j++;
        else break;
      }
      const e = text.charCodeAt(j);
      const e1 = text.charCodeAt(j + 1);
      if ((e === 101 || e === 69) && (isDigit(e1) || ((e1 === 45 || e1 === 43) && isDigit(text.charCodeAt(j + 2))))) {
        j += 2;
        while (isDigit(text.charCodeAt(j))) j++;
      }
      const raw = text.slice(i, j);
      push('number', i, j, Number(underscore ? raw.replace(/_/g, '') : raw));
      i = j;
      // A unit: directly attached (`10s`, `12%`), or after spaces when it reads as one (`52 GiB`).
      if (text.charCodeAt(i) === 37 /* % */) {
        push('unit', i, i + 1);
        i++;
      } else if (isLetterAt(text, i)) {
        let m = i;
        while (m < n && isUnitCharAt(text, m)) m++;
        push('unit', i, m);
        i = m;
      } else {
        let m = i;
        for (;;) {
          const d = text.charCodeAt(m);
          if (d === 32 || d === 9) m++;
          else break;
        }
        if (m > i && text.charCodeAt(m) === 37) {
          push('unit', m, m + 1);
          i = m + 1;
        } else if (m > i && isLetterAt(text, m)) {
          let q = m;
          while (q < n && isUnitCharAt(text, q)) q++;
          // Only letters/digits/slash, so a word like `a100-80g` is never a unit.
          if (!isWordCharAt(text, q) && looksLikeUnit(text.slice(m, q))) {
            push('unit', m, q);
            i = q;
          }
        }
      }
      continue;
    }
    if (isLetterAt(text, i)) {
      let j = i + 1;
      while (j < n && isWordCharAt(text, j)) j++;
      push('word', i, j);
      i = j;
      continue;
    }
    // Anything else: one invalid token per run of unreadable characters.
    let j = i + 1;
    while (j < n && !/[\s#{};:,="\p{L}\d]/u.test(text[j]) && !(text[j] === '.' && text[j + 1] === '.')) j++;
    const t = push('invalid', i, j);
    error(t.range, 'MP101', `Unexpected character${j - i > 1 ? 's' : ''} \`${t.text}\`: remove ${j - i > 1 ? 'them' : 'it'}, or put text in quotes.`);
    i = j;
  }
  return { tokens, diagnostics, lineStarts, end: pos(n) };
}

export interface RefParseResult {
  document: Document;
  tokens: Token[];
  diagnostics: Diagnostic[];
}

export function referenceParse(text: string): RefParseResult {
  let lexed: LexResult;
  try {
    lexed = referenceLex(text);
  } catch (e) {
    // Defensive: the lexer is written not to throw; if it ever does, report instead of crashing.
    return internalError(e);
  }
  try {
    const first = new Parser(lexed).parseDocument();
    if (first.unclosed.size === 0) return finish(lexed, first);
    const second = new Parser(lexed, Math.min(...first.unclosed)).parseDocument();
    return finish(lexed, second);
  } catch (e) {
    return internalError(e);
  }
}

function finish(lexed: LexResult, r: { document: Document; diagnostics: Diagnostic[] }): RefParseResult {
  const diagnostics = [...lexed.diagnostics, ...r.diagnostics].sort(
    (a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character,
  );
  // The lexer's tokens carry a few extra fields (offsets, values); they are Tokens all the same.
  const tokens: Token[] = lexed.tokens;
  return { document: r.document, tokens, diagnostics };
}

function internalError(e: unknown): RefParseResult {
  const zero: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  return {
    document: { kind: 'document', statements: [], trailingComments: [], range: zero },
    tokens: [],
    diagnostics: [
      { range: zero, severity: 'error', code: 'MP100', message: `Internal parser error: ${String(e)}. Please report this with the file.` },
    ],
  };
}

const rangeOf = (a: Range, b: Range): Range => ({ start: a.start, end: b.end });

class Parser {
  private pos = 0;
  private readonly toks: LexToken[];
  private readonly diags: Diagnostic[] = [];
  /** Token indices of `{` that were never closed. */
  readonly unclosed = new Set<number>();

  constructor(
    private readonly lexed: LexResult,
    /** Blocks opened at or after this token index close by indentation (second pass). */
    private readonly recoverFrom = Infinity,
  ) {
    this.toks = lexed.tokens;
  }

  private peek(o = 0): LexToken | undefined {
    return this.toks[this.pos + o];
  }

  private error(range: Range, code: string, message: string, extra?: Partial<Diagnostic>) {
    this.diags.push({ range, severity: 'error', code, message, ...extra });
  }

  parseDocument(): { document: Document; diagnostics: Diagnostic[]; unclosed: Set<number> } {
    const { statements, trailingComments } = this.parseLines(undefined);
    const end = this.lexed.end;
    const document: Document = {
      kind: 'document',
      statements,
      trailingComments,
      range: { start: { line: 0, character: 0 }, end },
    };
    return { document, diagnostics: this.diags, unclosed: this.unclosed };
  }

  /** Whether token t is the first non-space token on its line. */
  private firstOnLine(index: number): boolean {
    const prev = this.toks[index - 1];
    return !prev || (prev.kind === 'newline' && prev.text !== ';');
  }

  /**
   * Lines until EOF (top level) or the `}` of a block. `block` is the
   * enclosing block's keyword indentation when inside a block.
   */
  private parseLines(block: { indent: number; recover: boolean } | undefined): {
    statements: Statement[];
    trailingComments: Comment[];
    closedBy?: LexToken;
  } {
    const statements: Statement[] = [];
    let pending: Comment[] = [];
    for (;;) {
      const t = this.peek();
      if (!t) break;
      if (t.kind === 'newline') {
        this.pos++;
        continue;
      }
      if (t.kind === 'comment') {
        pending.push({ text: t.text.trimEnd(), range: t.range });
        this.pos++;
        continue;
      }
      if (t.kind === 'rbrace') {
        if (block) {
          this.pos++;
          return { statements, trailingComments: pending, closedBy: t };
        }
        this.error(t.range, 'MP105', 'This `}` closes no block: remove it, or add the `{` it belongs to.');
        this.pos++;
        continue;
      }
      if (block && block.recover && this.firstOnLine(this.pos) && t.range.start.character <= block.indent) {
        // The enclosing block was never closed; this line belongs outside it.
        return { statements, trailingComments: pending };
      }
      if (t.kind === 'invalid') {
        // Already reported by the lexer; read the rest of the line normally.
        this.pos++;
        continue;
      }
      if (t.kind !== 'word') {
        this.error(
          t.range,
          'MP103',
          t.kind === 'lbrace'
            ? 'A block `{` needs a keyword before it, e.g. `workload {`.'
            : `A statement starts with a keyword, not \`${t.text}\`: start the line with a keyword such as \`model\`, or remove it.`,
        );
        this.skipLine();
        continue;
      }
      const stmt = this.parseStatement(pending);
      pending = [];
      statements.push(stmt);
    }
    return { statements, trailingComments: pending };
  }

  /** Skip to the end of the current line, skipping whole blocks met on the way. */
  private skipLine() {
    let depth = 0;
    for (;;) {
      const t = this.peek();
      if (!t) return;
      if (t.kind === 'newline' && depth === 0) return;
      if (t.kind === 'rbrace') {
        if (depth === 0) return;
        depth--;
      }
      if (t.kind === 'lbrace') depth++;
      this.pos++;
    }
  }

  private parseStatement(leadingComments: Comment[]): Statement {
    const kw = this.toks[this.pos++];
    const keyword: WordValue = { kind: 'word', text: kw.text, range: kw.range };
    const args: Value[] = [];
    let block: Block | undefined;
    let trailingComment: Comment | undefined;
    let end = kw.range;
    for (;;) {
      const t = this.peek();
      if (!t || t.kind === 'newline' || t.kind === 'rbrace') break;
      if (t.kind === 'comment') {
        trailingComment = { text: t.text.trimEnd(), range: t.range };
        this.pos++;
        break;
      }
      if (t.kind === 'lbrace') {
        block = this.parseBlock(kw.range.start.character);
        end = block.range;
        // After `}` only a comment or the end of the line may follow.
        const after = this.peek();
        if (after && after.kind === 'comment') {
          trailingComment = { text: after.text.trimEnd(), range: after.range };
          this.pos++;
        } else if (after && block.close && after.kind !== 'newline' && after.kind !== 'rbrace') {
          this.error(after.range, 'MP106', 'Expected the end of the line after `}`: put the next statement on its own line.');
          this.skipLine();
        }
        break;
      }
      const v = this.parseValue();
      if (v) {
        args.push(v);
        end = v.range;
      }
    }
    return {
      kind: 'statement',
      keyword,
      args,
      block,
      leadingComments,
      trailingComment,
      range: rangeOf(kw.range, end),
    };
  }

  private parseValue(): Value | undefined {
    const t = this.toks[this.pos++];
    switch (t.kind) {
      case 'word':
        return { kind: 'word', text: t.text, range: t.range };
      case 'string':
        return { kind: 'string', value: t.str ?? '', raw: t.text, range: t.range };
      case 'punct':
        return { kind: 'punct', text: t.text as ':' | ',' | '=', range: t.range };
      case 'number': {
        const num = this.finishNumber(t);
        const r = this.peek();
        if (r && r.kind === 'range') {
          this.pos++;
          const to = this.peek();
          if (to && to.kind === 'number') {
            this.pos++;
            const toNum = this.finishNumber(to);
            return { kind: 'range', from: num, to: toNum, range: rangeOf(num.range, toNum.range) };
          }
          this.error(r.range, 'MP107', `A range needs a number after \`..\`, e.g. \`${num.raw}..${num.raw === '0' ? 7 : Number(num.value) + 1}\`.`);
        }
        return num;
      }
      case 'range':
        this.error(t.range, 'MP107', 'A range needs a number before `..`, e.g. `0..7`.');
        return undefined;
      case 'unit':
        // Only reachable when a unit follows a range's end; the lexer attaches units to numbers.
        this.error(t.range, 'MP115', `Unexpected unit \`${t.text}\` here: remove it.`);
        return undefined;
      default:
        // invalid tokens were reported by the lexer
        return undefined;
    }
  }

  private finishNumber(t: LexToken): NumberValue {
    const num: NumberValue = { kind: 'number', value: t.value ?? NaN, raw: t.text, range: t.range };
    const u = this.peek();
    if (u && u.kind === 'unit') {
      this.pos++;
      num.unit = { text: u.text, range: u.range };
      num.range = rangeOf(t.range, u.range);
    }
    return num;
  }

  private parseBlock(keywordIndent: number): Block {
    const openIndex = this.pos;
    const open = this.toks[this.pos++];
    // A comment right after `{` on the same line stays there.
    let openComment: Comment | undefined;
    const c = this.peek();
    if (c && c.kind === 'comment') {
      openComment = { text: c.text.trimEnd(), range: c.range };
      this.pos++;
    }
    const { statements, trailingComments, closedBy } = this.parseLines({ indent: keywordIndent, recover: openIndex >= this.recoverFrom });
    let end: Range;
    if (closedBy) {
      end = closedBy.range;
    } else {
      this.unclosed.add(openIndex);
      const last = statements[statements.length - 1]?.range ?? open.range;
      const lastComment = trailingComments[trailingComments.length - 1]?.range;
      end = lastComment && lastComment.end.line > last.end.line ? lastComment : last;
      this.error(open.range, 'MP104', 'This `{` is never closed: add a `}` on its own line where the block ends.', {
        fixes: [
          {
            title: 'Add the missing `}`',
            edits: [{ range: { start: end.end, end: end.end }, newText: '\n' + ' '.repeat(keywordIndent) + '}' }],
            preferred: true,
          },
        ],
      });
    }
    const block: Block = {
      kind: 'block',
      open: open.range,
      close: closedBy?.range,
      statements,
      trailingComments,
      range: rangeOf(open.range, end),
    };
    if (openComment) block.openComment = openComment;
    return block;
  }
}
