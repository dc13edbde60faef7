// The files one `trace` line names: the file itself, every trace file in a
// folder (the rolling logs a deployment writes), or the files a glob
// matches. They are read as one trace, in name order with numbers compared
// as numbers (`routing-2` before `routing-10`), which for rolling logs is
// time order; a held-out split by position therefore holds out the newest.
//
// Globs use picomatch's syntax (`*`, `?`, `[…]`, `{a,b}`, `**`). A folder
// gives its regular files whose names do not start with a dot, without
// descending; a glob descends only as deep as its `**` or its components
// ask. The language server passes `readable`, its workspace-trust check: a
// folder is listed and a file returned only when it says so.
import { readdirSync, statSync, type Dirent } from 'node:fs';
import * as nodePath from 'node:path';
import picomatch from 'picomatch';
import type { TraceSpec } from '../plan/types';
import { isTracePattern, patternBase } from '../plan/tracePattern';
import { WorkloadError } from './types';

/** Files one trace line may name at most (a folder of years of hourly logs is a mistake worth a message). */
const MAX_TRACE_FILES = 10_000;
/** Folders deep a `**` glob descends at most. */
const MAX_DEPTH = 16;

/** The real path to read for `path`, or undefined when it may not be read or listed. */
export type Readable = (path: string) => string | undefined;

const anyPath: Readable = (p) => p;

export const NOT_TRUSTED = 'outside the workspace (links followed) and the workspace is not trusted; trust the workspace to read it';

/**
 * The files `spec` names, in reading order; each as `readable` gives it
 * (the real path when the server checks trust). Throws WorkloadError when
 * a folder or glob holds no file, or one that may not be read.
 */
export function listTraceFiles(spec: Pick<TraceSpec, 'path' | 'absPath' | 'files'>, readable: Readable = anyPath): string[] {
  if (spec.files) return spec.files;
  const pattern = isTracePattern(spec.path);
  let isDir = false;
  if (!pattern) {
    const real = readable(spec.absPath);
    if (real === undefined) throw new WorkloadError(NOT_TRUSTED, spec.path);
    try {
      isDir = statSync(real).isDirectory();
    } catch {
      return [real]; // the reader reports a missing file in its own words
    }
    if (!isDir) return [real];
  }
  const base = pattern ? patternBase(spec.absPath) : spec.absPath;
  if (pattern && readable(base) === undefined) throw new WorkloadError(NOT_TRUSTED, spec.path);
  const matcher = pattern ? picomatch(toPosix(nodePath.relative(base, spec.absPath)), { dot: false }) : undefined;
  const depth = !pattern ? 0 : spec.absPath.includes('**') ? MAX_DEPTH : nodePath.relative(base, spec.absPath).split(/[\\/]/).length - 1;
  const found: string[] = [];
  walk(base, '', depth, readable, (rel, real) => {
    if (!matcher || matcher(rel)) found.push(real);
    if (found.length > MAX_TRACE_FILES)
      throw new WorkloadError(`names more than ${MAX_TRACE_FILES.toLocaleString('en-US')} files; name fewer (a narrower glob, or a folder per day)`, spec.path);
  });
  if (found.length === 0)
    throw new WorkloadError(
      pattern ? `no file matches the glob (looked in ${base})` : `the folder ${spec.absPath} holds no trace file (names starting with a dot are skipped)`,
      spec.path,
    );
  return found;
}

/** Regular files under `dir` (names not starting with a dot), in name order, folders at most `depth` deep. */
function walk(dir: string, rel: string, depth: number, readable: Readable, visit: (rel: string, real: string) => void): void {
  const real = readable(dir);
  if (real === undefined) return;
  let entries: Dirent[];
  try {
    entries = readdirSync(real, { withFileTypes: true });
  } catch (e) {
    if (rel === '') throw new WorkloadError(`cannot list the folder: ${(e as Error).message}`, dir);
    return;
  }
  entries.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const path = nodePath.join(dir, e.name);
    const relPath = rel === '' ? e.name : `${rel}/${e.name}`;
    // Links are followed (through `readable` when trust is checked).
    const target = readable(path);
    if (target === undefined) continue;
    let kind: 'file' | 'dir' | 'other' = 'other';
    try {
      const st = statSync(target);
      kind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
    } catch {
      continue;
    }
    if (kind === 'file') visit(relPath, target);
    else if (kind === 'dir' && depth > 0) walk(path, relPath, depth - 1, readable, visit);
  }
}

function toPosix(p: string): string {
  return p.split(nodePath.sep).join('/');
}
