// Microseconds for one MoE layer from its E[T]: the link to the latency model
// (server/src/cost/latency.ts, owned by the cost-model engineer).
//
// TODO(cost/latency.ts): not landed yet. Until it is, this returns NaN and the
// analysis adds a note; replace the body with the latency model's per-layer
// figure at the plan's batch size.
import type { Plan } from '../plan/types';
import type { LayerDistribution } from '../workload/types';

export const LATENCY_MODEL_AVAILABLE = false;

export function layerLatencyUs(_plan: Plan, _dist: LayerDistribution, _expectedTime: number): number {
  return NaN;
}
