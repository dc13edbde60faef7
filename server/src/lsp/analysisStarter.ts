// Adapter to the analysis module (server/src/analysis: worker threads). The
// server only needs a function that starts an analysis and can cancel it.
import { startAnalysis } from '../analysis/index';
import type { Plan, PolicyName } from '../plan/types';
import type { PlanResults } from '../protocol';

export interface StartOptions {
  uri: string;
  version: number;
  policy?: PolicyName;
  timeBudgetMs?: number;
  maxTraceBytes: number;
  onProgress(fraction: number, message?: string): void;
}

export type AnalysisStarter = (plan: Plan, options: StartOptions) => { result: Promise<PlanResults>; cancel(): void };

export const workerStarter: AnalysisStarter = (plan, o) =>
  startAnalysis(plan, {
    policy: o.policy,
    timeBudgetMs: o.timeBudgetMs,
    maxTraceBytes: o.maxTraceBytes,
    version: o.version,
    onProgress: (p) =>
      o.onProgress(p.total > 0 ? p.done / p.total : 0, `${p.done}/${p.total} jobs${p.expectedTime !== undefined ? `, E[T] ${p.expectedTime.toFixed(3)}` : ''}`),
  });

export function defaultStarter(): AnalysisStarter | undefined {
  return workerStarter;
}
