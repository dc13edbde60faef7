// Microseconds for one MoE layer: the link from an evaluated placement to the
// latency model (server/src/cost/latency.ts) at the plan's batch size.
import type { Plan } from '../plan/types';
import type { LayerEvaluation } from '../cost/types';
import { planLayerLatency } from '../cost/latency';

export const LATENCY_MODEL_AVAILABLE = true;

export function layerLatencyUs(plan: Plan, evaluation: Pick<LayerEvaluation, 'expectedTime' | 'gpuLoad' | 'expertLoad'>, placement: number[][]): number {
  return planLayerLatency(plan, evaluation, placement).totalUs;
}
