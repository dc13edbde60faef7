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

const isDigit = (c: string) => c >= '0' && c <= '9';
const LETTER = /\p{L}/u;
// ASCII fast paths: the regex is only consulted for non-ASCII characters.
const isLetter = (c: string) => {
  if (c === '') return false;
  const k = c.charCodeAt(0);
  if (k < 128) return (k >= 97 && k <= 122) || (k >= 65 && k <= 90) || k === 95;
  return LETTER.test(c);
};
const isWordChar = (c: string) => {
  if (c === '') return false;
  const k = c.charCodeAt(0);
  if (k < 128) return (k >= 97 && k <= 122) || (k >= 65 && k <= 90) || (k >= 48 && k <= 57) || k === 95 || k === 45 || k === 43 || k === 47;
  return LETTER.test(c);
};
const isUnitChar = (c: string) => c !== '-' && c !== '+' && isWordChar(c);

export function lex(text: string): LexResult {
  const tokens: LexToken[] = [];
  const diagnostics: Diagnostic[] = [];
  const lineStarts = [0];
  let line = 0;
  let lineStart = 0;
  let i = 0;
  const n = text.length;

  const pos = (offset: number) => ({ line, character: offset - lineStart });
  const push = (kind: TokenKind, start: number, end: number, extra?: { value?: number; str?: string }): LexToken => {
    const t: LexToken = {
      kind,
      text: text.slice(start, end),
      range: { start: pos(start), end: pos(end) },
    };
    if (extra) {
      if (extra.value !== undefined) t.value = extra.value;
      if (extra.str !== undefined) t.str = extra.str;
    }
    tokens.push(t);
    return t;
  };
  const error = (range: Range, code: string, message: string) =>
    diagnostics.push({ range, severity: 'error', code, message });

  if (text.charCodeAt(0) === 0xfeff) {
    i = 1; // byte-order mark
  }

  while (i < n) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\f' || c === '\v' || c === '\u00a0') {
      i++;
      continue;
    }
    if (c === '\n' || c === '\r') {
      const len = c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      push('newline', i, i + len);
      // A line break runs from the end of its line to the start of the next, as in LSP.
      tokens[tokens.length - 1].range.end = { line: line + 1, character: 0 };
      i += len;
      line++;
      lineStart = i;
      lineStarts.push(i);
      continue;
    }
    if (c === ';') {
      push('newline', i, i + 1);
      i++;
      continue;
    }
    if (c === '#') {
      let j = i;
      while (j < n && text[j] !== '\n' && text[j] !== '\r') j++;
      push('comment', i, j);
      i = j;
      continue;
    }
    if (c === '{') {
      push('lbrace', i, i + 1);
      i++;
      continue;
    }
    if (c === '}') {
      push('rbrace', i, i + 1);
      i++;
      continue;
    }
    if (c === ':' || c === ',' || c === '=') {
      push('punct', i, i + 1);
      i++;
      continue;
    }
    if (c === '.' && text[i + 1] === '.') {
      push('range', i, i + 2);
      i += 2;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let value = '';
      let closed = false;
      while (j < n && text[j] !== '\n' && text[j] !== '\r') {
        const d = text[j];
        if (d === '"') {
          closed = true;
          j++;
          break;
        }
        if (d === '\\' && j + 1 < n && text[j + 1] !== '\n' && text[j + 1] !== '\r') {
          const e = text[j + 1];
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          j += 2;
          continue;
        }
        value += d;
        j++;
      }
      const t = push('string', i, j, { str: value });
      if (!closed) {
        error(t.range, 'MP102', 'This string is never closed: add a closing `"` before the end of the line.');
      }
      i = j;
      continue;
    }
    if (isDigit(c) || ((c === '-' || c === '+') && isDigit(text[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < n && (isDigit(text[j]) || (text[j] === '_' && isDigit(text[j + 1] ?? '')))) j++;
      if (text[j] === '.' && isDigit(text[j + 1] ?? '')) {
        j++;
        while (j < n && (isDigit(text[j]) || (text[j] === '_' && isDigit(text[j + 1] ?? '')))) j++;
      }
      if ((text[j] === 'e' || text[j] === 'E') && (isDigit(text[j + 1] ?? '') || ((text[j + 1] === '-' || text[j + 1] === '+') && isDigit(text[j + 2] ?? '')))) {
        j += 2;
        while (j < n && isDigit(text[j])) j++;
      }
      const raw = text.slice(i, j);
      push('number', i, j, { value: Number(raw.replace(/_/g, '')) });
      i = j;
      // A unit: directly attached (`10s`, `12%`), or after spaces when it reads as one (`52 GiB`).
      if (text[i] === '%') {
        push('unit', i, i + 1);
        i++;
      } else if (isLetter(text[i] ?? '')) {
        let k = i;
        while (k < n && isUnitChar(text[k])) k++;
        push('unit', i, k);
        i = k;
      } else {
        let k = i;
        while (k < n && (text[k] === ' ' || text[k] === '\t')) k++;
        if (k > i && text[k] === '%') {
          push('unit', k, k + 1);
          i = k + 1;
        } else if (k > i && isLetter(text[k] ?? '')) {
          let m = k;
          while (m < n && isUnitChar(text[m])) m++;
          // Only letters/digits/slash, so a word like `a100-80g` is never a unit.
          if (!isWordChar(text[m] ?? '') && looksLikeUnit(text.slice(k, m))) {
            push('unit', k, m);
            i = m;
          }
        }
      }
      continue;
    }
    if (isLetter(c)) {
      let j = i + 1;
      while (j < n && isWordChar(text[j])) j++;
      push('word', i, j);
      i = j;
      continue;
    }
    // Anything else: one invalid token per run of unreadable characters.
    let j = i + 1;
    // Keep surrogate pairs together so columns stay in UTF-16 units but the message names the character.
    while (j < n && !/[\s#{};:,="\p{L}\d]/u.test(text[j]) && !(text[j] === '.' && text[j + 1] === '.')) j++;
    const t = push('invalid', i, j);
    error(t.range, 'MP101', `Unexpected character${j - i > 1 ? 's' : ''} \`${t.text}\`: remove ${j - i > 1 ? 'them' : 'it'}, or put text in quotes.`);
    i = j;
  }
  return { tokens, diagnostics, lineStarts, end: pos(n) };
}
