// A trace path may name one file, a folder of trace files (the rolling logs
// a deployment writes) or a glob of them (`logs/routing-*.jsonl`). Which it
// is depends on the text alone for globs; a folder is told from a file when
// the workload is read (workload/traceFiles.ts).
import * as nodePath from 'node:path';

/** Characters that make a path a glob (picomatch's syntax). */
const GLOB_CHARS = /[*?[\]{}]/;

/** Whether the path as written is a glob pattern. */
export function isTracePattern(path: string): boolean {
  return GLOB_CHARS.test(path);
}

/** The folder a glob lists: its path up to the first component with a wildcard. */
export function patternBase(absPattern: string): string {
  const parts = absPattern.split(/[\\/]/);
  const i = parts.findIndex((p) => GLOB_CHARS.test(p));
  if (i < 0) return absPattern;
  const base = parts.slice(0, i).join(nodePath.sep);
  return base === '' ? nodePath.sep : base;
}
