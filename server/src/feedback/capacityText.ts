// How the capacity figures read on every surface (lens, hover, diagnostic,
// CLI, view captions): one place, so one figure reads the same everywhere.
import type { Plan } from '../plan/types';
import type { CapacityAdvice, CapacityPoint, CapacityResults, PlanResults } from '../protocol';
import { memoryPerGpu, requestsThatFit } from '../plan/memory';
import { resultsMatchPlan } from './figures';
import type { ServingShape } from '../cost/serving';
import * as f from '../display';

/** Tokens per second: "41,200 tokens/s" (display.ts). */
export const tokensPerSecond = f.tokensPerSecond;

/** A latency in µs with its meaning: "38.2 ms per token", "1.20 s to the first token". */
export function latencyText(us: number, metric: CapacityResults['target']['metric']): string {
  return `${f.micros(us)} ${metric === 'time-per-output-token' ? 'per token' : 'to the first token'}`;
}

/** "1 replica slot" / "3 replica slots" / "no replica slots": the slots beyond one copy of every expert, per GPU. */
export function replicaSlotsText(slotsPerGpu: number, plan: { experts: number; gpus: number }): string {
  const extra = slotsPerGpu - Math.ceil(plan.experts / plan.gpus);
  return extra <= 0 ? `${slotsPerGpu} slots (no replicas)` : `${slotsPerGpu} slots (${extra} for replicas)`;
}

/** The latency a point is judged by: time per output token (decode) or to the first token (prefill). */
export function pointLatencyUs(p: CapacityPoint): number {
  return p.ttftUs ?? p.usPerToken;
}

/** "5 slots, batch 80: 4,120 tokens/s at 19.4 ms per token". */
export function pointText(p: CapacityPoint, metric: CapacityResults['target']['metric']): string {
  return `${p.slotsPerGpu} slots, batch ${f.count(p.batch)}: ${tokensPerSecond(p.tokensPerSecond)} at ${latencyText(pointLatencyUs(p), metric)}`;
}

/** The capacity code lens on the memory line. */
export function capacityLensTitle(c: CapacityResults, planSlots: number): string {
  const mine = c.bySlots.find((b) => b.slotsPerGpu === planSlots);
  const target = c.target.us === null ? '' : ` within ${f.micros(c.target.us)}`;
  const own = mine
    ? mine.best
      ? `${planSlots} slots: ${tokensPerSecond(mine.best.tokensPerSecond)} at ${latencyText(pointLatencyUs(mine.best), c.target.metric)}`
      : `${planSlots} slots: no batch${target}`
    : `${planSlots} slots: outside the sweep`;
  const r = c.recommended;
  if (!r) return `capacity: ${own} · no point meets the target (see the diagnostic)`;
  if (r.slotsPerGpu === planSlots && mine?.best && mine.best.batch === r.batch) return `capacity: ${own}, batch ${f.count(r.batch)} — the recommendation`;
  return `capacity: ${own} · recommended ${r.slotsPerGpu} slots, batch ${f.count(r.batch)}: ${tokensPerSecond(r.tokensPerSecond)}${target}`;
}

/** The sentence of MP810: what would meet the target, with figures. */
export function capacityAdviceText(plan: Plan, shape: ServingShape, targetS: number, a: CapacityAdvice): string {
  const metric = shape.phase === 'decode' ? 'time-per-output-token' : 'time-to-first-token';
  const target = latencyText(targetS * 1e6, metric);
  const parts: string[] = [];
  if (Number.isFinite(a.fastestUs)) {
    parts.push(`No slots and batch meet ${target}: the fastest point (${a.fastestSlots} slots per GPU, batch ${f.count(a.fastestBatch)}) takes ${f.micros(a.fastestUs)}, so a target of ${f.micros(a.fastestUs)} or looser would be met`);
    if (a.shorterContext !== undefined) parts.push(`a context of ${f.count(a.shorterContext)} tokens instead of ${f.count(shape.context)} would meet ${f.micros(targetS * 1e6)}`);
  } else {
    const min = Math.ceil(plan.model.experts.value / plan.hardware.count);
    parts.push(`Even one copy of every expert (${min} slots per GPU) leaves no KV room for one request of ${f.count(shape.context)} tokens`);
    if (a.shorterContext !== undefined) parts.push(`a context of at most ${f.count(a.shorterContext)} tokens would fit`);
  }
  if (a.moreGpus) {
    const each = shape.phase === 'decode' ? 'one request each' : 'the same chunk each';
    if (!Number.isFinite(a.moreGpus.latencyUs)) parts.push(`${a.moreGpus.gpus} GPUs would leave room for one request`);
    else if (!(a.moreGpus.latencyUs < a.fastestUs)) parts.push(`${a.moreGpus.gpus} GPUs would not help (one copy per expert, ${each}: about ${f.micros(a.moreGpus.latencyUs)})`);
    else parts.push(`${a.moreGpus.gpus} GPUs (one copy per expert, ${each}) would take about ${f.micros(a.moreGpus.latencyUs)}`);
  }
  if (plan.model.kv && plan.model.kv.dtype.value !== 'fp8') parts.push('an FP8 KV cache (`kv-dtype fp8`) halves the cache read and doubles the room');
  return parts.join('; ') + '.';
}

/** Hover rows for `reserve` and `slots`: where one GPU's memory goes and the KV cache it leaves. */
export function memoryHoverRows(plan: Plan, results?: PlanResults): string[] {
  const slots = plan.hardware.slotsPerGpu[0] ?? 0;
  const m = memoryPerGpu(plan, slots);
  const kv = plan.model.kv;
  const rows = [
    `| memory per GPU, serving | dense weights ${f.bytes(m.denseBytes)}${m.sharedBytes > 0 ? ` + shared experts ${f.bytes(m.sharedBytes)}` : ''} + ${slots} slots ${f.bytes(m.expertBytes)} + activations ${f.bytes(m.activationBytes)} + KV cache ${f.bytes(m.kvBytes)} = ${f.bytes(m.totalBytes)} | docs/cost-model.md §7 |`,
  ];
  if (kv) {
    const context = plan.serve?.context.value;
    const requests = context !== undefined ? requestsThatFit(kv, m.kvBytes, context) : undefined;
    rows.push(
      `| KV cache per GPU | ${m.kvBytes > 0 ? `${f.count(m.kvTokens)} tokens` : 'none'}${requests !== undefined ? ` = ${f.count(requests)} request${requests === 1 ? '' : 's'} of ${f.count(context!)} tokens` : ''} (${f.count(kv.bytesPerToken.value)} B per token) | derived |`,
    );
  }
  const reserve = plan.hardware.reserveBytes.value;
  const rounding = m.totalBytes - reserve - m.expertBytes;
  if (rounding >= 0) rows.push(`| the reserve's split | reserve ${f.bytes(reserve)}${rounding > 0 ? ` + ${f.bytes(rounding)} the whole slots leave` : ''} = dense weights, shared experts, activations and KV cache | derived |`);
  const c = results && resultsMatchPlan(plan, results) ? results.capacity : undefined;
  if (c) {
    const mine = c.bySlots.find((b) => b.slotsPerGpu === slots);
    if (mine) rows.push(`| these ${slots} slots, within the target | ${mine.best ? pointText(mine.best, c.target.metric) : 'no batch meets it'} | capacity sweep |`);
    const r = c.recommended;
    if (r) rows.push(`| recommended | ${r.slotsPerGpu} slots (${r.redundantExperts} redundant experts), batch ${f.count(r.batch)}: ${tokensPerSecond(r.tokensPerSecond)} at ${f.micros(r.usPerToken)} per step | capacity sweep |`);
  }
  return rows;
}

/** Hover rows for the model: the KV cache of a token and the weights besides the experts. */
export function modelServingRows(plan: Plan): string[] {
  const m = plan.model;
  const rows: string[] = [];
  if (m.kv) rows.push(`| KV cache per token | ${f.count(m.kv.bytesPerToken.value)} B (${m.kv.dtype.value}) | ${m.kv.bytesPerToken.source} |`);
  if (m.dense) rows.push(`| dense weights (every GPU) | ${f.bytes(m.dense.bytes.value)} | ${m.dense.bytes.source} |`);
  return rows;
}

/** Hover for the `serve` block: its settings, the memory split and the capacity answer. */
export function serveHover(plan: Plan, results?: PlanResults): string | undefined {
  const s = plan.serve;
  if (!s) return undefined;
  const rows = [
    `| context | ${f.count(s.context.value)} tokens per request | ${s.context.source} |`,
    `| target | ${s.targetS ? latencyText(s.targetS.value * 1e6, plan.workload.phase.value === 'decode' ? 'time-per-output-token' : 'time-to-first-token') : 'none: the most throughput'} | ${s.targetS?.source ?? 'not set'} |`,
    `| activations | ${f.bytes(s.activationBytes.value)} per GPU | ${s.activationBytes.source} |`,
    ...modelServingRows(plan),
    ...memoryHoverRows(plan, results),
  ];
  const c = results && resultsMatchPlan(plan, results) ? results.capacity : undefined;
  const tail = c ? ['', `_Sweep: ${c.sampled}._`] : ['', '_Save the plan to sweep slots against batch._'];
  return ['**Serving target**', '', '| | value | source |', '|---|---|---|', ...rows, ...tail].join('\n');
}
