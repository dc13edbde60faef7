// Line input for the text trace formats, as bytes. A line ends at LF, CRLF
// or a lone CR (Excel's "CSV (Macintosh)" writes CR only), so every file
// reads the same whatever platform wrote it. The work is linear in the file:
// each byte is searched once, and a line that spans chunks is kept as a list
// of pieces joined once when it ends (appending each chunk to a pending
// string copies the whole pending line again per chunk, which made a
// newline-free 256 MiB file take half a minute). A line longer than the
// limit is refused as soon as the limit is passed, so a file with no line
// ends is not read to its end.
import { open } from 'node:fs/promises';
import { WorkloadError } from '../types';
import { checkAborted, formatBytes } from './common';

const LF = 10;
const CR = 13;

/** Bytes read per chunk. */
const CHUNK_BYTES = 1 << 20;
/** Longest line accepted by default: a routing record is a few hundred bytes. */
const DEFAULT_MAX_LINE_BYTES = 16 << 20;

interface LineReadOptions {
  signal?: AbortSignal;
  /** Refuse a line longer than this many bytes (default 16 MiB). */
  maxLineBytes?: number;
  /** Called after each chunk with the bytes read so far. */
  onBytes?: (bytesRead: number) => void;
  /** Chunk size in bytes (tests use small chunks to split lines). */
  chunkBytes?: number;
}

/**
 * Calls `onLine(buf, start, end, line)` for every line of the file; the line
 * is `buf[start, end)` without its terminator, `line` is 1-based. `buf` is
 * reused after the call returns: copy what must outlive it. Returns the
 * number of lines.
 */
export async function forEachLineBytes(
  file: string,
  onLine: (buf: Buffer, start: number, end: number, line: number) => void,
  opts: LineReadOptions = {},
): Promise<number> {
  const maxLine = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const chunk = Buffer.allocUnsafe(opts.chunkBytes ?? CHUNK_BYTES);
  const fh = await open(file, 'r');
  let line = 0;
  let total = 0;
  // Pieces of a line that began in an earlier chunk (copies), and their length.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  // The previous chunk ended with CR: an LF starting this chunk belongs to it.
  let afterCr = false;
  const tooLong = (): never => {
    throw new WorkloadError(
      `line ${line + 1} is longer than ${formatBytes(maxLine)} with no line end; a trace has one short record per line ` +
        '(is this the right file, or a format with no line ends?)',
      file,
      line + 1,
    );
  };
  const emit = (buf: Buffer, start: number, end: number) => {
    line++;
    if (pendingBytes === 0) {
      onLine(buf, start, end, line);
      return;
    }
    if (end > start) pending.push(buf.subarray(start, end));
    const whole = Buffer.concat(pending, pendingBytes + (end - start));
    pending = [];
    pendingBytes = 0;
    onLine(whole, 0, whole.length, line);
  };
  try {
    for (;;) {
      checkAborted(opts.signal, file);
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      let pos = 0;
      if (afterCr) {
        afterCr = false;
        if (chunk[0] === LF) pos = 1;
      }
      // Next LF and next CR at or after pos, each searched again only once passed.
      let lf = chunk.indexOf(LF, pos);
      let cr = chunk.indexOf(CR, pos);
      while (pos < bytesRead) {
        if (lf >= bytesRead) lf = -1;
        if (cr >= bytesRead) cr = -1;
        const end = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
        if (end < 0) break;
        if (pendingBytes + (end - pos) > maxLine) tooLong();
        emit(chunk, pos, end);
        if (end === cr) {
          if (end + 1 < bytesRead) {
            pos = chunk[end + 1] === LF ? end + 2 : end + 1;
          } else {
            pos = end + 1;
            afterCr = true;
          }
        } else pos = end + 1;
        if (lf >= 0 && lf < pos) lf = chunk.indexOf(LF, pos);
        if (cr >= 0 && cr < pos) cr = chunk.indexOf(CR, pos);
      }
      if (pos < bytesRead) {
        pendingBytes += bytesRead - pos;
        if (pendingBytes > maxLine) tooLong();
        pending.push(Buffer.from(chunk.subarray(pos, bytesRead)));
      }
      opts.onBytes?.(total);
    }
    if (pendingBytes > 0) emit(chunk, 0, 0);
  } finally {
    await fh.close();
  }
  return line;
}

/**
 * forEachLineBytes with each line decoded as UTF-8 text (for formats whose
 * lines are few or short, such as subset counts).
 */
export function forEachLine(file: string, onLine: (text: string, line: number) => void, opts: LineReadOptions = {}): Promise<number> {
  return forEachLineBytes(file, (buf, start, end, line) => onLine(buf.toString('utf8', start, end), line), opts);
}
