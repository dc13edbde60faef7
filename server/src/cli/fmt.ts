// `moeplan fmt FILE… [--check]`: rewrite plans in canonical form (through
// the one write path, userFiles/write.ts: atomic, links followed, read-only
// files and files changed meanwhile left alone), or with --check list the
// files that are not formatted and exit 1. Files with syntax errors, or that
// are not UTF-8, are left untouched and reported.
import { formatText } from '../language/formatter';
import { writeUserFile } from '../userFiles/write';
import { errnoText } from '../userFiles/errors';
import type { CliIo } from './io';
import { notRewritable, readPlanFiles } from './planInput';

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
  const seen = new Set<string>();
  for (const f of inputs) {
    // The same file named twice (or through a link) is formatted once.
    if (seen.has(f.file.realPath)) continue;
    seen.add(f.file.realPath);
    if (notRewritable(f, 'fmt', io)) {
      status = 1;
      continue;
    }
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
      writeUserFile(f.abs, r.text, { expected: f.file });
      io.out(`formatted ${f.path}\n`);
    } catch (e) {
      io.err(`moeplan fmt: cannot write '${f.path}': ${errnoText(e)}\n`);
      status = 1;
    }
  }
  return status;
}
