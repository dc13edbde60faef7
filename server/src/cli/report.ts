// `moeplan report PLAN -o report.html [--time S] [--title T]`: checks the
// plan, analyses it (solvers and cost model on worker threads) and writes one
// self-contained HTML file with the placement view's charts and the key
// figures in text, through userFiles/write.ts (atomic, never over the plan or
// its trace, never replacing a FIFO or a device); `-o -` prints it instead.
// Exit: 0 written, 1 plan/analysis/write errors, 2 usage.
import { basename, resolve } from 'node:path';
import { analyzePlan, AnalysisError } from '../analysis/index';

import { MissingBundleError } from '../report/bundle';
import { renderReport } from '../report/render';
import { outputProblem, writeUserFile } from '../userFiles/write';
import { errnoText } from '../userFiles/errors';
import { planInputs, planWithoutErrors, readPlanFiles, splitInlineOption } from './planInput';
import type { CliIo } from './io';
import * as show from '../display';
import { eplbFigure, figureText, objectiveLabel, objectiveName, overallFigure, primaryText } from '../feedback/objective';

const HELP = `usage: moeplan report PLAN -o report.html [options]

Writes one self-contained HTML page (scripts and data inlined, no network)
with the placement view's charts and the plan's key figures, for pull
requests and CI artifacts.

options:
  -o, --output FILE  where to write the page (required; '-' = stdout)
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
  const file = readPlanFiles([parsed.file], 'report', io)?.[0];
  if (!file) return 1;
  const plan = planWithoutErrors(file, 'making a report', io);
  if (!plan) return 1;
  const out = parsed.output === '-' ? undefined : resolve(io.cwd, parsed.output);
  const writeOptions = { inputs: planInputs(file.abs, plan), shown: parsed.output };
  // Fail before the (possibly long) analysis if the output cannot be written.
  const problem = out && outputProblem(out, writeOptions);
  if (problem) {
    io.err(
      `moeplan report: cannot write '${parsed.output}': ${problem}${/folder;/.test(problem) ? `; give a file name, e.g. -o ${parsed.output.replace(/\/?$/, '/report.html')}` : ''}\n`,
    );
    return 1;
  }

  let results;
  try {
    results = await analyzePlan(plan, { timeBudgetMs: parsed.timeMs, startedAt: io.startedAt });
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
  if (!out) {
    io.out(html);
    return 0;
  }
  try {
    writeUserFile(out, html, writeOptions);
  } catch (e) {
    io.err(`moeplan report: cannot write '${parsed.output}': ${errnoText(e)}\n`);
    return 1;
  }
  const o = objectiveName(results);
  const bound = { expectedTime: results.lowerBound, latencyUs: results.lowerBoundUs };
  io.out(
    `wrote ${parsed.output} (${Math.round(html.length / 1024)} KiB): ${figureText(overallFigure(results), o)} per layer (${objectiveLabel(results.objective)}), ` +
      `bound ${primaryText(bound, o)}, EPLB ${primaryText(eplbFigure(results), o)}, ${show.micros(results.latencyUsPerToken)} per step\n`,
  );
  return 0;
}
