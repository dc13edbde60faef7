// PlanResults from the layers' outcomes: means over layers, the objective and
// where its figures come from, free slots, notes.
import type { Plan, PolicyName } from '../plan/types';
import type { LayerResult, PlanResults, SweepPoint } from '../protocol';
import type { Workload } from '../workload/types';
import type { LayerOutcome } from './layer';
import type { PlanExtras } from './extras';
import { groupLayerNotes } from './layerNotes';
import { LayerStepContext } from './stepFigures';
import { robustResults } from './robustResults';

function mean(xs: number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function assembleResults(
  plan: Plan,
  workload: Workload,
  outcomes: LayerOutcome[],
  policy: PolicyName,
  layerMs: number,
  memorySweep: SweepPoint[],
  extras: PlanExtras,
  version: number | undefined,
): PlanResults {
  const layers: LayerResult[] = outcomes.map((o) => o.result);
  const notes = [...workload.notes];
  notes.push(...groupLayerNotes(outcomes.flatMap((o) => o.notes)));
  if (memorySweep.length === 0) notes.push('sweeps were skipped: no memory or batch sweep');
  notes.push(...extras.notes);
  const phase = plan.workload.phase.value;
  const G = plan.hardware.count;
  // A slot is the same physical memory in every MoE layer: it is free only if no layer uses it.
  const freeSlots = Array.from({ length: G }, (_, g) => (layers.length === 0 ? 0 : Math.min(...layers.map((l) => l.freeSlots[g] ?? 0))));
  const slotBytes = plan.model.bytesPerExpert.value * plan.model.layers.value;
  const usMean = (f: (l: LayerResult) => number | undefined) => mean(layers.map((l) => f(l) ?? NaN));
  const etOptimum = usMean((l) => l.baselinesUs.expectedTimeOptimum);
  const measuredOn = workload.layers[0] ? new LayerStepContext(plan, workload.layers[0], undefined).describe() : '';
  const robust = robustResults(plan, workload, layers);
  notes.push(...robust.notes);
  return {
    uri: plan.file,
    version,
    model: {
      name: plan.model.name,
      layers: plan.model.layers.value,
      experts: plan.model.experts.value,
      topK: plan.model.topK.value,
      bytesPerExpert: plan.model.bytesPerExpert.value,
      ...(plan.model.kv ? { kvBytesPerToken: plan.model.kv.bytesPerToken.value } : {}),
    },
    hardware: { gpu: plan.hardware.gpu.name, gpus: G, nodes: plan.hardware.nodes, slotsPerGpu: plan.hardware.slotsPerGpu },
    workload: { description: workload.description, notes: workload.notes, batch: plan.workload.batch.value, phase },
    layers,
    objective: { name: plan.placement.objective.value, dispatch: plan.placement.dispatch.value, batch: plan.workload.batch.value, measuredOn },
    expectedTime: mean(layers.map((l) => l.expectedTime)),
    lowerBound: mean(layers.map((l) => l.lowerBound)),
    baselines: {
      contiguous: mean(layers.map((l) => l.baselines.contiguous)),
      roundRobin: mean(layers.map((l) => l.baselines.roundRobin)),
      eplb: mean(layers.map((l) => l.baselines.eplb)),
    },
    latencyUs: usMean((l) => l.latencyUs),
    lowerBoundUs: usMean((l) => l.lowerBoundUs),
    baselinesUs: {
      contiguous: usMean((l) => l.baselinesUs.contiguous),
      roundRobin: usMean((l) => l.baselinesUs.roundRobin),
      eplb: usMean((l) => l.baselinesUs.eplb),
      oneCopy: usMean((l) => l.baselinesUs.oneCopy),
      ...(Number.isFinite(etOptimum) ? { expectedTimeOptimum: etOptimum } : {}),
    },
    latencyUsPerToken: layers.reduce((a, l) => a + l.latencyUs, 0),
    freeSlots,
    freeBytesPerGpu: freeSlots.map((s) => s * slotBytes),
    solver: { name: policy, ms: layerMs, optimal: outcomes.every((o) => o.solver.optimal) },
    memorySweep,
    batchSweep: extras.batchSweep,
    offload: extras.offload,
    notes,
    ...robust.fields,
  };
}

/** The budget bounds the search; the baselines and exact evaluations around it are paid in full. */
export function layersBudgetNote(layerMs: number, budget: number, workload: Workload): string {
  return (
    `the layers took ${(layerMs / 1000).toFixed(1)} s against a ${(budget / 1000).toFixed(1)} s budget: ` +
    `the baselines and the exact E[T] of each placement (${workload.layers[0]?.count.toLocaleString('en-US') ?? 0} subsets in layer ${workload.layers[0]?.layer ?? 0}) ` +
    `are computed in full whatever the budget; keep fewer subsets (max-subsets) to go faster`
  );
}
