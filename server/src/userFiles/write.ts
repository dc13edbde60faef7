// The one way moeplan writes a user's file (fmt, solve --write, export -o,
// report -o, the editor's export). What it promises:
// - a symbolic link is followed and its target rewritten (the link stays);
// - only a regular file (or a new one) is written: a FIFO, a device, a folder
//   or a socket is refused, never replaced;
// - the output is never one of the command's inputs (the plan, its trace),
//   compared by real path and by inode, so hard links count too;
// - the file's own write permission is respected: a file without any write
//   bit (mode 444) is refused even for root, and any file the user may not
//   write is refused, although renaming over it would only need the folder's;
// - a rewrite of a file the command read (`expected`) happens only if the
//   file still holds the bytes read, checked again just before the rename;
// - the new text goes to a temporary file beside the target, is fsynced,
//   gets the old file's mode (and owner, where allowed), is renamed over the
//   target, and the folder is fsynced: a crash or a full disk leaves the old
//   file or the new one, never half of either;
// - failures are UserFileError in words; the caller names the user's path.
import {
  accessSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fsyncSync,
  lstatSync,
  openSync,
  readlinkSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { readUserFile, type UserFile } from './read';
import { UserFileError, errnoText, kindOf } from './errors';

export interface WriteInput {
  path: string;
  /** How messages call it: "the plan", "the trace". */
  what: string;
}

interface WriteOptions {
  /** Files the command reads: the output may not be one of them. */
  inputs?: WriteInput[];
  /** The file as the command read it: rewritten only if it still holds these bytes. */
  expected?: UserFile;
  /** The path as the user wrote it, for messages about its folder. */
  shown?: string;
}

/** Links followed at most (as the kernel's ELOOP limit). */
const MAX_LINK_HOPS = 40;

function statOrUndefined(path: string, follow: boolean): Stats | undefined {
  try {
    return follow ? statSync(path) : lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserFileError(errnoText(e));
  }
}

/**
 * Where a write to `path` lands: every symbolic link followed, also a
 * dangling one (its target is created). Throws when the folder is missing.
 */
export function writeTarget(path: string, shown = path): string {
  let p = resolve(path);
  for (let hops = 0; hops <= MAX_LINK_HOPS; hops++) {
    const s = statOrUndefined(p, false);
    if (s?.isSymbolicLink()) {
      p = resolve(dirname(p), readlinkSync(p));
      continue;
    }
    let dir: string;
    try {
      dir = realpathSync(dirname(p));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const folder = hops === 0 ? dirname(shown) : dirname(p);
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new UserFileError(`the folder ${folder} does not exist`);
      throw new UserFileError(errnoText(e));
    }
    return join(dir, basename(p));
  }
  throw new UserFileError('too many levels of symbolic links');
}

function mode(s: Stats): string {
  return (s.mode & 0o777).toString(8).padStart(3, '0');
}

function canWrite(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Why the resolved target may not be written, or undefined. */
function targetProblem(target: string, shownTarget: string, opts: WriteOptions): string | undefined {
  const s = statOrUndefined(target, false);
  if (s && !s.isFile()) return `is ${kindOf(s)}${shownTarget}; moeplan writes only regular files`;
  for (const input of opts.inputs ?? []) {
    const i = statOrUndefined(input.path, true);
    let same = false;
    if (i && s) same = i.dev === s.dev && i.ino === s.ino;
    else {
      try {
        same = realpathSync(input.path) === target;
      } catch {
        same = resolve(input.path) === target;
      }
    }
    if (same) return `is ${input.what} itself${shownTarget}; choose another output file`;
  }
  if (s) {
    if ((s.mode & 0o222) === 0) return `is read-only (mode ${mode(s)})${shownTarget}; make it writable first (chmod u+w) if it should change`;
    if (!canWrite(target)) return `is not writable for you (mode ${mode(s)}, owner uid ${s.uid})${shownTarget}`;
  }
  const dir = dirname(target);
  if (!canWrite(dir)) return `cannot create files in the folder ${dir} (permission denied)`;
  return undefined;
}

function through(path: string, target: string): string {
  return resolve(path) === target ? '' : ` (through a link to ${target})`;
}

/**
 * Why `path` may not be written, or undefined: the same checks as the write
 * itself, for commands to run before long work.
 */
export function outputProblem(path: string, opts: WriteOptions = {}): string | undefined {
  try {
    const target = writeTarget(path, opts.shown);
    return targetProblem(target, through(path, target), opts);
  } catch (e) {
    return errnoText(e);
  }
}

function unchanged(target: string, expected: UserFile): string | undefined {
  if (expected.realPath !== target) return 'now leads to another file than the one read';
  let now: UserFile;
  try {
    now = readUserFile(target, { maxBytes: Math.max(expected.bytes.length, 1) * 4 + 1024 });
  } catch (e) {
    return `changed since it was read (${errnoText(e)})`;
  }
  if (!now.bytes.equals(expected.bytes)) return 'changed since it was read';
  return undefined;
}

/** Writes text (UTF-8), or bytes as given, to `path` as described above; returns the file written. */
export function writeUserFile(path: string, text: string | Uint8Array, opts: WriteOptions = {}): { target: string } {
  const target = writeTarget(path, opts.shown);
  const shownTarget = through(path, target);
  const problem = targetProblem(target, shownTarget, opts);
  if (problem) throw new UserFileError(problem);
  const before = () => {
    if (!opts.expected) return;
    const why = unchanged(target, opts.expected);
    if (why) throw new UserFileError(`${why}; not overwritten (run the command again)`);
  };
  before();
  const old = statOrUndefined(target, false);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.moeplan-tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', old ? old.mode & 0o7777 : 0o666);
    const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.from(text.buffer, text.byteOffset, text.byteLength);
    for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
    if (old) {
      // The umask applied at open; the old file's mode is what it should keep.
      fchmodSync(fd, old.mode & 0o7777);
      if (process.getuid?.() === 0 && (old.uid !== 0 || old.gid !== 0)) {
        try {
          fchownSync(fd, old.uid, old.gid);
        } catch {
          // Kept by root where allowed; not worth failing the write.
        }
      }
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    // Last checks just before the rename: the target is still what it was.
    const now = statOrUndefined(target, false);
    if (now && !now.isFile()) throw new UserFileError(`became ${kindOf(now)} while writing; not replaced`);
    if (!old && now) throw new UserFileError('was created by something else while writing; not overwritten (run the command again)');
    before();
    renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // Already failing.
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // Nothing to clean up.
    }
    throw e instanceof UserFileError ? e : new UserFileError(errnoText(e) + (shownTarget || ''));
  }
  syncFolder(dirname(target));
  return { target };
}

/** fsync of the folder, so the rename itself survives a crash (not every file system allows it). */
function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // EISDIR/EINVAL/EPERM on file systems that cannot sync a folder: the data itself was synced.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
