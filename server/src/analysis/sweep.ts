// The memory sweep of one layer: E[T] of the policy, EPLB and the bound for
// each slots-per-GPU value.
import type { PolicyName, Plan } from '../plan/types';
import type { LayerDistribution } from '../workload/types';
import { solveLayer, SolveError } from '../solve/index';
import { solveInputFor } from './solveInput';

export interface SweepJob {
  plan: Plan;
  dist: LayerDistribution;
  policy: PolicyName;
  slots: number[];
  budgetMs: number;
}

export interface SweepOutcome {
  /** Per slots value: [policy E[T], eplb E[T], bound]; NaN when infeasible. */
  points: [number, number, number][];
}

/** One layer's E[T] of the policy, EPLB and the bound, for each slots-per-GPU value. */
export function sweepLayer(job: SweepJob): SweepOutcome {
  const G = job.plan.hardware.count;
  const per = job.budgetMs / Math.max(1, job.slots.length);
  const policy = job.policy === 'exact' ? 'search' : job.policy;
  const points = job.slots.map((s): [number, number, number] => {
    const slots = new Array<number>(G).fill(s);
    try {
      const input = solveInputFor(job.plan, job.dist, slots, per);
      const e = solveLayer('eplb', input);
      const r = policy === 'eplb' ? e : solveLayer(policy, input);
      return [r.expectedTime, e.expectedTime, Math.max(r.lowerBound ?? 0, e.lowerBound ?? 0)];
    } catch (err) {
      if (err instanceof SolveError) return [NaN, NaN, NaN];
      throw err;
    }
  });
  return { points };
}
