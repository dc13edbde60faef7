// The .moeplan scanner: reads one token at a time into its own fields,
// allocating nothing per token. The parser pulls tokens from it and builds
// only the objects the syntax tree keeps (a 5,000-line plan has ~45,000
// tokens; token objects that the tree re-wraps were most of the parser's
// garbage). `lex()` builds the public token objects from it on demand.
//
// Never throws: characters it cannot read become `invalid` tokens with a
// diagnostic, and scanning continues. Positions are 0-based lines and UTF-16
// columns, as LSP wants them; `\n`, `\r\n` and `\r` all end a line.
import type { Position, Range, TokenKind } from './ast';
import { DiagnosticSink, type Diagnostic } from './diagnostic';
import { looksLikeUnit } from './units';

export type ScanKind = TokenKind | 'eof';

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

/** Texts of small whole numbers, shared: committed layers repeat the same ids thousands of times. */
const SMALL_INTS: string[] = [];
const SMALL_INT_LIMIT = 4096;

/**
 * Positions and ranges are values nobody changes, so tokens share one
 * object per line and column: a parse then allocates no range objects for
 * the tokens it has seen at the same place before, and the shared ones live
 * long (the collector does not copy them again on every parse). Bounded, so
 * odd files cannot grow them much.
 */
const POSITIONS: Position[][] = [];
const POOL_LINES = 50_000;
const POOL_COLUMNS = 200;
const POOL_MAX = 600_000;
let pooled = 0;

function position(line: number, character: number): Position {
  if (line < POOL_LINES && character < POOL_COLUMNS) {
    let row = POSITIONS[line];
    if (row === undefined) {
      row = [];
      POSITIONS[line] = row;
    }
    const p = row[character];
    if (p !== undefined) return p;
    if (pooled < POOL_MAX) {
      pooled++;
      return (row[character] = { line, character });
    }
  }
  return { line, character };
}

/** Ranges within one line, shared like positions: one per line and start column (the last end seen there). */
const RANGES: Range[][] = [];
/** The end column of each pooled range, beside it (comparing here spares a load from the range). */
const RANGE_ENDS: number[][] = [];
let pooledRanges = 0;

function rangeAt(line: number, from: number, to: number): Range {
  if (line < POOL_LINES && from < POOL_COLUMNS) {
    let row = RANGES[line];
    let ends = RANGE_ENDS[line];
    if (row === undefined) {
      row = RANGES[line] = [];
      ends = RANGE_ENDS[line] = [];
    }
    if (ends[from] === to) return row[from];
    const fresh: Range = { start: position(line, from), end: position(line, to) };
    if (ends[from] !== undefined || pooledRanges < POOL_MAX) {
      if (ends[from] === undefined) pooledRanges++;
      row[from] = fresh;
      ends[from] = to;
    }
    return fresh;
  }
  return { start: position(line, from), end: position(line, to) };
}

export class Scanner {
  /** The current token; `eof` past the end. */
  kind: ScanKind = 'eof';
  /** Offsets of the current token in the text. */
  start = 0;
  end = 0;
  /** Line and column of the current token's start. */
  line = 0;
  col = 0;
  /** For numbers: the value (as `Number()` reads the digits without `_`). */
  value = NaN;
  /** For strings: the unescaped contents. */
  str = '';
  /** Index of the current token in the token list `lex()` would return. */
  index = -1;
  /** The current token is the first on its line (no token before it, or a line break that is not `;`). */
  firstOnLine = true;
  /** The current `newline` token is a `;`. */
  semicolon = false;
  /** MP101/MP102 for unreadable characters and unclosed strings (at most MAX_DIAGNOSTICS kept). */
  readonly sink = new DiagnosticSink();
  get diagnostics(): Diagnostic[] {
    return this.sink.list;
  }
  /** Offset of the start of each line seen so far. */
  readonly lineStarts: number[] = [0];

  private i = 0;
  private curLine = 0;
  private lineStart = 0;
  /** A unit read together with the number before it, emitted as the next token. */
  private unitStart = -1;
  private unitEnd = -1;
  /** The current number is digits only (value read while scanning). */
  private plainInt = false;
  /** Interned word and unit texts, keyed by a hash of their characters. */
  private readonly words = new Map<number, string>();

  /**
   * Scans `text`, or only the lines from offset `from` (the start of line
   * `line`) up to offset `limit` (a line start or the end) when re-reading
   * part of a document: tokens never cross a line break.
   */
  constructor(
    readonly text: string,
    from = 0,
    line = 0,
    private readonly limit = text.length,
  ) {
    this.i = from;
    this.curLine = line;
    this.lineStart = from;
    if (from === 0 && text.charCodeAt(0) === 0xfeff) this.i = 1; // byte-order mark
    this.next();
  }

  /** The current token's text as written (words and units shared between equal tokens). */
  tokenText(): string {
    const { kind, start, end, text } = this;
    if (kind === 'word' || kind === 'unit') return this.intern(start, end);
    if (kind === 'number' && this.plainInt && this.value < SMALL_INT_LIMIT && (end - start === 1 || text.charCodeAt(start) !== 48)) {
      const v = this.value;
      return SMALL_INTS[v] ?? (SMALL_INTS[v] = String(v));
    }
    return text.slice(start, end);
  }

  /** The current token's range (shared between tokens at the same place, see rangeAt()). */
  range(): Range {
    const line = this.line;
    if (this.kind === 'newline' && !this.semicolon) {
      // A line break runs from the end of its line to the start of the next, as in LSP.
      return { start: position(line, this.col), end: position(line + 1, 0) };
    }
    return rangeAt(line, this.col, this.col + this.end - this.start);
  }

  /** Position just past the end of the text (valid once the scanner is at `eof`). */
  endPosition(): { line: number; character: number } {
    return { line: this.curLine, character: this.text.length - this.lineStart };
  }

  private intern(start: number, end: number): string {
    const text = this.text;
    const len = end - start;
    if (len > 24) return text.slice(start, end);
    let h = len;
    for (let j = start; j < end; j++) h = (Math.imul(h, 31) + text.charCodeAt(j)) | 0;
    const hit = this.words.get(h);
    if (hit !== undefined && hit.length === len && text.startsWith(hit, start)) return hit;
    const s = text.slice(start, end);
    this.words.set(h, s);
    return s;
  }

  private set(kind: TokenKind, start: number, end: number): void {
    this.kind = kind;
    this.start = start;
    this.end = end;
    this.line = this.curLine;
    this.col = start - this.lineStart;
  }

  private error(code: string, message: string): void {
    this.sink.push({ range: this.range(), severity: 'error', code, message });
  }

  /** Move to the next token. */
  next(): void {
    this.firstOnLine = this.index < 0 || (this.kind === 'newline' && !this.semicolon);
    this.index++;
    this.semicolon = false;
    this.plainInt = false;
    if (this.unitStart >= 0) {
      this.set('unit', this.unitStart, this.unitEnd);
      this.unitStart = -1;
      return;
    }
    const text = this.text;
    const n = text.length;
    const limit = this.limit;
    let i = this.i;
    while (i < limit) {
      const k = text.charCodeAt(i);
      // space, tab, form feed, vertical tab, no-break space
      if (k === 32 || k === 9 || k === 12 || k === 11 || k === 0xa0) {
        i++;
        continue;
      }
      if (k === 10 || k === 13) {
        const len = k === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
        this.set('newline', i, i + len);
        i += len;
        this.curLine++;
        this.lineStart = i;
        this.lineStarts.push(i);
        this.i = i;
        return;
      }
      if (k === 59 /* ; */) {
        this.set('newline', i, i + 1);
        this.semicolon = true;
        this.i = i + 1;
        return;
      }
      if (k === 35 /* # */) {
        let j = i;
        while (j < n) {
          const d = text.charCodeAt(j);
          if (d === 10 || d === 13) break;
          j++;
        }
        this.set('comment', i, j);
        this.i = j;
        return;
      }
      if (k === 123 /* { */ || k === 125 /* } */) {
        this.set(k === 123 ? 'lbrace' : 'rbrace', i, i + 1);
        this.i = i + 1;
        return;
      }
      if (k === 58 || k === 44 || k === 61 /* : , = */) {
        this.set('punct', i, i + 1);
        this.i = i + 1;
        return;
      }
      if (k === 46 && text.charCodeAt(i + 1) === 46 /* .. */) {
        this.set('range', i, i + 2);
        this.i = i + 2;
        return;
      }
      if (k === 34 /* " */) {
        this.i = this.scanString(i);
        return;
      }
      if (isDigit(k) || ((k === 45 || k === 43) && isDigit(text.charCodeAt(i + 1)))) {
        this.i = this.scanNumber(i);
        return;
      }
      if (isLetterAt(text, i)) {
        let j = i + 1;
        while (j < n && isWordCharAt(text, j)) j++;
        this.set('word', i, j);
        this.i = j;
        return;
      }
      // Anything else: one invalid token per run of unreadable characters.
      let j = i + 1;
      while (j < n && !/[\s#{};:,="\p{L}\d]/u.test(text[j]) && !(text[j] === '.' && text[j + 1] === '.')) j++;
      this.set('invalid', i, j);
      this.i = j;
      const raw = text.slice(i, j);
      // Control characters are shown as \u escapes: raw, they would garble the terminal or the editor.
      const shown = raw.length > 40 ? `${showCharacters(raw.slice(0, 40))}…` : showCharacters(raw);
      // eslint-disable-next-line no-control-regex -- control characters are what this looks for
      const binary = /[\u0000-\u0008\u000e-\u001f]/.test(raw) ? ' This looks like a binary file, not a plan: check the file name.' : '';
      const several = [...raw].length > 1;
      this.error('MP101', `Unexpected character${several ? 's' : ''} \`${shown}\`: remove ${several ? 'them' : 'it'}, or put text in quotes.${binary}`);
      return;
    }
    this.i = i;
    this.kind = 'eof';
    this.start = this.end = i;
    this.line = this.curLine;
    this.col = i - this.lineStart;
  }

  private scanString(i: number): number {
    const text = this.text;
    const n = text.length;
    let j = i + 1;
    let value = '';
    let escaped = false;
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
        if (!escaped) value = text.slice(i + 1, j);
        escaped = true;
        value += e === 110 ? '\n' : e === 116 ? '\t' : text[j + 1];
        j += 2;
        continue;
      }
      if (escaped) value += text[j];
      j++;
    }
    this.set('string', i, j);
    this.str = escaped ? value : text.slice(i + 1, closed ? j - 1 : j);
    if (!closed) this.error('MP102', 'This string is never closed: add a closing `"` before the end of the line.');
    return j;
  }

  /** A number and, when one follows, its unit (kept for the next call of next()). */
  private scanNumber(i: number): number {
    const text = this.text;
    const n = text.length;
    const k = text.charCodeAt(i);
    const signed = k === 45 || k === 43;
    let v = signed ? 0 : k - 48;
    let j = i + 1;
    let underscore = false;
    let fraction = false;
    // Integer part, then an optional fraction; `_` may separate digits.
    for (let part = 0; part < 2; part++) {
      for (;;) {
        const d = text.charCodeAt(j);
        if (isDigit(d)) {
          v = v * 10 + (d - 48);
          j++;
        } else if (d === 95 && isDigit(text.charCodeAt(j + 1))) {
          underscore = true;
          j++;
        } else break;
      }
      if (part === 0 && text.charCodeAt(j) === 46 && isDigit(text.charCodeAt(j + 1))) {
        fraction = true;
        j++;
      } else break;
    }
    let exponent = false;
    const e = text.charCodeAt(j);
    const e1 = text.charCodeAt(j + 1);
    if ((e === 101 || e === 69) && (isDigit(e1) || ((e1 === 45 || e1 === 43) && isDigit(text.charCodeAt(j + 2))))) {
      exponent = true;
      j += 2;
      while (isDigit(text.charCodeAt(j))) j++;
    }
    this.set('number', i, j);
    // Up to 15 digits are exact in a double, so the digits read above are Number()'s value.
    this.plainInt = !signed && !underscore && !fraction && !exponent && j - i <= 15;
    if (this.plainInt) this.value = v;
    else {
      const raw = text.slice(i, j);
      this.value = Number(underscore ? raw.replace(/_/g, '') : raw);
    }
    i = j;
    // A unit: directly attached (`10s`, `12%`), or after spaces when it reads as one (`52 GiB`).
    if (text.charCodeAt(i) === 37 /* % */) {
      this.unitStart = i;
      this.unitEnd = i + 1;
      return i + 1;
    }
    if (isLetterAt(text, i)) {
      let m = i;
      while (m < n && isUnitCharAt(text, m)) m++;
      this.unitStart = i;
      this.unitEnd = m;
      return m;
    }
    let m = i;
    for (;;) {
      const d = text.charCodeAt(m);
      if (d === 32 || d === 9) m++;
      else break;
    }
    if (m > i && text.charCodeAt(m) === 37) {
      this.unitStart = m;
      this.unitEnd = m + 1;
      return m + 1;
    }
    if (m > i && isLetterAt(text, m)) {
      let q = m;
      while (q < n && isUnitCharAt(text, q)) q++;
      // Only letters/digits/slash, so a word like `a100-80g` is never a unit.
      if (!isWordCharAt(text, q) && looksLikeUnit(text.slice(m, q))) {
        this.unitStart = m;
        this.unitEnd = q;
        return q;
      }
    }
    return i;
  }
}

/** Text with control characters (and lone surrogates) written as \u escapes. */
function showCharacters(raw: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this escapes
  return raw.replace(/[\u0000-\u001f\u007f-\u009f]|\p{Cs}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
