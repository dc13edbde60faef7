// Reading plan files and refusing plans with errors, the same way in every
// subcommand: `moeplan CMD: cannot read 'FILE': why`, and the plan's errors
// as `path:line:col` lines followed by a one-line summary.
import { resolve } from 'node:path';
import type { Plan } from '../plan/types';
import { checkText } from '../plan/check';
import { readUserFile, type UserFile } from '../userFiles/read';
import { errnoText } from '../userFiles/errors';
import { describeUtf8Problem } from '../userFiles/encoding';
import type { WriteInput } from '../userFiles/write';
import { formatLine } from './diagnosticLine';
import { traceInputs } from '../workload/traceInputs';

import type { CliIo } from './io';

export interface PlanFile {
  /** As the user gave it (shown in messages). */
  path: string;
  abs: string;
  text: string;
  /** The bytes read, for a rewrite to check that the file did not change. */
  file: UserFile;
}

/** Reads every file (relative to io.cwd); on the first that cannot be read, says why and returns undefined. */
export function readPlanFiles(files: string[], command: string, io: CliIo): PlanFile[] | undefined {
  const out: PlanFile[] = [];
  for (const path of files) {
    const abs = resolve(io.cwd, path);
    try {
      const file = readUserFile(abs);
      out.push({ path, abs, text: file.text, file });
    } catch (e) {
      io.err(`moeplan ${command}: cannot read '${path}': ${errnoText(e)}\n`);
      return undefined;
    }
  }
  return out;
}

/**
 * Undefined when the plan may be rewritten; else says why not (a file that is
 * not UTF-8 would lose its bytes in the rewrite).
 */
export function notRewritable(file: PlanFile, command: string, io: CliIo): true | undefined {
  const bad = file.file.invalidUtf8;
  if (!bad) return undefined;
  io.err(
    `moeplan ${command}: '${file.path}' is not valid UTF-8 (${describeUtf8Problem(bad)}); not rewritten, since its bytes would be lost. ` +
      `Save it as UTF-8 first (e.g. iconv -f latin1 -t utf-8).\n`,
  );
  return true;
}

/** The files a command on this plan reads: an output must not be one of them. */
export function planInputs(planPath: string, plan: Plan): WriteInput[] {
  return [{ path: planPath, what: 'the plan' }, ...traceInputs(plan)];
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
