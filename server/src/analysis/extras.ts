// Whole-plan figures that need the cost model beyond E[T]: the batch sweep
// (throughput against latency) and expert parallelism versus PCIe offload.
//
// TODO(cost/batching.ts, cost/offload.ts): these modules (cost-model
// engineer) have not landed yet; until they do the batch sweep is empty and
// the offload comparison is marked unavailable in the notes.
import type { Plan, PolicyName } from '../plan/types';
import type { Workload } from '../workload/types';
import type { BatchPoint, PlanResults } from '../protocol';

export interface PlanExtras {
  batchSweep: BatchPoint[];
  offload: PlanResults['offload'];
  notes: string[];
}

export function planExtras(plan: Plan, _workload: Workload, _placements: number[][][], _policy: PolicyName): PlanExtras {
  const phase = plan.workload.phase.value;
  return {
    batchSweep: [],
    offload: { offloadUs: NaN, expertParallelUs: NaN, gamma: NaN, advice: 'expert-parallel', phase, tokens: plan.workload.tokens.value },
    notes: ['batch sweep and offload comparison are not computed yet (cost model pending)'],
  };
}
