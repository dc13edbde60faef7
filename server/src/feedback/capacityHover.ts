// Hover rows for the memory a plan serves with: on `reserve` and `slots`
// the split of one GPU's memory and the KV cache it leaves, on the model the
// cache per token and the dense weights, on `serve` all of it with the
// capacity answer.
import type { Plan } from '../plan/types';
import type { PlanResults } from '../protocol';
import { memoryPerGpu, requestsThatFit } from '../plan/memory';
import { resultsMatchPlan } from './figures';
import { latencyText, pointText, tokensPerSecond } from './capacityText';
import * as f from '../display';

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
  // The split of a written reserve; with `slots` given, the reserve plays no part.
  const reserve = plan.hardware.reserveBytes.value;
  const rounding = m.totalBytes - reserve - m.expertBytes;
  const slotsGiven = plan.refs.some((r) => r.kind === 'field' && r.path === 'slots');
  if (rounding >= 0 && !slotsGiven && plan.hardware.reserveBytes.range)
    rows.push(
      `| the reserve's split | reserve ${f.bytes(reserve)}${rounding > 0 ? ` + ${f.bytes(rounding)} the whole slots leave` : ''} = dense weights, shared experts, activations and KV cache | derived |`,
    );
  const c = results && resultsMatchPlan(plan, results) ? results.capacity : undefined;
  if (c) {
    const mine = c.bySlots.find((b) => b.slotsPerGpu === slots);
    if (mine)
      rows.push(`| these ${slots} slots, within the target | ${mine.best ? pointText(mine.best, c.target.metric) : 'no batch meets it'} | capacity sweep |`);
    const r = c.recommended;
    if (r)
      rows.push(
        `| recommended | ${r.slotsPerGpu} slots (${r.redundantExperts} redundant experts), batch ${f.count(r.batch)}: ${tokensPerSecond(r.tokensPerSecond)} at ${f.micros(r.usPerToken)} per step | capacity sweep |`,
      );
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
