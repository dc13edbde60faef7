// Reading plan files and refusing plans with errors, the same way in every
// subcommand: `moeplan CMD: cannot read 'FILE': why`, and the plan's errors
// as `path:line:col` lines followed by a one-line summary.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Plan } from '../plan/types';
import { checkText } from '../plan/check';
import { formatLine } from './check';
import type { CliIo } from './io';

/** Why a file could not be read, in words. */
export function readErrorText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a folder, not a plan file';
  if (code === 'EACCES') return 'permission denied';
  return e instanceof Error ? e.message : String(e);
}

export interface PlanFile {
  /** As the user gave it (shown in messages). */
  path: string;
  abs: string;
  text: string;
}

/** Reads every file (relative to io.cwd); on the first that cannot be read, says why and returns undefined. */
export function readPlanFiles(files: string[], command: string, io: CliIo): PlanFile[] | undefined {
  const out: PlanFile[] = [];
  for (const path of files) {
    const abs = resolve(io.cwd, path);
    try {
      out.push({ path, abs, text: readFileSync(abs, 'utf8') });
    } catch (e) {
      io.err(`moeplan ${command}: cannot read '${path}': ${readErrorText(e)}\n`);
      return undefined;
    }
  }
  return out;
}

/**
 * The checked plan, or undefined after printing its errors and
 * `N errors in FILE: fix them before DOING (see 'moeplan check')`.
 */
export function planWithoutErrors(file: PlanFile, doing: string, io: CliIo): Plan | undefined {
  const checked = checkText(file.text, file.abs);
  const errors = checked.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length === 0 && checked.plan) return checked.plan;
  for (const d of errors) io.err(formatLine(file.path, d) + '\n');
  const n = errors.length;
  io.err(`${n} error${n === 1 ? '' : 's'} in ${file.path}: fix ${n === 1 ? 'it' : 'them'} before ${doing} (see 'moeplan check')\n`);
  return undefined;
}

/** `--name=value` as the option name and its inline value; other arguments unchanged. */
export function splitInlineOption(arg: string): { name: string; inline?: string } {
  if (!arg.startsWith('--') || !arg.includes('=')) return { name: arg };
  const eq = arg.indexOf('=');
  return { name: arg.slice(0, eq), inline: arg.slice(eq + 1) };
}
