// The drift gate of `moeplan check`: the committed placement on a newer
// trace against a fresh solve on it (analysis/index.ts startDriftCheck),
// given on the command line (`--trace NEW [--max-regression P%] [--time S]`)
// or by the plan (`drift "FILE" max-regression P%`).
import { resolve } from 'node:path';
import type { Diagnostic } from '../language/diagnostic';
import type { DriftSpec, Plan } from '../plan/types';
import type { DriftReport } from '../protocol';
import { AnalysisError, startDriftCheck } from '../analysis/index';
import { DEFAULTS } from '../plan/defaults';
import { driftDiagnostic, driftSummary } from '../feedback/robustness';
import type { CliIo } from './io';
import { readProgressLine } from './readProgress';

export interface GateOptions {
  /** The newer trace as given (relative to the working directory). */
  trace?: string;
  /** Fraction (0.05 = 5%). */
  maxRegression?: number;
  timeMs?: number;
}

/**
 * Reads one gate option into `gate`: '' when `name` was one and is fine, a
 * message when it was one and is wrong, undefined when it is not a gate
 * option.
 */
export function readGateOption(name: string, value: () => string | undefined, gate: GateOptions): string | undefined {
  switch (name) {
    case '--trace': {
      const v = value();
      if (!v) return '--trace takes the newer trace (a file, folder or glob)';
      if (gate.trace !== undefined) return '--trace is given twice: the drift gate checks one newer trace (a folder or a glob names several files)';
      gate.trace = v;
      return '';
    }
    case '--max-regression': {
      const v = value();
      const m = v?.match(/^(\d+(?:\.\d+)?)\s*%?$/);
      if (!m) return `--max-regression takes a percentage (e.g. 5%)${v ? `, not '${v}'` : ''}`;
      gate.maxRegression = Number(m[1]) / 100;
      return '';
    }
    case '--time': {
      const v = value();
      const m = v?.match(/^(\d+(?:\.\d+)?)\s*(ms|s)?$/);
      if (!m) return `--time takes seconds (e.g. 10, 2.5 or 500ms)${v ? `, not '${v}'` : ''}`;
      gate.timeMs = Number(m[1]) * (m[2] === 'ms' ? 1 : 1000);
      return '';
    }
    default:
      return undefined;
  }
}

/** The drift spec the gate checks: the command line's trace, else the plan's `drift` line; the limit likewise. */
function driftSpecFor(plan: Plan, gate: GateOptions, cwd: string): DriftSpec | undefined {
  const own = plan.workload.drift;
  const limit = (fallback: DriftSpec['maxRegression']) =>
    gate.maxRegression !== undefined ? { value: gate.maxRegression, source: `--max-regression ${(gate.maxRegression * 100).toFixed(1)}%` } : fallback;
  if (gate.trace !== undefined) {
    return {
      path: gate.trace,
      absPath: resolve(cwd, gate.trace),
      maxRegression: limit(own?.maxRegression ?? { ...DEFAULTS.maxRegression }),
      range: own?.range,
    };
  }
  return own ? { ...own, maxRegression: limit(own.maxRegression) } : undefined;
}

type GateOutcome = { report: DriftReport; diagnostic: Diagnostic; summary: string } | { failed: string };

export async function runDriftGate(plan: Plan, shownPath: string, gate: GateOptions, io: CliIo): Promise<GateOutcome> {
  const spec = driftSpecFor(plan, gate, io.cwd);
  if (!spec) return { failed: 'no newer trace: pass --trace NEW or add `drift "FILE"` to the workload block' };
  const reading = readProgressLine(io);
  try {
    const report = await startDriftCheck(plan, spec, { timeBudgetMs: gate.timeMs, onProgress: reading.onProgress }).result;
    reading.end();
    const diagnostic = driftDiagnostic(plan, report);
    return { report, diagnostic, summary: `${shownPath}: ${driftSummary(report)}` };
  } catch (e) {
    reading.end();
    return { failed: e instanceof AnalysisError ? e.message : `internal error: ${(e as Error).message}` };
  }
}
