// `moeplan report PLAN -o report.html [--time S] [--title T]`: checks the
// plan, analyses it (solvers and cost model on worker threads) and writes one
// self-contained HTML file with the placement view's charts and the key
// figures in text. The write is atomic. Exit: 0 written, 1 plan/analysis/write
// errors, 2 usage.
import { statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { analyzePlan, AnalysisError } from '../analysis/index';
import { formatExpectedTime, formatUs } from '../report/keyFigures';
import { MissingBundleError } from '../report/bundle';
import { renderReport } from '../report/render';
import { writeFileAtomic } from '../util/atomicWrite';
import { planWithoutErrors, readErrorText, readPlanFiles, splitInlineOption } from './planInput';
import type { CliIo } from './io';

const HELP = `usage: moeplan report PLAN -o report.html [options]

Writes one self-contained HTML page (scripts and data inlined, no network)
with the placement view's charts and the plan's key figures, for pull
requests and CI artifacts.

options:
  -o, --output FILE  where to write the page (required)
  --time S           solver time budget in seconds (default: the plan's)
  --title TEXT       page title (default: the plan's file name)
Exit status: 0 written, 1 errors in the plan, its analysis or the write, 2 usage error.
`;

interface ReportArgs {
  file: string;
  output: string;
  timeMs?: number;
  title?: string;
}

function parseArgs(args: string[]): ReportArgs | string {
  const files: string[] = [];
  let output: string | undefined;
  let timeMs: number | undefined;
  let title: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const { name: a, inline } = splitInlineOption(args[i]);
    const value = (): string | undefined => inline ?? args[++i];
    switch (a) {
      case '-o':
      case '--output': {
        const v = value();
        if (!v) return `${a} takes the HTML file to write, e.g. -o report.html`;
        output = v;
        break;
      }
      case '--time': {
        const v = value();
        const m = v?.match(/^(\d+(?:\.\d+)?)\s*(ms|s)?$/);
        if (!m) return `--time takes seconds (e.g. 10, 2.5 or 500ms)${v ? `, not '${v}'` : ''}`;
        timeMs = Number(m[1]) * (m[2] === 'ms' ? 1 : 1000);
        break;
      }
      case '--title': {
        const v = value();
        if (v === undefined) return '--title takes a text';
        title = v;
        break;
      }
      default:
        if (a.startsWith('-') && a !== '-') return `unknown option '${a}'`;
        files.push(a);
    }
  }
  if (files.length !== 1) return files.length === 0 ? 'no plan file given' : `one plan file at a time (got ${files.length})`;
  if (!output) return 'no output file: add -o report.html';
  return { file: files[0], output, timeMs, title };
}

export async function runReport(args: string[], io: CliIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(HELP);
    return 0;
  }
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    io.err(`moeplan report: ${parsed}\n\n${HELP}`);
    return 2;
  }
  const abs = resolve(io.cwd, parsed.file);
  const out = resolve(io.cwd, parsed.output);
  if (out === abs) {
    io.err(`moeplan report: the output '${parsed.output}' is the plan itself; choose another file, e.g. -o report.html\n`);
    return 2;
  }
  // Fail before the (possibly long) analysis if the output cannot be written.
  try {
    if (!statSync(dirname(out)).isDirectory()) throw Object.assign(new Error(''), { code: 'ENOTDIR' });
  } catch {
    io.err(`moeplan report: cannot write '${parsed.output}': the folder ${dirname(parsed.output) || '.'} does not exist\n`);
    return 1;
  }
  try {
    if (statSync(out).isDirectory()) {
      io.err(`moeplan report: '${parsed.output}' is a folder; give a file name, e.g. -o ${parsed.output.replace(/\/?$/, '/report.html')}\n`);
      return 1;
    }
  } catch {
    /* a new file */
  }

  const file = readPlanFiles([parsed.file], 'report', io)?.[0];
  if (!file) return 1;
  const plan = planWithoutErrors(file, 'making a report', io);
  if (!plan) return 1;

  let results;
  try {
    results = await analyzePlan(plan, { timeBudgetMs: parsed.timeMs });
  } catch (e) {
    const msg = e instanceof AnalysisError ? e.message : `internal error: ${(e as Error).message}`;
    io.err(`moeplan report: ${parsed.file}: ${msg}\n`);
    return 1;
  }
  results.uri = parsed.file;

  let html: string;
  try {
    html = renderReport(results, { title: parsed.title ?? basename(parsed.file), planText: file.text, source: parsed.file });
  } catch (e) {
    const msg = e instanceof MissingBundleError ? e.message : `internal error: ${(e as Error).message}`;
    io.err(`moeplan report: ${msg}\n`);
    return 1;
  }
  try {
    writeFileAtomic(out, html);
  } catch (e) {
    io.err(`moeplan report: cannot write '${parsed.output}': ${readErrorText(e)}\n`);
    return 1;
  }
  const latency = Number.isFinite(results.latencyUsPerToken) ? `, ${formatUs(results.latencyUsPerToken)} per token` : '';
  io.out(
    `wrote ${parsed.output} (${Math.round(html.length / 1024)} KiB): E[T] ${formatExpectedTime(results.expectedTime)}, ` +
      `bound ${formatExpectedTime(results.lowerBound)}, EPLB ${formatExpectedTime(results.baselines.eplb)}${latency}\n`,
  );
  return 0;
}
