// Reading a user file (a plan) with bounds: only a regular file, at most a
// size limit, opened without blocking (a FIFO or a device given as a plan is
// refused, never read without end). The bytes are kept so that a later
// rewrite of the same file can tell whether it changed in between.
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { decodeText, firstInvalidUtf8, type Utf8Problem } from './encoding';
import { UserFileError, errnoText, kindOf } from './errors';

/**
 * Largest plan file read, bytes. A plan with every layer of a 1,024-GPU
 * DeepSeek-V3 placement committed is about 2 MB; 16 MiB leaves room and
 * still bounds memory and time when a wrong file is given.
 */
export const MAX_PLAN_BYTES = 16 * 1024 * 1024;

export interface UserFile {
  /** Absolute path as given (symbolic links not followed). */
  path: string;
  /** The file the path leads to (symbolic links followed). */
  realPath: string;
  bytes: Buffer;
  /** The bytes as text (a leading BOM kept; invalid UTF-8 as U+FFFD). */
  text: string;
  /** Where the bytes stop being UTF-8 (such a file is never rewritten). */
  invalidUtf8?: Utf8Problem;
  dev: number;
  ino: number;
}

interface ReadOptions {
  /** Default MAX_PLAN_BYTES. */
  maxBytes?: number;
  /** What the file should be, for messages: "a plan file". */
  what?: string;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Reads a regular file of at most maxBytes; throws UserFileError in words otherwise. */
export function readUserFile(path: string, opts: ReadOptions = {}): UserFile {
  const max = opts.maxBytes ?? MAX_PLAN_BYTES;
  const what = opts.what ?? 'a plan file';
  let fd: number;
  try {
    // stat first: opening a FIFO for reading would wait for a writer.
    const s = statSync(path);
    if (!s.isFile()) throw new UserFileError(`is ${kindOf(s)}, not ${what}`);
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw new UserFileError(errnoText(e) === 'is a folder' ? `is a folder, not ${what}` : errnoText(e));
  }
  try {
    // Checked again on the open file: the path may have changed since the stat.
    const s = fstatSync(fd);
    if (!s.isFile()) throw new UserFileError(`is ${kindOf(s)}, not ${what}`);
    if (s.size > max) throw new UserFileError(`is ${mib(s.size)}; ${what} may be at most ${mib(max)}`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(1 << 20, max + 1 - total));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > max) throw new UserFileError(`is over ${mib(max)} (it grew while being read); ${what} may be at most ${mib(max)}`);
    }
    const bytes = Buffer.concat(chunks, total);
    const file: UserFile = { path, realPath: realpathSync(path), bytes, text: decodeText(bytes), dev: s.dev, ino: s.ino };
    const bad = firstInvalidUtf8(bytes);
    if (bad) file.invalidUtf8 = bad;
    return file;
  } catch (e) {
    throw e instanceof UserFileError ? e : new UserFileError(errnoText(e));
  } finally {
    closeSync(fd);
  }
}
