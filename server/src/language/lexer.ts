// Lexer for .moeplan text. Never throws: characters it cannot read become
// `invalid` tokens with a diagnostic, and lexing continues.
//
// Positions are 0-based lines and UTF-16 columns (JavaScript string indices
// within the line), exactly as LSP wants them. `\n`, `\r\n` and `\r` all end
// a line.
import type { Range, Token, TokenKind } from './ast';
import type { Diagnostic } from './diagnostic';
import { looksLikeUnit } from './units';

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

export function lex(text: string): LexResult {
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
