// `moeplan fmt FILE… [--check]`: rewrite plans in canonical form (atomic
// in-place writes), or with --check list the files that are not formatted
// and exit 1. Files with syntax errors are left untouched and reported.
import { formatText } from '../language/formatter';
import { writeFileAtomic } from '../util/atomicWrite';
import type { CliIo } from './io';
import { readPlanFiles } from './planInput';

const HELP = `usage: moeplan fmt FILE... [--check]

Formats .moeplan files in place (canonical layout, comments kept).
  --check   write nothing; list files that are not formatted and exit 1
Exit status: 0 done (or all formatted), 1 unformatted files or syntax errors, 2 usage error.
`;

export async function runFmt(args: string[], io: CliIo): Promise<number> {
  let check = false;
  const files: string[] = [];
  for (const a of args) {
    if (a === '--help' || a === '-h') {
      io.out(HELP);
      return 0;
    }
    if (a === '--check') {
      check = true;
      continue;
    }
    if (a.startsWith('-') && a !== '-') {
      io.err(`moeplan fmt: unknown option '${a}'\n\n${HELP}`);
      return 2;
    }
    files.push(a);
  }
  if (files.length === 0) {
    io.err(`moeplan fmt: no files given\n\n${HELP}`);
    return 2;
  }
  const inputs = readPlanFiles(files, 'fmt', io);
  if (!inputs) return 2;
  let status = 0;
  for (const f of inputs) {
    const r = formatText(f.text);
    if ('error' in r) {
      io.err(`${f.path}: ${r.error}\n`);
      status = 1;
      continue;
    }
    if (r.text === f.text) continue;
    if (check) {
      io.out(`${f.path}\n`);
      status = 1;
      continue;
    }
    try {
      writeFileAtomic(f.abs, r.text);
      io.out(`formatted ${f.path}\n`);
    } catch (e) {
      io.err(`moeplan fmt: cannot write '${f.path}': ${(e as Error).message}\n`);
      status = 1;
    }
  }
  return status;
}
