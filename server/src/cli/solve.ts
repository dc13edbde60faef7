// `moeplan solve PLAN [--json] [--write] [--policy P] [--time S] [--trace FILE]
// [--gpus N] [--slots N] [--batch N] [--no-sweeps]`: solves every MoE layer
// (on worker threads) and prints a summary table, or PlanResults as JSON.
// `--write` commits the placement into the plan (through userFiles/write.ts,
// formatted, comments kept; refused when the plan changed while solving).
// Exit: 0 solved, 1 plan or workload errors, 2 usage.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DispatchRule, ObjectiveName, PolicyName } from '../plan/types';
import type { PlanResults } from '../protocol';
import { writeCommittedPlacement } from '../plan/edit';
import { outputProblem, writeUserFile } from '../userFiles/write';
import { errnoText, kindOf } from '../userFiles/errors';
import { analyzePlan, AnalysisError, type PlanOverrides } from '../analysis/index';
import { type OVERRIDE_LIMITS, overrideProblem, parseTraceArg } from '../analysis/overrides';
import { robustLines } from './robustSummary';
import { isTracePattern, patternBase } from '../plan/tracePattern';
import { DISPATCH, OBJECTIVE, POLICY } from '../plan/vocabulary';
import { notRewritable, planWithoutErrors, readPlanFiles, splitInlineOption, type PlanFile } from './planInput';
import type { CliIo } from './io';
import { readProgressLine } from './readProgress';
import * as show from '../display';
import { capacitySummary } from './capacityTable';

const HELP = `usage: moeplan solve PLAN [options]

Solves the placement of every MoE layer for the plan's objective (default:
latency, µs per MoE layer at the plan's batch under its dispatch rule) and
compares it with the engines' placements (contiguous, round-robin, DeepSeek
EPLB), one copy per expert, the E[T] optimum and a lower bound.

options:
  --json           print the full results as one JSON object
  --write          write the placement into PLAN as committed assignments
  --policy P       ${POLICY.words.join(' | ')} (default: the plan's)
  --time S         time budget in seconds for the whole solve (default: the plan's)
  --trace FILE[:W] use this routing trace (a file, folder or glob) instead of the
                   plan's workload; repeat to mix several, W their weights (default 1)
  --gpus N         what if there were N GPUs
  --slots N        what if every GPU had N expert slots
  --batch N        what if a step carried N tokens
  --objective O    ${OBJECTIVE.words.join(' | ')}: what the solvers minimise (default: the plan's)
  --dispatch D     ${DISPATCH.words.join(' | ')}: the engine's copy choice (default: the plan's)
  --context N      what if each request held N tokens (prompt and output); runs the capacity sweep
  --target T       latency target, e.g. 50ms or 2s (a bare number is ms): time per output
                   token (decode) or to the first token (prefill); runs the capacity sweep
  --no-sweeps      skip the memory, batch and capacity sweeps (faster)
Exit status: 0 solved, 1 errors in the plan or its workload, 2 usage error.
`;

/** Seconds from `50ms`, `50 ms`, `0.5s`, `800us`, `800µs` or a bare number of milliseconds; undefined when not a positive time. */
export function parseDuration(text: string): number | undefined {
  const m = text.trim().match(/^(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|us|µs|μs)?$/);
  if (!m) return undefined;
  const x = Number(m[1]);
  const unit = m[2] ?? 'ms';
  const s = unit === 's' ? x : unit === 'ms' ? x / 1e3 : x / 1e6;
  return s > 0 && Number.isFinite(s) ? s : undefined;
}

interface SolveArgs {
  file: string;
  json: boolean;
  write: boolean;
  sweeps: boolean;
  policy?: PolicyName;
  timeMs?: number;
  overrides: PlanOverrides;
}

function parseArgs(args: string[]): SolveArgs | string {
  const out: SolveArgs = { file: '', json: false, write: false, sweeps: true, overrides: {} };
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const { name: a, inline } = splitInlineOption(args[i]);
    const value = (): string | undefined => inline ?? args[++i];
    // Held to a plan's limits (plan/limits.ts): `--gpus 1e6` is refused, not tried.
    const count = (name: keyof typeof OVERRIDE_LIMITS): number | string => {
      const v = value();
      const n = v === undefined || v.trim() === '' ? NaN : Number(v);
      const problem = overrideProblem(name, n);
      if (problem) return `${problem}${v === undefined ? '' : `, not '${v.length > 40 ? v.slice(0, 40) + '…' : v}'`}`;
      return n;
    };
    switch (a) {
      case '--json':
        out.json = true;
        break;
      case '--write':
        out.write = true;
        break;
      case '--no-sweeps':
        out.sweeps = false;
        break;
      case '--policy': {
        const v = value();
        if (!v || !POLICY.has(v)) return `--policy takes one of ${POLICY.words.join(', ')}${v ? `, not '${v}'` : ''}`;
        out.policy = v;
        break;
      }
      case '--time': {
        const v = value();
        const m = v?.match(/^(\d+(?:\.\d+)?)\s*(ms|s)?$/);
        if (!m) return `--time takes seconds (e.g. 10, 2.5 or 500ms)${v ? `, not '${v}'` : ''}`;
        out.timeMs = Number(m[1]) * (m[2] === 'ms' ? 1 : 1000);
        break;
      }
      case '--trace': {
        const v = value();
        if (!v) return '--trace takes a file';
        const t = parseTraceArg(v);
        if (typeof t === 'string') return t;
        (out.overrides.traces ??= []).push(t);
        break;
      }
      case '--gpus': {
        const n = count('gpus');
        if (typeof n === 'string') return n;
        out.overrides.gpus = n;
        break;
      }
      case '--slots': {
        const n = count('slots');
        if (typeof n === 'string') return n;
        out.overrides.slots = n;
        break;
      }
      case '--objective': {
        const v = value();
        if (!v || !OBJECTIVE.has(v)) return `--objective takes one of ${OBJECTIVE.words.join(', ')}${v ? `, not '${v}'` : ''}`;
        out.overrides.objective = v satisfies ObjectiveName;
        break;
      }
      case '--dispatch': {
        const v = value();
        if (!v || !DISPATCH.has(v)) return `--dispatch takes one of ${DISPATCH.words.join(', ')}${v ? `, not '${v}'` : ''}`;
        out.overrides.dispatch = v satisfies DispatchRule;
        break;
      }
      case '--batch': {
        const n = count('batch');
        if (typeof n === 'string') return n;
        out.overrides.batch = n;
        break;
      }
      case '--context': {
        const n = count('context');
        if (typeof n === 'string') return n;
        out.overrides.context = n;
        break;
      }
      case '--target': {
        const v = value();
        const s = v === undefined ? undefined : parseDuration(v);
        if (s === undefined) return `--target takes a time such as 50ms, 0.5s or 800us (a bare number is ms)${v === undefined ? '' : `, not '${v}'`}`;
        out.overrides.targetS = s;
        break;
      }
      default:
        if (a.startsWith('-') && a !== '-') return `unknown option '${a}'`;
        files.push(a);
    }
  }
  if (files.length !== 1) return files.length === 0 ? 'no plan file given' : `one plan file at a time (got ${files.length})`;
  out.file = files[0];
  return out;
}

export async function runSolve(args: string[], io: CliIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(HELP);
    return 0;
  }
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    io.err(`moeplan solve: ${parsed}\n\n${HELP}`);
    return 2;
  }
  const file = readPlanFiles([parsed.file], 'solve', io)?.[0];
  if (!file) return 2;
  for (const t of parsed.overrides.traces ?? []) {
    // The flag's path is relative to the working folder (a plan's `trace` is relative to the plan).
    const shown = t.path;
    t.path = resolve(io.cwd, shown);
    const problem = traceProblem(t.path, isTracePattern(shown));
    if (problem) {
      io.err(`moeplan solve: --trace ${shown}: ${problem} (the path is relative to the current folder, ${io.cwd})\n`);
      return 2;
    }
  }
  const plan = planWithoutErrors(file, 'solving', io);
  if (!plan) return 1;
  if (parsed.write) {
    // Refuse before the (possibly long) solve what the write would refuse after it.
    if (notRewritable(file, 'solve', io)) return 1;
    const problem = outputProblem(file.abs);
    if (problem) {
      io.err(`moeplan solve: cannot write the placement into '${parsed.file}': ${problem}\n`);
      return 1;
    }
  }
  let results: PlanResults;
  const reading = readProgressLine(io);
  try {
    results = await analyzePlan(plan, {
      policy: parsed.policy,
      timeBudgetMs: parsed.timeMs,
      startedAt: io.startedAt,
      overrides: parsed.overrides,
      sweeps: parsed.sweeps,
      onProgress: reading.onProgress,
    });
  } catch (e) {
    reading.end();
    const msg = e instanceof AnalysisError ? e.message : `internal error: ${(e as Error).message}`;
    io.err(`moeplan solve: ${parsed.file}: ${msg}\n`);
    return 1;
  }
  reading.end();
  results.uri = parsed.file;
  if (parsed.write) {
    const code = writePlacement(file, results, io);
    if (code !== 0) return code;
  }
  if (parsed.json) io.out(JSON.stringify(results, null, 2) + '\n');
  else io.out(summary(results, parsed.write ? parsed.file : undefined));
  return 0;
}

/** Why the --trace file (folder, glob) cannot be read, in words, or undefined (the reader says what is wrong inside it). */
function traceProblem(abs: string, pattern: boolean): string | undefined {
  try {
    const s = statSync(pattern ? patternBase(abs) : abs);
    if (pattern) return s.isDirectory() ? undefined : `the glob's folder ${patternBase(abs)} is ${kindOf(s)}`;
    return s.isFile() || s.isDirectory() ? undefined : `is ${kindOf(s)}, not a trace file or a folder of them`;
  } catch (e) {
    return errnoText(e);
  }
}

function writePlacement(file: PlanFile, results: PlanResults, io: CliIo): number {
  const next = writeCommittedPlacement(
    file.text,
    results.layers.map((l) => ({ layer: l.layer, gpus: l.placement })),
  );
  if ('error' in next) {
    io.err(`moeplan solve: cannot write the placement into '${file.path}': ${next.error}\n`);
    return 1;
  }
  try {
    writeUserFile(file.abs, next.text, { expected: file.file });
  } catch (e) {
    io.err(`moeplan solve: cannot write the placement into '${file.path}': ${errnoText(e)}\n`);
    return 1;
  }
  return 0;
}

const fmt = show.expectedTime;

const micros = show.micros;

/** How much `a` is above `b`, signed. */
function pct(a: number, b: number): string {
  return b > 0 ? show.signedPercent(a / b - 1) : show.MISSING;
}

const DISPATCH_NOTE: Record<DispatchRule, string> = {
  static: "SGLang's static dispatch",
  random: "vLLM's replica choice",
  balanced: 'balanced per step',
};

/** The human summary: the objective first, one row per layer, then the means and notes. */
export function summary(r: PlanResults, wrote?: string): string {
  const lines: string[] = [];
  const slots = r.hardware.slotsPerGpu;
  const sameSlots = slots.every((s) => s === slots[0]);
  lines.push(
    `${r.uri}: ${r.model.name} (${r.model.experts} experts, top-${r.model.topK}, ${r.model.layers} MoE layers) on ${r.hardware.gpus} × ${r.hardware.gpu}` +
      (r.hardware.nodes > 1 ? ` in ${r.hardware.nodes} nodes` : '') +
      `, ${sameSlots ? `${slots[0]} slots per GPU` : `slots ${slots.join('/')}`}`,
  );
  lines.push(`workload: ${r.workload.description}`);
  const o = r.objective;
  lines.push(
    o.name === 'latency'
      ? `objective latency: µs per MoE layer at batch ${show.count(o.batch)}, ${o.dispatch} dispatch (${DISPATCH_NOTE[o.dispatch]}); measured on ${o.measuredOn}`
      : `objective expected-time: E[T] (batch 1, ideal copy choice); µs at batch ${show.count(o.batch)} under ${o.dispatch} dispatch beside it`,
  );
  const proved = r.layers.filter((l) => l.policies.some((p) => p.policy === r.solver.name && p.optimal)).length;
  lines.push(`policy ${r.solver.name}: ${show.millis(r.solver.ms)}, optimal proved in ${proved} of ${r.layers.length} layers`);
  lines.push('');
  const latency = o.name === 'latency';
  const usCols = ['µs', 'eplb µs', 'one-copy µs', 'bound µs', latency ? 'vs eplb' : 'µs vs eplb'];
  const etCols = ['E[T]', 'eplb E[T]', 'E[T] bound', latency ? 'E[T] vs eplb' : 'vs eplb'];
  const usRow = (l: { latencyUs: number; baselinesUs: { eplb: number; oneCopy: number }; lowerBoundUs: number }) => [
    micros(l.latencyUs),
    micros(l.baselinesUs.eplb),
    micros(l.baselinesUs.oneCopy),
    micros(l.lowerBoundUs),
    pct(l.latencyUs, l.baselinesUs.eplb),
  ];
  const etRow = (l: { expectedTime: number; baselines: { eplb: number }; lowerBound: number }) => [
    fmt(l.expectedTime),
    fmt(l.baselines.eplb),
    fmt(l.lowerBound),
    pct(l.expectedTime, l.baselines.eplb),
  ];
  const header = ['layer', ...(latency ? [...usCols, ...etCols] : [...etCols, ...usCols]), 'free slots'];
  const row = (name: string, l: Parameters<typeof usRow>[0] & Parameters<typeof etRow>[0], free: number) => [
    name,
    ...(latency ? [...usRow(l), ...etRow(l)] : [...etRow(l), ...usRow(l)]),
    Number.isInteger(free) ? String(free) : free.toFixed(1),
  ];
  const freeIn = (l: { freeSlots: number[] }) => l.freeSlots.reduce((a, b) => a + b, 0);
  const rows = r.layers.map((l) => row(String(l.layer), l, freeIn(l)));
  // The mean row: free slots per layer on average (the line below says which are free in every layer).
  rows.push(row('mean', r, r.layers.reduce((a, l) => a + freeIn(l), 0) / Math.max(1, r.layers.length)));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((cells) => cells[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  lines.push(line(header));
  for (const cells of rows) lines.push(line(cells));
  lines.push('');
  lines.push(
    `per step (all ${r.layers.length} MoE layers): ${micros(r.latencyUsPerToken)} at batch ${show.count(o.batch)}` +
      ` · means per layer: contiguous ${micros(r.baselinesUs.contiguous)}, round-robin ${micros(r.baselinesUs.roundRobin)}, eplb ${micros(r.baselinesUs.eplb)}, one copy per expert ${micros(r.baselinesUs.oneCopy)}` +
      (r.baselinesUs.expectedTimeOptimum !== undefined ? `, E[T] optimum ${micros(r.baselinesUs.expectedTimeOptimum)}` : ''),
  );
  lines.push(
    `E[T] means: contiguous ${fmt(r.baselines.contiguous)}, round-robin ${fmt(r.baselines.roundRobin)}, eplb ${fmt(r.baselines.eplb)} (expert-time units)`,
  );
  const free = r.freeSlots.reduce((a, b) => a + b, 0);
  if (free > 0) {
    lines.push(
      `free slots: ${r.freeSlots.join('/')} per GPU unused in every layer: ${show.bytes(r.freeBytesPerGpu[0])} per GPU the plan could give back (e.g. to KV cache)`,
    );
  }
  if (r.capacity) lines.push('', ...capacitySummary(r));
  lines.push(...robustLines(r));
  for (const n of r.notes) lines.push(`note: ${n}`);
  if (wrote) lines.push(`wrote the placement of ${r.layers.length} layers into ${wrote}`);
  return lines.join('\n') + '\n';
}
