// What bytes a user file holds, as text: moeplan reads and writes UTF-8
// only. A file that is not valid UTF-8 is still read (invalid bytes become
// U+FFFD, so `check` can say what it sees) but never rewritten, since the
// rewrite would replace the user's bytes for good; the problem is located
// as a line and column the user can find in an editor.

export interface Utf8Problem {
  /** 1-based line of the first invalid byte. */
  line: number;
  /** 1-based column, in characters of the valid text before it on its line. */
  column: number;
  /** The first byte that does not start or continue a valid UTF-8 sequence. */
  byte: number;
  /** Its offset in the file. */
  offset: number;
}

// ignoreBOM keeps a leading byte-order mark in the text, so a rewrite can keep it too.
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenient = new TextDecoder('utf-8', { ignoreBOM: true });

/** The text of the bytes; U+FFFD where they are not UTF-8. A leading BOM is kept (the scanner skips it). */
export function decodeText(bytes: Uint8Array): string {
  return lenient.decode(bytes);
}

/** Where the bytes stop being UTF-8, or undefined when they are valid. */
export function firstInvalidUtf8(bytes: Uint8Array): Utf8Problem | undefined {
  try {
    strict.decode(bytes);
    return undefined;
  } catch {
    // Locate it below.
  }
  const offset = invalidOffset(bytes);
  if (offset < 0) return undefined;
  let lineStart = 0;
  let line = 1;
  for (let i = 0; i < offset; i++) {
    const b = bytes[i];
    if (b === 0x0a || (b === 0x0d && bytes[i + 1] !== 0x0a)) {
      line++;
      lineStart = i + 1;
    }
  }
  const column = [...strict.decode(bytes.subarray(lineStart, offset))].length + 1;
  return { line, column, byte: bytes[offset], offset };
}

/** "byte 0xE9 at line 3, column 14", for messages. */
export function describeUtf8Problem(p: Utf8Problem): string {
  return `byte 0x${p.byte.toString(16).toUpperCase().padStart(2, '0')} at line ${p.line}, column ${p.column}`;
}

/** Offset of the first byte that is not part of a well-formed sequence (RFC 3629), or -1. */
function invalidOffset(b: Uint8Array): number {
  let i = 0;
  const n = b.length;
  const cont = (j: number) => j < n && (b[j] & 0xc0) === 0x80;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0; // overlong
      if (c === 0xed) hi = 0x9f; // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90; // overlong
      if (c === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i;
    if (i + 1 >= n || b[i + 1] < lo || b[i + 1] > hi) return i;
    for (let k = 2; k <= need; k++) if (!cont(i + k)) return i;
    i += need + 1;
  }
  return -1;
}
