// The `moeplan.*` settings the server reads, with defaults. The client
// declares the same names in package.json `contributes.configuration`.
import { POLICY, type PolicyName } from '../plan/vocabulary';

export interface ServerSettings {
  /** When the solver runs: after saving, or after every (debounced) change. */
  run: 'onSave' | 'onType';
  /** Cap on the solver's time budget in the editor, seconds (0 = the plan's own `time`). */
  timeBudgetS: number;
  /** Policy to solve with when the plan names none ('plan' = keep the plan's). */
  policy: PolicyName | 'plan';
  /** Trace files larger than this are not read in the editor. */
  traceMaxSizeMB: number;
  /** Warn when a committed placement is slower than the solver's by more than this, percent. */
  slowerThresholdPct: number;
}

export const DEFAULT_SETTINGS: ServerSettings = {
  run: 'onSave',
  timeBudgetS: 1,
  policy: 'plan',
  traceMaxSizeMB: 512,
  slowerThresholdPct: 5,
};

/** Reads the `moeplan` section as sent by a client; anything odd falls back to the default. */
export function readSettings(raw: unknown): ServerSettings {
  const s = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const solver = (s.solver && typeof s.solver === 'object' ? s.solver : {}) as Record<string, unknown>;
  const traces = (s.traces && typeof s.traces === 'object' ? s.traces : {}) as Record<string, unknown>;
  // `moeplan.trace.maxSizeMB` is the old, deprecated name (`moeplan.trace.*` is LSP message tracing).
  const oldTrace = (s.trace && typeof s.trace === 'object' ? s.trace : {}) as Record<string, unknown>;
  const num = (v: unknown, d: number, min = 0): number => (typeof v === 'number' && Number.isFinite(v) && v >= min ? v : d);
  return {
    run: s.run === 'onType' ? 'onType' : 'onSave',
    timeBudgetS: num(solver.timeBudget, DEFAULT_SETTINGS.timeBudgetS),
    policy: typeof solver.policy === 'string' && POLICY.has(solver.policy) ? solver.policy : 'plan',
    traceMaxSizeMB: traceMaxSizeMB(traces.maxSizeMB, oldTrace.maxSizeMB, num),
    slowerThresholdPct: num(s.slowerThreshold, DEFAULT_SETTINGS.slowerThresholdPct),
  };
}

/**
 * `moeplan.traces.maxSizeMB`, or the deprecated `moeplan.trace.maxSizeMB` when
 * only that one is set: the editor sends the new name's default (512) when the
 * user set nothing, and the old name has no default, so a value under the old
 * name is the user's and wins over the new name's default.
 */
function traceMaxSizeMB(current: unknown, deprecated: unknown, num: (v: unknown, d: number, min?: number) => number): number {
  const fallback = num(deprecated, DEFAULT_SETTINGS.traceMaxSizeMB, 1);
  if (current === undefined || current === null || current === DEFAULT_SETTINGS.traceMaxSizeMB) return fallback;
  return num(current, fallback, 1);
}
