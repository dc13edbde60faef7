// A byte-level scanner for one JSON object per line that reads only the
// fields a routing record needs (layer, expert ids, request, position, type)
// and steps over the rest without building values. It checks the JSON
// grammar of what it steps over, so it accepts exactly what JSON.parse
// accepts on the lines it answers for; anything it does not answer for (an
// escape in a key or a wanted string, a number that is not a plain
// non-negative integer where one is wanted, very deep nesting, invalid JSON)
// makes scan() return false, and the caller reads that line with JSON.parse
// instead, which gives the error message. Decoding a 200-byte routing line
// into objects and strings is most of the cost of JSON.parse; this does none
// of it on the lines that matter.

/** What a wanted field held in the last scanned line. */
export const enum FieldKind {
  Absent = 0,
  /** A non-negative integer below 2^53 (in `ints`). */
  Int = 1,
  /** An array of non-negative integers (in `ids`, `idsLength`). */
  IntArray = 2,
  /** A string without escapes (bytes `strStart..strEnd`). */
  String = 3,
  /** Anything else (read by JSON.parse to report or convert). */
  Other = 4,
}

/** A field wanted under one or more names (dotted paths reach into objects), first name preferred. */
interface WantedField {
  names: readonly string[];
  /** Read an array of integers (expert ids) rather than a single value. */
  ids?: boolean;
}

interface KeyEntry {
  bytes: Buffer;
  slot: number;
  /** Preference among the slot's names: lower wins. */
  rank: number;
  /** Next path level when the name is dotted. */
  child?: Level;
  /** Serial of the last scan that entered this object key. */
  seen: number;
}

/** The names wanted at one depth, by byte length (a key is compared only with names of its length). */
type Level = KeyEntry[][];

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MAX_DEPTH = 64;
const MAX_IDS = 1024;
const SAFE_DIGITS = 15;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export class JsonFieldScanner {
  private readonly root: Level = [];
  /** Per slot, the last line's findings. */
  readonly kind: Uint8Array;
  /** Which name each slot was found under (index into its names). */
  readonly rank: Int16Array;
  readonly ints: Float64Array;
  readonly strStart: Int32Array;
  readonly strEnd: Int32Array;
  /** The last IntArray's values. */
  ids = new Int32Array(64);
  idsLength = 0;
  private serial = 0;

  constructor(readonly fields: readonly WantedField[]) {
    const n = fields.length;
    this.kind = new Uint8Array(n);
    this.rank = new Int16Array(n);
    this.ints = new Float64Array(n);
    this.strStart = new Int32Array(n);
    this.strEnd = new Int32Array(n);
    fields.forEach((f, slot) => f.names.forEach((name, rank) => this.addPath(name.split('.'), slot, rank)));
  }

  private addPath(path: string[], slot: number, rank: number): void {
    let level = this.root;
    for (let i = 0; i < path.length; i++) {
      const bytes = Buffer.from(path[i], 'utf8');
      const last = i === path.length - 1;
      const sameLength = (level[bytes.length] ??= []);
      let e = sameLength.find((x) => x.bytes.equals(bytes) && (last ? x.child === undefined : x.child !== undefined));
      if (!e) {
        e = { bytes, slot: last ? slot : -1, rank: last ? rank : 0, child: last ? undefined : [], seen: 0 };
        sameLength.push(e);
      }
      if (!last) level = e.child!;
    }
  }

  /**
   * Scans `buf[start, end)` as one JSON object. True when the line is valid
   * JSON and every wanted field is Absent, Int, IntArray, String or Other
   * (Other only where the value is valid JSON the caller must judge); false
   * when JSON.parse must read the line.
   */
  scan(buf: Buffer, start: number, end: number): boolean {
    this.serial++;
    this.kind.fill(FieldKind.Absent);
    this.rank.fill(0x7fff);
    this.idsLength = 0;
    let i = skipWs(buf, start, end);
    if (i >= end || buf[i] !== 0x7b) return false;
    i = this.object(buf, i, end, this.root, 0);
    if (i < 0) return false;
    return skipWs(buf, i, end) === end;
  }

  /** The object at b[i] === '{'; returns the index after its '}', or -1. */
  private object(b: Buffer, i: number, end: number, level: Level, depth: number): number {
    if (depth > MAX_DEPTH) return -1;
    i = skipWs(b, i + 1, end);
    if (i < end && b[i] === 0x7d) return i + 1;
    for (;;) {
      if (i >= end || b[i] !== QUOTE) return -1;
      const keyStart = i + 1;
      i = skipString(b, i, end);
      if (i < 0) return -1;
      const keyEnd = i - 1;
      i = skipWs(b, i, end);
      if (i >= end || b[i] !== 0x3a) return -1;
      i = skipWs(b, i + 1, end);
      // A key with an escape might spell a wanted name: JSON.parse decides.
      if (hasByte(b, BACKSLASH, keyStart, keyEnd)) return -1;
      const entry = lookup(level, b, keyStart, keyEnd);
      if (entry === undefined) i = skipValue(b, i, end, depth + 1);
      else if (entry.child) {
        // A repeated object key: JSON.parse keeps the last whole object; leave it to JSON.parse.
        if (entry.seen === this.serial) return -1;
        entry.seen = this.serial;
        i = i < end && b[i] === 0x7b ? this.object(b, i, end, entry.child, depth + 1) : skipValue(b, i, end, depth + 1);
      } else i = this.value(b, i, end, entry, depth + 1);
      if (i < 0) return -1;
      i = skipWs(b, i, end);
      if (i >= end) return -1;
      const c = b[i];
      if (c === 0x2c) {
        i = skipWs(b, i + 1, end);
        continue;
      }
      return c === 0x7d ? i + 1 : -1;
    }
  }

  /** A wanted value at b[i]: typed when plain, Other when valid but not plain. Returns the index after it, or -1. */
  private value(b: Buffer, i: number, end: number, entry: KeyEntry, depth: number): number {
    const slot = entry.slot;
    // A better-ranked name already gave this slot: step over this one.
    if (entry.rank > this.rank[slot]) return skipValue(b, i, end, depth);
    this.rank[slot] = entry.rank;
    const c = i < end ? b[i] : 0;
    if (isDigit(c)) {
      const j = plainIntEnd(b, i, end);
      if (j > 0) {
        this.kind[slot] = FieldKind.Int;
        this.ints[slot] = digitsValue(b, i, j);
        return j;
      }
    } else if (c === QUOTE) {
      let j = i + 1;
      while (j < end) {
        const d = b[j];
        if (d === QUOTE || d === BACKSLASH || d < 0x20) break;
        j++;
      }
      if (j < end && b[j] === QUOTE) {
        this.kind[slot] = FieldKind.String;
        this.strStart[slot] = i + 1;
        this.strEnd[slot] = j;
        return j + 1;
      }
    } else if (c === 0x5b && this.fields[slot].ids) {
      const j = this.intArray(b, i, end);
      if (j > 0) {
        this.kind[slot] = FieldKind.IntArray;
        return j;
      }
    }
    this.kind[slot] = FieldKind.Other;
    return skipValue(b, i, end, depth);
  }

  /** At '[': an array of plain integers into ids; returns the index after ']', or -1. */
  private intArray(b: Buffer, i: number, end: number): number {
    i = skipWs(b, i + 1, end);
    let n = 0;
    if (i < end && b[i] === 0x5d) {
      this.idsLength = 0;
      return i + 1;
    }
    for (;;) {
      if (i >= end || !isDigit(b[i])) return -1;
      const j = plainIntEnd(b, i, end);
      if (j < 0) return -1;
      const v = digitsValue(b, i, j);
      if (v > 0x7fffffff || n >= MAX_IDS) return -1;
      if (n >= this.ids.length) {
        const grown = new Int32Array(this.ids.length * 2);
        grown.set(this.ids);
        this.ids = grown;
      }
      this.ids[n++] = v;
      i = skipWs(b, j, end);
      if (i >= end) return -1;
      if (b[i] === 0x2c) {
        i = skipWs(b, i + 1, end);
        continue;
      }
      if (b[i] === 0x5d) {
        this.idsLength = n;
        return i + 1;
      }
      return -1;
    }
  }
}

function skipWs(b: Buffer, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

function lookup(level: Level, b: Buffer, s: number, e: number): KeyEntry | undefined {
  const len = e - s;
  const candidates = len < level.length ? level[len] : undefined;
  if (candidates === undefined) return undefined;
  for (let x = 0; x < candidates.length; x++) {
    const k = candidates[x].bytes;
    let q = 0;
    while (q < len && k[q] === b[s + q]) q++;
    if (q === len) return candidates[x];
  }
  return undefined;
}

/** End of a non-negative integer of at most 15 digits at i, with no fraction or exponent; -1 otherwise. */
function plainIntEnd(b: Buffer, i: number, end: number): number {
  let j = i;
  while (j < end && isDigit(b[j])) j++;
  const digits = j - i;
  if (digits > SAFE_DIGITS || (digits > 1 && b[i] === 0x30)) return -1;
  if (j < end) {
    const d = b[j];
    if (d === 0x2e || d === 0x65 || d === 0x45) return -1;
  }
  return j;
}

function digitsValue(b: Buffer, i: number, j: number): number {
  let n = 0;
  for (; i < j; i++) n = n * 10 + (b[i] - 0x30);
  return n;
}

/** Steps over one JSON value at b[i], checking its grammar; the index after it, or -1. */
function skipValue(b: Buffer, i: number, end: number, depth: number): number {
  if (i >= end || depth > MAX_DEPTH) return -1;
  const c = b[i];
  if (c === QUOTE) return skipString(b, i, end);
  if (c === 0x2d || isDigit(c)) return skipNumber(b, i, end);
  if (c === 0x5b) return skipArray(b, i, end, depth);
  if (c === 0x7b) return skipObject(b, i, end, depth);
  if (c === 0x74) return literal(b, i, end, TRUE);
  if (c === 0x66) return literal(b, i, end, FALSE);
  if (c === 0x6e) return literal(b, i, end, NULL);
  return -1;
}

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

function literal(b: Buffer, i: number, end: number, word: Buffer): number {
  if (i + word.length > end) return -1;
  for (let q = 0; q < word.length; q++) if (b[i + q] !== word[q]) return -1;
  return i + word.length;
}

/** At '"': the index after the closing quote, or -1 (control character, bad escape, no end). */
function skipString(b: Buffer, i: number, end: number): number {
  let j = i + 1;
  while (j < end) {
    const c = b[j];
    if (c === QUOTE) return j + 1;
    if (c < 0x20) return -1;
    if (c === BACKSLASH) {
      const d = b[j + 1];
      if (d === 0x75) {
        for (let q = 2; q < 6; q++) if (!isHex(b[j + q])) return -1;
        j += 6;
        continue;
      }
      if (d !== QUOTE && d !== BACKSLASH && d !== 0x2f && d !== 0x62 && d !== 0x66 && d !== 0x6e && d !== 0x72 && d !== 0x74) return -1;
      j += 2;
      continue;
    }
    j++;
  }
  return -1;
}

/** JSON number grammar: -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)? */
function skipNumber(b: Buffer, i: number, end: number): number {
  let j = i;
  if (b[j] === 0x2d) j++;
  if (j >= end || !isDigit(b[j])) return -1;
  if (b[j] === 0x30) j++;
  else while (j < end && isDigit(b[j])) j++;
  if (j < end && b[j] === 0x2e) {
    j++;
    if (j >= end || !isDigit(b[j])) return -1;
    while (j < end && isDigit(b[j])) j++;
  }
  if (j < end && (b[j] === 0x65 || b[j] === 0x45)) {
    j++;
    if (j < end && (b[j] === 0x2b || b[j] === 0x2d)) j++;
    if (j >= end || !isDigit(b[j])) return -1;
    while (j < end && isDigit(b[j])) j++;
  }
  return j;
}

/**
 * An array of numbers (router weights, scores: most of a routing line's
 * bytes) in one loop, each number checked against the JSON grammar
 * -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)? with tight digit runs;
 * anything else falls back to the general walk (-1).
 */
function skipNumberArray(b: Buffer, i: number, end: number): number {
  let j = skipWs(b, i + 1, end);
  if (j < end && b[j] === 0x5d) return j + 1;
  for (;;) {
    if (j < end && b[j] === 0x2d) j++;
    if (j >= end) return -1;
    let c = b[j];
    if (c === 0x30) j++;
    else if (c > 0x30 && c <= 0x39) {
      j++;
      while (j < end && isDigit(b[j])) j++;
    } else return -1;
    if (j < end && b[j] === 0x2e) {
      j++;
      if (j >= end || !isDigit(b[j])) return -1;
      j++;
      while (j < end && isDigit(b[j])) j++;
    }
    if (j < end && (b[j] === 0x65 || b[j] === 0x45)) {
      j++;
      if (j < end && (b[j] === 0x2b || b[j] === 0x2d)) j++;
      if (j >= end || !isDigit(b[j])) return -1;
      j++;
      while (j < end && isDigit(b[j])) j++;
    }
    if (j >= end) return -1;
    c = b[j];
    if (c !== 0x2c && c !== 0x5d) {
      j = skipWs(b, j, end);
      if (j >= end) return -1;
      c = b[j];
    }
    if (c === 0x2c) {
      j = skipWs(b, j + 1, end);
      continue;
    }
    return c === 0x5d ? j + 1 : -1;
  }
}

function skipArray(b: Buffer, i: number, end: number, depth: number): number {
  const numbers = skipNumberArray(b, i, end);
  if (numbers > 0) return numbers;
  i = skipWs(b, i + 1, end);
  if (i < end && b[i] === 0x5d) return i + 1;
  for (;;) {
    i = skipValue(b, i, end, depth + 1);
    if (i < 0) return -1;
    i = skipWs(b, i, end);
    if (i >= end) return -1;
    const c = b[i];
    if (c === 0x2c) {
      i = skipWs(b, i + 1, end);
      continue;
    }
    return c === 0x5d ? i + 1 : -1;
  }
}

function skipObject(b: Buffer, i: number, end: number, depth: number): number {
  i = skipWs(b, i + 1, end);
  if (i < end && b[i] === 0x7d) return i + 1;
  for (;;) {
    if (i >= end || b[i] !== QUOTE) return -1;
    i = skipString(b, i, end);
    if (i < 0) return -1;
    i = skipWs(b, i, end);
    if (i >= end || b[i] !== 0x3a) return -1;
    i = skipValue(b, skipWs(b, i + 1, end), end, depth + 1);
    if (i < 0) return -1;
    i = skipWs(b, i, end);
    if (i >= end) return -1;
    const c = b[i];
    if (c === 0x2c) {
      i = skipWs(b, i + 1, end);
      continue;
    }
    return c === 0x7d ? i + 1 : -1;
  }
}

function hasByte(b: Buffer, c: number, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i] === c) return true;
  return false;
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}
