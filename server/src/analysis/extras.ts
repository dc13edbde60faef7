// Whole-plan figures beyond E[T], from the cost model: the batch sweep
// (throughput against latency, optimised copy choice versus the engines') and
// expert parallelism versus PCIe offload.
import type { Plan, PolicyName } from '../plan/types';
import type { Workload } from '../workload/types';
import type { BatchPoint, PlanResults } from '../protocol';
import { planBatchSweep } from '../cost/batching';
import { planOffload } from '../cost/offload';

export interface PlanExtras {
  batchSweep: BatchPoint[];
  offload: PlanResults['offload'];
  notes: string[];
}

export function planExtras(
  plan: Plan,
  workload: Workload,
  placements: number[][][],
  _policy: PolicyName,
  withBatchSweep = true,
  planPoint?: { batch: number; stepUs: number },
): PlanExtras {
  const notes: string[] = [];
  const batchSweep = withBatchSweep ? planBatchSweep(plan, workload, placements, undefined, { planPoint }) : [];
  const o = planOffload(plan);
  return {
    batchSweep,
    offload: { offloadUs: o.offloadUs, expertParallelUs: o.expertParallelUs, gamma: o.gamma, advice: o.advice, phase: o.phase, tokens: o.tokens },
    notes,
  };
}
