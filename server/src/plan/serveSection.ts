// The `serve { … }` block: the context a request holds (prompt and output),
// the latency target (time per output token in decode, to the first token
// in prefill) and the memory kept for activations; and the check that the
// plan's memory leaves room for the KV cache of at least one request.
import type { Range, Statement } from '../language/ast';
import { bytes as formatBytes } from '../display';
import { LIMITS } from './limits';
import type { HardwareSpec, ModelSpec, Plan, ServeSpec, Sourced } from './types';
import { DEFAULTS } from './defaults';
import { Args, type Ctx, dispatch, needBlock, noBlock, planSource } from './resolveContext';
import { kvBytesPerRequest, maxSlotsForOneRequest, memoryPerGpu } from './memory';

export function resolveServe(ctx: Ctx, stmt: Statement, hardware: HardwareSpec | undefined): ServeSpec {
  new Args(ctx, stmt).end('write serving fields inside `serve { … }`');
  const body = needBlock(ctx, stmt, 'serve { context 4096 tokens; target 50 ms per token }');
  let context: Sourced<number> = { ...DEFAULTS.context };
  let targetS: Sourced<number> | undefined;
  let activationBytes: Sourced<number> | undefined;
  dispatch(ctx, body, 'serve', {
    context: (s) => {
      noBlock(ctx, s);
      ctx.field('serve.context', s.keyword.range);
      const a = new Args(ctx, s);
      const n = a.number({
        what: '`context`',
        int: true,
        min: 1,
        max: LIMITS.contextTokens,
        unit: 'tokens',
        unitOptional: true,
        example: 'context 4096 tokens',
      });
      a.end('write `context N tokens` (prompt and output together)');
      if (n) context = { value: n.value, source: planSource(n.node.range), range: n.node.range };
    },
    target: (s) => {
      noBlock(ctx, s);
      ctx.field('serve.target', s.keyword.range);
      const a = new Args(ctx, s);
      const n = a.number({ what: '`target`', unit: 'time', above: 0, suggest: 'ms', example: 'target 50 ms per token' });
      if (a.optWord('per')) a.expectWord('token', 'write `target 50 ms per token`');
      a.end('write `target TIME per token`');
      if (n) targetS = { value: n.value, source: planSource(n.node.range), range: n.node.range };
    },
    activations: (s) => {
      noBlock(ctx, s);
      ctx.field('serve.activations', s.keyword.range);
      const a = new Args(ctx, s);
      const v = a.peek();
      const mem = hardware?.gpu.memoryBytes.value;
      if (v?.kind === 'number' && v.unit?.text === '%') {
        a.take();
        if (!(v.value >= 0 && v.value < 100))
          ctx.report(v.range, 'error', 'MP116', `\`activations\` as a percentage must be from 0% to below 100%, not ${v.raw}%.`);
        else if (mem !== undefined)
          activationBytes = { value: (mem * v.value) / 100, source: `${v.value}% of ${formatBytes(mem)}, ${planSource(v.range)}`, range: v.range };
      } else {
        const n = a.number({ what: '`activations`', unit: 'bytes', min: 0, suggest: 'GiB', example: 'activations 8 GiB per gpu' });
        if (n) activationBytes = { value: n.value, source: planSource(n.node.range), range: n.node.range };
      }
      if (a.optWord('per')) a.expectWord('gpu', 'write `activations SIZE per gpu`');
      a.end('write `activations SIZE per gpu`');
    },
  });
  const mem = hardware?.gpu.memoryBytes.value ?? 0;
  return {
    context,
    ...(targetS ? { targetS } : {}),
    activationBytes: activationBytes ?? { value: mem * DEFAULTS.activationFraction.value, source: DEFAULTS.activationFraction.source },
    range: stmt.range,
  };
}

/**
 * MP214 when the plan's slots leave no KV room for one request of the
 * context; MP215 when the model gives no KV shape to size the cache with.
 */
export function checkServe(ctx: Ctx, plan: Plan, at: { serve: Statement; memoryLine?: Range; gpu: Statement }): void {
  const serve = plan.serve;
  if (!serve) return;
  const m: ModelSpec = plan.model;
  if (!m.kv) {
    ctx.report(
      at.serve.keyword.range,
      'warning',
      'MP215',
      `The KV cache of ${m.name} is unknown, so \`serve\` cannot size it: add \`kv-heads\` and \`head-dim\` (grouped-query attention) or \`kv-latent\` and \`kv-rope\` (latent attention) to the model.`,
    );
    return;
  }
  const slots = plan.hardware.slotsPerGpu[0] ?? 0;
  const mem = memoryPerGpu(plan, slots);
  const context = serve.context.value;
  const need = kvBytesPerRequest(m.kv, context);
  if (mem.kvBytes >= need) return;
  const fit = maxSlotsForOneRequest(plan, context);
  const minSlots = Math.ceil(m.experts.value / plan.hardware.count);
  const parts =
    `dense weights ${formatBytes(mem.denseBytes)}` +
    (mem.sharedBytes > 0 ? ` + shared experts ${formatBytes(mem.sharedBytes)}` : '') +
    ` + ${slots} expert slot${slots === 1 ? '' : 's'} ${formatBytes(mem.expertBytes)} + activations ${formatBytes(mem.activationBytes)}`;
  const left = mem.kvBytes > 0 ? `leave ${formatBytes(mem.kvBytes)}` : `already exceed it by ${formatBytes(-mem.kvBytes)}`;
  const fixes: string[] = [];
  if (fit >= minSlots && fit < slots) fixes.push(`use at most ${fit} slot${fit === 1 ? '' : 's'} per GPU`);
  if (m.kv.dtype.value !== 'fp8') fixes.push('use `kv-dtype fp8`');
  fixes.push(`shorten \`context\``, 'add GPUs');
  ctx.report(
    at.memoryLine ?? serve.context.range ?? at.serve.keyword.range,
    'warning',
    'MP214',
    `No room for one request: each ${plan.hardware.gpu.name} has ${formatBytes(mem.totalBytes)}; ${parts} ${left}, but one request of ${context.toLocaleString('en-US')} tokens needs ${formatBytes(need)} of KV cache (${m.kv.bytesPerToken.value.toLocaleString('en-US')} B per token). To serve it, ${fixes.join(', ')}.`,
    { related: serve.context.range ? [{ message: 'context set here', range: serve.context.range }] : undefined },
  );
}

/** The serving spec the what-if flags make when the plan has no `serve` block. */
export function defaultServe(hardware: HardwareSpec): ServeSpec {
  return {
    context: { ...DEFAULTS.context },
    activationBytes: { value: hardware.gpu.memoryBytes.value * DEFAULTS.activationFraction.value, source: DEFAULTS.activationFraction.source },
  };
}
