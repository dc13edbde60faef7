// The plan-wide held-out and per-workload figures: means over layers of what
// each layer's analysis found (analysis/robust.ts), and the notes that say
// how the routing was split and what the held-out solve was given.
import type { Plan } from '../plan/types';
import type { LayerResult, ObjectiveFigures, PlanHeldOut, PlanResults, WorkloadFigures } from '../protocol';
import type { Workload } from '../workload/types';
import { mixOf } from '../plan/workloadSources';
import { HELD_OUT_BUDGET_SHARE } from './robust';

type RobustFields = Pick<PlanResults, 'heldOut' | 'heldOutMissing' | 'workloads' | 'mix'>;

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

function meanFigures(xs: readonly ObjectiveFigures[]): ObjectiveFigures {
  return { expectedTime: mean(xs.map((x) => x.expectedTime)), latencyUs: mean(xs.map((x) => x.latencyUs)) };
}

export function robustResults(plan: Plan, workload: Workload, layers: readonly LayerResult[]): { fields: RobustFields; notes: string[] } {
  const fields: RobustFields = {};
  const notes: string[] = [];
  const held = layers.map((l) => l.heldOut);
  if (workload.split && layers.length > 0 && held.every((h) => h !== undefined)) {
    const hs = held as NonNullable<LayerResult['heldOut']>[];
    const out: PlanHeldOut = {
      ...meanFigures(hs),
      planning: meanFigures(hs.map((h) => h.planning)),
      eplb: meanFigures(hs.map((h) => h.eplb)),
      split: workload.split.description,
      budgetShare: HELD_OUT_BUDGET_SHARE,
      tokensPerLayer: mean(workload.layers.map((d) => d.total)),
      subsetsPerLayer: mean(workload.layers.map((d) => d.count)),
    };
    if (hs.every((h) => h.workloads)) out.workloads = workload.parts!.map((_, i) => meanFigures(hs.map((h) => h.workloads![i])));
    fields.heldOut = out;
    notes.push(
      `held-out figures: the same policy planned on the rest of the routing (${(HELD_OUT_BUDGET_SHARE * 100).toFixed(0)}% of each layer's time budget), scored on the part held out — ${workload.split.description}; ` +
        'the placement written is planned on all of it',
    );
  } else if (workload.splitMissing) {
    fields.heldOutMissing = workload.splitMissing;
    notes.push(`no held-out figures: ${workload.splitMissing}`);
  }
  if (workload.parts && layers.length > 0 && layers.every((l) => l.workloads)) {
    fields.mix = mixOf(plan.workload);
    fields.workloads = workload.parts.map((p, i): WorkloadFigures => {
      const per = layers.map((l) => l.workloads![i]);
      return { name: p.name, share: p.share, ...meanFigures(per), best: meanFigures(per.map((w) => w.best)) };
    });
  }
  return { fields, notes };
}
