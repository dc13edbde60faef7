// `moeplan check FILE… [--format text|json]`: parse and check plans, print
// `path:line:col: severity CODE: message` (1-based), exit 0 when clean,
// 1 when any error, 2 on usage errors (unknown flag, no files, unreadable file).
import type { Diagnostic } from '../language/diagnostic';
import { checkText } from '../plan/check';
import type { CliIo } from './io';
import { readPlanFiles } from './planInput';
import { formatLine } from './diagnosticLine';

const HELP = `usage: moeplan check FILE... [--format text|json]

Checks .moeplan files and prints one line per problem:
  path:line:col: severity CODE: message
Exit status: 0 clean (warnings allowed), 1 any error, 2 usage error.
Codes are explained in docs/diagnostics.md.
`;

export interface CheckedFile {
  path: string;
  diagnostics: Diagnostic[];
}

export async function runCheck(args: string[], io: CliIo): Promise<number> {
  let format: 'text' | 'json' = 'text';
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--help' || a === '-h') {
      io.out(HELP);
      return 0;
    }
    if (a === '--format' || a.startsWith('--format=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i];
      if (v !== 'text' && v !== 'json') {
        io.err(`moeplan check: --format takes 'text' or 'json'${v === undefined ? '' : `, not '${v}'`}\n`);
        return 2;
      }
      format = v;
      continue;
    }
    if (a === '--json') {
      format = 'json';
      continue;
    }
    if (a.startsWith('-') && a !== '-') {
      io.err(`moeplan check: unknown option '${a}'\n\n${HELP}`);
      return 2;
    }
    files.push(a);
  }
  if (files.length === 0) {
    io.err(`moeplan check: no files given\n\n${HELP}`);
    return 2;
  }
  const texts = readPlanFiles(files, 'check', io);
  if (!texts) return 2;
  const results: CheckedFile[] = texts.map((t) => ({ path: t.path, diagnostics: checkText(t.text, t.abs).diagnostics }));
  const errors = results.reduce((n, r) => n + r.diagnostics.filter((d) => d.severity === 'error').length, 0);
  if (format === 'json') {
    io.out(JSON.stringify({ files: results.map((r) => ({ path: r.path, diagnostics: r.diagnostics.map(toJson) })), errors }, null, 2) + '\n');
  } else {
    for (const r of results) for (const d of r.diagnostics) io.out(formatLine(r.path, d) + '\n');
    const warnings = results.reduce((n, r) => n + r.diagnostics.filter((d) => d.severity === 'warning').length, 0);
    if (errors > 0 || warnings > 0) {
      io.err(`${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'} in ${results.length} file${results.length === 1 ? '' : 's'}\n`);
    }
  }
  return errors > 0 ? 1 : 0;
}

/** `path:line:col: severity CODE: message`, 1-based. */
function toJson(d: Diagnostic) {
  return {
    line: d.range.start.line + 1,
    column: d.range.start.character + 1,
    endLine: d.range.end.line + 1,
    endColumn: d.range.end.character + 1,
    severity: d.severity,
    code: d.code,
    message: d.message,
    range: d.range,
    ...(d.file ? { file: d.file } : {}),
    ...(d.related ? { related: d.related } : {}),
    ...(d.fixes ? { fixes: d.fixes } : {}),
  };
}
