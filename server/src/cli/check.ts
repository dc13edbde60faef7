// `moeplan check FILE… [--format text|json] [--trace NEW] [--max-regression P%]`:
// parse and check plans, print `path:line:col: severity CODE: message`
// (1-based), exit 0 when clean, 1 when any error, 2 on usage errors (unknown
// flag, no files, unreadable file) or when the drift gate cannot run. With
// `--trace`, or when a plan names a newer trace (`drift`), the drift gate
// runs too (cli/driftGate.ts): a regression over the limit is an error.
import type { Diagnostic } from '../language/diagnostic';
import { checkText } from '../plan/check';
import type { DriftReport } from '../protocol';
import type { CliIo } from './io';
import { formatLine } from './diagnosticLine';
import { readPlanFiles, splitInlineOption } from './planInput';
import { readGateOption, runDriftGate, type GateOptions } from './driftGate';

const HELP = `usage: moeplan check FILE... [--format text|json] [--trace NEW [--max-regression P%] [--time S]]

Checks .moeplan files and prints one line per problem:
  path:line:col: severity CODE: message

The drift gate (with --trace, or when a plan names a newer trace with
\`drift "FILE"\`): the plan's committed placement on NEW (a trace file, folder
or glob) against a fresh solve on NEW with the plan's time budget (or --time);
both figures and the regression are printed, and a regression over the limit
(--max-regression, else the plan's, else 5%) is error MP809.

Exit status: 0 clean (warnings allowed), 1 any error (a failed drift gate
too), 2 usage error or a drift gate that could not run.
Codes are explained in docs/diagnostics.md.
`;

interface CheckedFile {
  path: string;
  diagnostics: Diagnostic[];
  /** The drift gate's report, when it ran, and its one-line summary. */
  drift?: DriftReport;
  summary?: string;
}

export async function runCheck(args: string[], io: CliIo): Promise<number> {
  let format: 'text' | 'json' = 'text';
  const files: string[] = [];
  const gate: GateOptions = {};
  for (let i = 0; i < args.length; i++) {
    const { name: a, inline } = splitInlineOption(args[i]);
    const value = () => inline ?? args[++i];
    if (a === '--help' || a === '-h') {
      io.out(HELP);
      return 0;
    }
    if (a === '--format') {
      const v = value();
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
    const gateProblem = readGateOption(a, value, gate);
    if (gateProblem !== undefined) {
      if (gateProblem === '') continue;
      io.err(`moeplan check: ${gateProblem}\n\n${HELP}`);
      return 2;
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
  const results: CheckedFile[] = [];
  let gateFailed = false;
  for (const t of texts) {
    const checked = checkText(t.text, t.abs);
    const r: CheckedFile = { path: t.path, diagnostics: checked.diagnostics };
    const errors = checked.diagnostics.some((d) => d.severity === 'error');
    if (!errors && checked.plan && (gate.trace !== undefined || checked.plan.workload.drift)) {
      const outcome = await runDriftGate(checked.plan, t.path, gate, io);
      if ('failed' in outcome) {
        io.err(`moeplan check: ${t.path}: the drift gate could not run: ${outcome.failed}\n`);
        gateFailed = true;
      } else {
        r.diagnostics = [...r.diagnostics, outcome.diagnostic];
        r.drift = outcome.report;
        r.summary = outcome.summary;
      }
    }
    results.push(r);
  }
  const errors = results.reduce((n, r) => n + r.diagnostics.filter((d) => d.severity === 'error').length, 0);
  if (format === 'json') {
    io.out(
      JSON.stringify(
        { files: results.map((r) => ({ path: r.path, diagnostics: r.diagnostics.map(toJson), ...(r.drift ? { drift: r.drift } : {}) })), errors },
        null,
        2,
      ) + '\n',
    );
  } else {
    for (const r of results) {
      if (r.summary) io.out(r.summary + '\n');
      for (const d of r.diagnostics) io.out(formatLine(r.path, d) + '\n');
    }
    const warnings = results.reduce((n, r) => n + r.diagnostics.filter((d) => d.severity === 'warning').length, 0);
    if (errors > 0 || warnings > 0) {
      io.err(
        `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'} in ${results.length} file${results.length === 1 ? '' : 's'}\n`,
      );
    }
  }
  if (errors > 0) return 1;
  return gateFailed ? 2 : 0;
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
