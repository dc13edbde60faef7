// Adapter to the analysis module (worker threads). The server only needs a
// function that starts an analysis and can cancel it.
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

/** The analysis module once it is in the build; undefined until then. */
export function defaultStarter(): AnalysisStarter | undefined {
  return undefined;
}
