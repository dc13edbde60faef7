// Paging replay of the solved placements (docs/paging.md), when the slots
// cannot hold every expert: a job on the pool whose outcome is folded into
// the results once it is done.
import type { Plan } from '../plan/types';
import type { PlanResults } from '../protocol';
import type { Workload } from '../workload/types';
import { DEFAULTS } from '../plan/defaults';
import { ownerSlotsForPaging, type PagingForResults } from '../cost/paging/forAnalysis';
import { WorkerJobError, type WorkerPool } from './pool';

interface PagingOutcome {
  apply(results: PlanResults): void;
}

export function pagingStage(pool: WorkerPool, plan: Plan, workload: Workload, placements: number[][][]): Promise<PagingOutcome> {
  const ownerSlots = ownerSlotsForPaging(plan);
  return pool
    .run<PagingForResults>({ kind: 'paging', plan, workload, placements })
    .catch((e: unknown): PagingForResults => {
      // A paging setting the replay refuses is a note, not a failed analysis.
      if (e instanceof WorkerJobError && e.kind === 'PagingError') return { perLayer: [], overall: {}, notes: [`paging not simulated: ${e.message}`], ms: 0 };
      throw e;
    })
    .then((pg) => ({
      apply(results: PlanResults) {
        pg.perLayer.forEach((figures, l) => {
          if (results.layers[l]) results.layers[l].paging = figures;
        });
        if (Object.keys(pg.overall).length > 0) {
          results.paging = pg.overall;
          results.pagingPolicy = plan.offload?.policy ?? DEFAULTS.offloadPolicy;
        }
        if (ownerSlots) {
          results.notes.push(
            `paging: ${plan.hardware.slotsPerGpu.join('/')} slots per GPU cannot hold ${plan.model.experts.value} experts; ` +
              `the placement gives each expert an owner GPU (${ownerSlots[0]} per GPU) that pages it from host memory`,
          );
        }
        results.notes.push(...pg.notes);
      },
    }));
}
