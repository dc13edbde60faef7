// What-if overrides (`moeplan solve --trace --gpus --slots --batch …`), applied
// to a resolved plan before analysis. The plan object is not modified. The
// numbers are held to the same limits as a plan (plan/limits.ts): a flag
// cannot ask for what a plan may not say, and slots past the expert count
// are capped as the checker caps them (MP213).
import { isAbsolute, resolve, dirname } from 'node:path';
import type { DispatchRule, ObjectiveName, Plan, TraceFormat, TraceSpec } from '../plan/types';
import { LIMITS } from '../plan/limits';
import { count } from '../display';
import { defaultServe } from '../plan/serveSection';

export interface PlanOverrides {
  /** Trace file (absolute, or relative to the plan's folder): the workload instead of the plan's. */
  tracePath?: string;
  /** Several traces (files, folders or globs), mixed by weight, instead of the plan's workload (`--trace FILE[:WEIGHT]`, repeated). */
  traces?: { path: string; weight?: number; format?: TraceFormat; files?: string[] }[];
  gpus?: number;
  /** Expert slots per GPU (every GPU). */
  slots?: number;
  /** Tokens per step. */
  batch?: number;
  objective?: ObjectiveName;
  dispatch?: DispatchRule;
  /** Tokens per request (prompt and output); turns the capacity sweep on. */
  context?: number;
  /** Latency target, seconds (time per output token in decode, to the first token in prefill); turns the capacity sweep on. */
  targetS?: number;
}

/** The flags' limits, by flag. */
export const OVERRIDE_LIMITS = {
  gpus: { flag: '--gpus', max: LIMITS.gpus },
  slots: { flag: '--slots', max: LIMITS.slotsPerGpu },
  batch: { flag: '--batch', max: LIMITS.batchTokens },
  context: { flag: '--context', max: LIMITS.contextTokens },
} as const;

/** Why `value` cannot be the override `name` (a whole number from 1 to the plan's limit), or undefined. */
export function overrideProblem(name: keyof typeof OVERRIDE_LIMITS, value: number): string | undefined {
  const { flag, max } = OVERRIDE_LIMITS[name];
  if (Number.isInteger(value) && value >= 1 && value <= max) return undefined;
  return `${flag} takes a whole number from 1 to ${count(max)} (a plan's limit)`;
}

export function applyOverrides(plan: Plan, o: PlanOverrides | undefined): Plan {
  if (!o) return plan;
  for (const name of ['gpus', 'slots', 'batch', 'context'] as const) {
    const v = o[name];
    const problem = v === undefined ? undefined : overrideProblem(name, v);
    if (problem) throw new RangeError(`${problem}, not ${v}`);
  }
  let out: Plan = plan;
  const via = (what: string) => `override ${what}`;
  const traces = [...(o.tracePath !== undefined ? [{ path: o.tracePath }] : []), ...(o.traces ?? [])];
  if (traces.length > 0) {
    const sources: TraceSpec[] = traces.map((t) => ({
      kind: 'trace',
      path: t.path,
      absPath: isAbsolute(t.path) ? t.path : resolve(dirname(plan.file), t.path),
      ...(t.weight !== undefined ? { weight: t.weight } : {}),
      ...(t.format !== undefined ? { format: t.format } : {}),
      ...(t.files !== undefined ? { files: t.files } : {}),
    }));
    out = { ...out, workload: { ...out.workload, source: sources[0], sources } };
  }
  if (o.gpus !== undefined || o.slots !== undefined) {
    const hw = out.hardware;
    const count = o.gpus ?? hw.count;
    // A GPU holds each expert at most once: slots past the expert count stay empty (MP213).
    const experts = out.model.experts.value;
    const slots = Math.min(o.slots ?? hw.slotsPerGpu[0] ?? 0, o.slots !== undefined ? experts : Infinity);
    const slotsPerGpu =
      o.slots === undefined && o.gpus === undefined
        ? hw.slotsPerGpu
        : Array.from({ length: count }, (_, g) => (o.slots === undefined && g < hw.slotsPerGpu.length ? hw.slotsPerGpu[g] : slots));
    const gpusPerNode = count % hw.gpusPerNode === 0 ? hw.gpusPerNode : count;
    out = {
      ...out,
      hardware: {
        ...hw,
        count,
        gpusPerNode,
        nodes: count / gpusPerNode,
        slotsPerGpu,
        slotsSource: o.slots !== undefined ? via(`--slots ${o.slots}`) + (o.slots > experts ? `, capped at the ${experts} experts` : '') : hw.slotsSource,
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
  if (o.context !== undefined || o.targetS !== undefined) {
    const serve = out.serve ?? defaultServe(out.hardware);
    out = {
      ...out,
      serve: {
        ...serve,
        ...(o.context !== undefined ? { context: { value: o.context, source: via(`--context ${o.context}`) } } : {}),
        ...(o.targetS !== undefined ? { targetS: { value: o.targetS, source: via(`--target ${o.targetS * 1e3} ms`) } } : {}),
      },
    };
  }
  return out;
}

/**
 * `FILE[:WEIGHT]` of `--trace`: the weight is what follows the last colon
 * when it is a positive number (so `C:\\logs\\a.jsonl` and `a:b.jsonl` stay
 * paths).
 */
export function parseTraceArg(arg: string): { path: string; weight?: number } | string {
  const i = arg.lastIndexOf(':');
  if (i > 0) {
    const tail = arg.slice(i + 1);
    if (/^\d+(\.\d+)?%?$/.test(tail)) {
      const w = tail.endsWith('%') ? Number(tail.slice(0, -1)) / 100 : Number(tail);
      if (!(w > 0)) return `--trace ${arg}: the weight after ':' must be more than 0`;
      return { path: arg.slice(0, i), weight: w };
    }
  }
  if (arg === '') return '--trace takes a file';
  return { path: arg };
}
