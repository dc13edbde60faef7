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
  const trace = (s.trace && typeof s.trace === 'object' ? s.trace : {}) as Record<string, unknown>;
  const num = (v: unknown, d: number, min = 0): number =>
    typeof v === 'number' && Number.isFinite(v) && v >= min ? v : d;
  return {
    run: s.run === 'onType' ? 'onType' : 'onSave',
    timeBudgetS: num(solver.timeBudget, DEFAULT_SETTINGS.timeBudgetS),
    policy: typeof solver.policy === 'string' && POLICY.has(solver.policy) ? solver.policy : 'plan',
    traceMaxSizeMB: num(trace.maxSizeMB, DEFAULT_SETTINGS.traceMaxSizeMB, 1),
    slowerThresholdPct: num(s.slowerThreshold, DEFAULT_SETTINGS.slowerThresholdPct),
  };
}
