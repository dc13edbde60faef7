// Adapter to the analysis module (server/src/analysis: worker threads). The
// server only needs a function that starts an analysis and can cancel it.
import { startAnalysis } from '../analysis/index';
import type { Plan, PolicyName } from '../plan/types';
import type { PlanResults } from '../protocol';
import { describeReadProgress, readFraction } from '../workload/readers/progress';
import { primaryText } from '../feedback/objective';

export interface StartOptions {
  uri: string;
  version: number;
  policy?: PolicyName;
  timeBudgetMs?: number;
  maxTraceBytes: number;
  onProgress(fraction: number, message?: string): void;
}

export type AnalysisStarter = (plan: Plan, options: StartOptions) => { result: Promise<PlanResults>; cancel(): void };

/** Share of the progress bar given to reading the trace, when a long read reports. */
const READ_SHARE = 0.4;

export const workerStarter: AnalysisStarter = (plan, o) => {
  // The bar only rises: once the read has reported, the jobs fill the rest.
  let readShare = 0;
  return startAnalysis(plan, {
    policy: o.policy,
    timeBudgetMs: o.timeBudgetMs,
    maxTraceBytes: o.maxTraceBytes,
    version: o.version,
    onProgress: (p) => {
      if (p.reading) {
        readShare = READ_SHARE;
        o.onProgress(READ_SHARE * readFraction(p.reading), describeReadProgress(p.reading));
        return;
      }
      const jobs = p.total > 0 ? p.done / p.total : 0;
      const so =
        p.expectedTime !== undefined
          ? `, ${primaryText({ expectedTime: p.expectedTime, latencyUs: p.latencyUs ?? NaN }, p.objective ?? 'expected-time')} per layer so far`
          : '';
      o.onProgress(readShare + (1 - readShare) * jobs, `${p.done}/${p.total} jobs${so}`);
    },
  });
};
