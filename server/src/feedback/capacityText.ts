// How the capacity figures read on every surface (lens, hover, diagnostic,
// CLI, view captions): one place, so one figure reads the same everywhere.
import type { Plan } from '../plan/types';
import type { CapacityAdvice, CapacityPoint, CapacityResults } from '../protocol';
import type { ServingShape } from '../cost/serving';
import * as f from '../display';

/** Tokens per second: "41,200 tokens/s" (display.ts). */
export const tokensPerSecond = f.tokensPerSecond;

/** A latency in µs with its meaning: "38.2 ms per token", "1.20 s to the first token". */
export function latencyText(us: number, metric: CapacityResults['target']['metric']): string {
  return `${f.micros(us)} ${metric === 'time-per-output-token' ? 'per token' : 'to the first token'}`;
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
  if (!plan.model.kv)
    return `The KV cache of ${plan.model.name} is unknown, so no batch can be sized: add \`kv-heads\` and \`head-dim\` (or \`kv-latent\` and \`kv-rope\`) to the model.`;
  const metric = shape.phase === 'decode' ? 'time-per-output-token' : 'time-to-first-token';
  const target = latencyText(targetS * 1e6, metric);
  const parts: string[] = [];
  if (Number.isFinite(a.fastestUs)) {
    parts.push(
      `No slots and batch meet ${target}: the fastest point (${a.fastestSlots} slots per GPU, batch ${f.count(a.fastestBatch)}) takes ${f.micros(a.fastestUs)}, so a target of ${f.micros(a.fastestUs)} or looser would be met`,
    );
    if (a.shorterContext !== undefined)
      parts.push(`a context of ${f.count(a.shorterContext)} tokens instead of ${f.count(shape.context)} would meet ${f.micros(targetS * 1e6)}`);
  } else {
    const min = Math.ceil(plan.model.experts.value / plan.hardware.count);
    parts.push(`Even one copy of every expert (${min} slots per GPU) leaves no KV room for one request of ${f.count(shape.context)} tokens`);
    if (a.shorterContext !== undefined) parts.push(`a context of at most ${f.count(a.shorterContext)} tokens would fit`);
  }
  if (a.moreGpus) {
    const each = shape.phase === 'decode' ? 'one request each' : 'the same chunk each';
    if (!Number.isFinite(a.moreGpus.latencyUs)) parts.push(`${a.moreGpus.gpus} GPUs would leave room for one request`);
    else if (!(a.moreGpus.latencyUs < a.fastestUs))
      parts.push(`${a.moreGpus.gpus} GPUs would not help (one copy per expert, ${each}: about ${f.micros(a.moreGpus.latencyUs)})`);
    else parts.push(`${a.moreGpus.gpus} GPUs (one copy per expert, ${each}) would take about ${f.micros(a.moreGpus.latencyUs)}`);
  }
  if (a.fp8Us !== undefined) parts.push(`an FP8 KV cache (\`kv-dtype fp8\`) would bring the fastest point to ${f.micros(a.fp8Us)}`);
  else if (!Number.isFinite(a.fastestUs) && plan.model.kv.dtype.value !== 'fp8') parts.push('an FP8 KV cache (`kv-dtype fp8`) would double the room');
  return parts.join('; ') + '.';
}

/** One paragraph on the sweep: the recommendation against no replicas and the most replicas, or what would meet the target. */
export function capacityCaption(r: { capacity?: CapacityResults }): string {
  const c = r.capacity;
  if (!c) return '';
  const metric = c.target.metric;
  const within = c.target.us === null ? '' : `, within ${latencyText(c.target.us, metric)}`;
  const rec = c.recommended;
  if (!rec) return c.advice?.message ?? 'No point of the sweep.';
  const parts = [
    `Recommended: ${rec.slotsPerGpu} slots per GPU (${rec.redundantExperts} redundant experts), batch ${f.count(rec.batch)}: ${tokensPerSecond(rec.tokensPerSecond)}${within}.`,
  ];
  const first = c.bySlots[0];
  const last = c.bySlots[c.bySlots.length - 1];
  const best = (b: (typeof c.bySlots)[number]) =>
    b.best ? `${tokensPerSecond(b.best.tokensPerSecond)} at batch ${f.count(b.best.batch)}` : 'nothing within the target';
  if (first && first.slotsPerGpu !== rec.slotsPerGpu) parts.push(`No replicas (${first.slotsPerGpu} slots): ${best(first)}.`);
  if (last && last !== first && last.slotsPerGpu !== rec.slotsPerGpu)
    parts.push(`The most replicas memory allows (${last.slotsPerGpu} slots, ${f.count(last.kvTokensPerGpu)} KV tokens per GPU): ${best(last)}.`);
  return parts.join(' ');
}

/** Export's note when the plan does not run the recommendation yet: what the flags would be after writing it. */
export function recommendationNote(plan: Plan, r: NonNullable<CapacityResults['recommended']>): string {
  return (
    `the capacity sweep recommends ${r.slotsPerGpu} slots per GPU (${r.redundantExperts} redundant experts) at batch ${f.count(r.batch)} (${tokensPerSecond(r.tokensPerSecond)}); ` +
    `this plan has ${plan.hardware.slotsPerGpu[0]} slots and batch ${f.count(plan.workload.batch.value)}: write the recommendation (the lens on the memory line), solve and export again for its flags`
  );
}
