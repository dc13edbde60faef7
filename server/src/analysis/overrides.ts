// What-if overrides (`moeplan solve --trace --gpus --slots --batch`), applied
// to a resolved plan before analysis. The plan object is not modified.
import { isAbsolute, resolve, dirname } from 'node:path';
import type { DispatchRule, ObjectiveName, Plan } from '../plan/types';

export interface PlanOverrides {
  /** Trace file (absolute, or relative to the plan's folder). */
  tracePath?: string;
  gpus?: number;
  /** Expert slots per GPU (every GPU). */
  slots?: number;
  /** Tokens per step. */
  batch?: number;
  objective?: ObjectiveName;
  dispatch?: DispatchRule;
}

export function applyOverrides(plan: Plan, o: PlanOverrides | undefined): Plan {
  if (!o) return plan;
  let out: Plan = plan;
  const via = (what: string) => `override ${what}`;
  if (o.tracePath !== undefined) {
    const absPath = isAbsolute(o.tracePath) ? o.tracePath : resolve(dirname(plan.file), o.tracePath);
    out = { ...out, workload: { ...out.workload, source: { kind: 'trace', path: o.tracePath, absPath } } };
  }
  if (o.gpus !== undefined || o.slots !== undefined) {
    const hw = out.hardware;
    const count = o.gpus ?? hw.count;
    const slots = o.slots ?? hw.slotsPerGpu[0] ?? 0;
    const slotsPerGpu =
      o.slots === undefined && o.gpus === undefined ? hw.slotsPerGpu : Array.from({ length: count }, (_, g) => (o.slots === undefined && g < hw.slotsPerGpu.length ? hw.slotsPerGpu[g] : slots));
    const gpusPerNode = count % hw.gpusPerNode === 0 ? hw.gpusPerNode : count;
    out = {
      ...out,
      hardware: {
        ...hw,
        count,
        gpusPerNode,
        nodes: count / gpusPerNode,
        slotsPerGpu,
        slotsSource: o.slots !== undefined ? via(`--slots ${o.slots}`) : hw.slotsSource,
      },
    };
  }
  if (o.batch !== undefined) {
    out = { ...out, workload: { ...out.workload, batch: { value: o.batch, source: via(`--batch ${o.batch}`) } } };
  }
  if (o.objective !== undefined) {
    out = { ...out, placement: { ...out.placement, objective: { value: o.objective, source: via(`--objective ${o.objective}`) } } };
  }
  if (o.dispatch !== undefined) {
    out = { ...out, placement: { ...out.placement, dispatch: { value: o.dispatch, source: via(`--dispatch ${o.dispatch}`) } } };
  }
  return out;
}
