// From syntax tree to plan: the meaning of every keyword, presets, units,
// defaults with their sources, and the semantic checks. Never throws; a plan
// is returned whenever the model and the GPUs are understood, with
// documented defaults filling whatever else is missing or wrong.
import type { Document, Range, Statement } from '../language/ast';
import type { Diagnostic, Omitted, QuickFix } from '../language/diagnostic';
import { bytes as formatBytes } from '../display';
import type { DenseSpec, DType, GpuSpec, HardwareSpec, KvSpec, LinkSpec, ModelSpec, OffloadSpec, Plan, Sourced } from './types';
import { DEFAULTS } from './defaults';
import { LIMITS } from './limits';
import { DTYPE_BYTES, GPU_PRESET_NAMES, MODEL_PRESET_NAMES, expertParams, findGpuPreset, findModelPreset, type GpuPreset, type ModelPreset } from './presets';
import { nearest } from './nearest';
import { Args, Ctx, dispatch, noBlock, planSource } from './resolveContext';
import { DTYPE, LINK, PAGING_POLICY, type LinkKind } from './vocabulary';

import { resolveWorkload } from './workloadSection';
import { checkCommitted, resolvePlacement } from './placementSection';
import { checkServe, resolveServe } from './serveSection';

export interface ResolveOptions {
  /** Absolute path of the plan file; trace paths are relative to its folder. */
  file: string;
  /** How to test that a trace exists; defaults to the file system. */
  fileExists?: (absPath: string) => boolean;
}

interface ResolveResult {
  plan?: Plan;
  diagnostics: Diagnostic[];
  /** Problems found beyond MAX_DIAGNOSTICS. */
  omitted?: Omitted;
}

export function resolvePlan(document: Document, opts: ResolveOptions): ResolveResult {
  const ctx = new Ctx();
  try {
    const plan = resolveInto(ctx, document, opts);
    return { plan, diagnostics: [...ctx.diags], omitted: ctx.omitted };
  } catch (e) {
    const zero: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    ctx.report(zero, 'error', 'MP100', `Internal checker error: ${e instanceof Error ? e.message : String(e)}. Please report this with the file.`);
    return { diagnostics: [...ctx.diags], omitted: ctx.omitted };
  }
}

function sourced<T>(value: T, source: string, range?: Range): Sourced<T> {
  return range ? { value, source, range } : { value, source };
}

function resolveInto(ctx: Ctx, doc: Document, opts: ResolveOptions): Plan | undefined {
  const top: Record<string, Statement | undefined> = {};
  const links: Statement[] = [];
  const take = (k: string) => (s: Statement) => {
    top[k] = s;
  };
  dispatch(ctx, doc.statements, 'top', {
    model: take('model'),
    gpu: take('gpu'),
    reserve: take('reserve'),
    slots: take('slots'),
    link: (s) => links.push(s),
    workload: take('workload'),
    placement: take('placement'),
    offload: take('offload'),
    serve: take('serve'),
  });
  for (const k of Object.keys(top)) if (top[k]) ctx.field(k, top[k]!.keyword.range);
  for (const l of links) ctx.field('link', l.keyword.range);

  const docStart: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  const model = top.model ? resolveModel(ctx, top.model) : undefined;
  if (!top.model) {
    ctx.report(docStart, 'error', 'MP203', 'The plan names no model: add e.g. `model mixtral-8x7b` (or `model custom { … }` with its fields).');
  }
  const gpuRes = top.gpu ? resolveGpu(ctx, top.gpu) : undefined;
  if (!top.gpu) {
    ctx.report(top.model?.range ?? docStart, 'error', 'MP204', 'The plan names no GPUs: add e.g. `gpu h100-sxm x 8`.');
  }
  const linkSpecs = resolveLinks(ctx, links);
  const reserve = top.reserve ? resolveReserve(ctx, top.reserve) : undefined;
  const slotsGiven = top.slots ? resolveSlots(ctx, top.slots) : undefined;
  const offload = top.offload ? resolveOffload(ctx, top.offload) : undefined;

  if (!model || !gpuRes) {
    // Still read the rest so its own errors show, against no model.
    if (top.workload) resolveWorkload(ctx, top.workload, undefined, opts);
    if (top.placement) resolvePlacement(ctx, top.placement, undefined, undefined);
    if (top.serve) resolveServe(ctx, top.serve, undefined);
    return undefined;
  }

  const hardware = buildHardware(ctx, model, gpuRes, reserve, slotsGiven, linkSpecs, top, offload, doc.range.end);
  const workload = resolveWorkload(ctx, top.workload, model, { ...opts, anchor: top.model!.range });
  const placement = resolvePlacement(ctx, top.placement, model, hardware);
  checkCommitted(ctx, placement.internal, model, hardware, { offload: offload?.enabled ?? false, slotsStatement: top.slots, gpuStatement: top.gpu! });
  const plan: Plan = {
    file: opts.file,
    model,
    hardware,
    workload,
    placement: placement.spec,
    refs: ctx.refs,
  };
  if (offload) plan.offload = offload;
  if (top.serve) {
    plan.serve = resolveServe(ctx, top.serve, hardware);
    checkServe(ctx, plan, { serve: top.serve, memoryLine: top.slots?.range ?? top.reserve?.range, gpu: top.gpu! });
  }
  return plan;
}

/**
 * The word after `model` or `gpu` when it is one: `custom`, a preset
 * (recorded for hovers and go to definition), or an unknown name (reported
 * with the nearest preset as a quick fix, then read as custom). The
 * caller has checked that the next argument is a word.
 */
function readPresetWord<P>(
  ctx: Ctx,
  a: Args,
  o: {
    kind: 'model' | 'gpu';
    find: (text: string) => P | undefined;
    idOf: (hit: P) => string;
    names: readonly string[];
    code: string;
    unknown: (text: string, near: string | undefined) => string;
  },
): { preset?: P; custom: boolean; known: boolean } {
  const w = a.take();
  if (!w || w.kind !== 'word') return { custom: false, known: false };
  if (w.text.toLowerCase() === 'custom') return { custom: true, known: true };
  const preset = o.find(w.text);
  if (preset) {
    ctx.refs.push({ kind: 'preset', presetKind: o.kind, id: o.idOf(preset), range: w.range });
    return { preset, custom: false, known: true };
  }
  const near = nearest(w.text, [...o.names]);
  ctx.report(w.range, 'error', o.code, o.unknown(w.text, near), {
    fixes: near ? [{ title: `Change to \`${near}\``, edits: [{ range: w.range, newText: near }], preferred: true }] : undefined,
  });
  return { custom: true, known: false };
}

// ---------------------------------------------------------------------------
// model
// ---------------------------------------------------------------------------

/** A number of the model with its range (when the plan wrote it) and source. */
type Figure = { value: number; range?: Range; source: string };

/** What the `model` block says, over what its preset says. */
interface ModelFields {
  f: Record<string, Figure | undefined>;
  /** Where the plan wrote each field (absent: from the preset or a default). */
  given: Map<string, Range>;
  dtype?: Sourced<DType>;
  actDtype?: Sourced<DType>;
  kvDtype?: Sourced<DType>;
  expertSize?: Sourced<number>;
  groups?: ModelSpec['groups'];
}

function resolveModel(ctx: Ctx, stmt: Statement): ModelSpec | undefined {
  const { presetHit, custom, known, displayName } = readModelHead(ctx, stmt);
  const p = presetHit?.preset;
  const src = p ? p.source : '';
  const m = presetFields(p, src);
  readModelFields(ctx, stmt, m);

  if (!known && !stmt.block) return undefined;
  const checked = checkModelFigures(ctx, stmt, m, custom && known);
  if (!checked) return undefined;
  const { layers, experts, topK, firstLayer, total } = checked;

  const w0 = m.dtype ?? sourced<DType>('bf16', 'default: bf16');
  const a0 = m.actDtype ?? sourced<DType>('bf16', 'default: bf16');
  const hidden = m.f.hidden!;
  const ffn = m.f['expert-ffn'];
  let bytesPerExpert: Sourced<number>;
  if (m.expertSize) bytesPerExpert = m.expertSize;
  else {
    const bytes = expertParams(hidden.value, ffn!.value) * DTYPE_BYTES[w0.value];
    bytesPerExpert = sourced(bytes, `3 × hidden ${hidden.value} × expert-ffn ${ffn!.value} × ${DTYPE_BYTES[w0.value]} B (${w0.value}) = ${formatBytes(bytes)}`);
  }
  const name = displayName ?? presetHit?.name ?? 'custom model';
  const s = (x: Figure) => sourced(x.value, x.source, x.range);
  const spec: ModelSpec = {
    name,
    layers: s(layers),
    firstMoeLayer: s(firstLayer),
    totalLayers: s(total),
    experts: s(experts),
    sharedExperts: s(m.f['shared-experts'] ?? { value: 0, source: 'default: 0' }),
    topK: s(topK),
    hidden: s(hidden),
    expertFfn: s(ffn ?? { value: 0, source: 'not given (expert-size given instead)' }),
    weightDtype: w0,
    activationDtype: a0,
    bytesPerExpert,
    dense: denseOf(p, m.f, m.given, w0),
  };
  if (presetHit) spec.preset = presetHit.preset.id;
  if (m.groups) spec.groups = m.groups;
  const kv = resolveKv(ctx, { preset: p, fields: m.f, given: m.given, kvDtype: m.kvDtype, hidden: hidden.value, layers: total.value, src });
  if (kv) spec.kv = kv;
  return spec;
}

/** `model <preset> ["name"]`: the preset (or `custom`) and the display name. */
function readModelHead(ctx: Ctx, stmt: Statement) {
  const a = new Args(ctx, stmt);
  const w = a.peek();
  const noPreset = !w || w.kind !== 'word';
  if (noPreset) {
    ctx.report(w ? w.range : a.here(), 'error', 'MP112', `\`model\` needs a preset (${MODEL_PRESET_NAMES.join(', ')}) or \`custom\`.`);
    if (w && w.kind !== 'string') a.take();
  }
  const {
    preset: presetHit,
    custom,
    known,
  } = noPreset
    ? { preset: undefined, custom: false, known: false }
    : readPresetWord(ctx, a, {
        kind: 'model',
        find: findModelPreset,
        idOf: (hit) => hit.preset.id,
        names: MODEL_PRESET_NAMES,
        code: 'MP201',
        unknown: (text, near) =>
          `Unknown model preset \`${text}\`${near ? `: did you mean \`${near}\`?` : '.'} Presets: ${MODEL_PRESET_NAMES.join(', ')}; or write \`model custom { … }\` with the fields.`,
      });
  let displayName: string | undefined;
  const nameArg = a.peek();
  if (nameArg?.kind === 'string') {
    a.take();
    displayName = nameArg.value;
  }
  a.end('write fields inside `model … { }`, one per line');
  return { presetHit, custom, known, displayName };
}

/** The preset's figures, each with the preset's source; nothing without a preset. */
function presetFields(p: ModelPreset | undefined, src: string): ModelFields {
  const num = (v: number | undefined): Figure | undefined => (v === undefined ? undefined : { value: v, source: src });
  const f: Record<string, Figure | undefined> = {
    layers: num(p?.layers),
    'first-layer': num(p?.firstMoeLayer),
    'total-layers': num(p?.totalLayers),
    experts: num(p?.experts),
    'shared-experts': num(p?.sharedExperts ?? 0),
    'top-k': num(p?.topK),
    hidden: num(p?.hidden),
    'expert-ffn': num(p?.expertFfn),
    'dense-params': num(p?.denseParams),
    vocab: num(p?.vocab),
  };
  if (!p) f['shared-experts'] = undefined;
  return {
    f,
    given: new Map(),
    dtype: p ? sourced(p.weightDtype, src) : undefined,
    actDtype: p ? sourced(p.activationDtype, src) : undefined,
    groups: p?.groups ? { ...p.groups } : undefined,
  };
}

/** The fields written in the `model { … }` block, over the preset's. */
function readModelFields(ctx: Ctx, stmt: Statement, m: ModelFields): void {
  const { f, given } = m;
  const intField = (key: string, min: number, max: number) => (s: Statement) => {
    noBlock(ctx, s);
    ctx.field('model.' + key, s.keyword.range);
    const r = new Args(ctx, s);
    const n = r.number({ what: `\`${key}\``, int: true, min, max });
    r.end();
    if (n) {
      f[key] = { value: n.value, range: n.node.range, source: planSource(n.node.range) };
      given.set(key, n.node.range);
    }
  };
  const dtypeField = (key: string, set: (d: Sourced<DType>) => void) => (s: Statement) => {
    noBlock(ctx, s);
    ctx.field('model.' + key, s.keyword.range);
    const r = new Args(ctx, s);
    const c = r.choice(`\`${key}\``, DTYPE.words, DTYPE.aliases);
    r.end();
    if (c) set(sourced(c.value, planSource(c.node.range), c.node.range));
  };
  dispatch(ctx, stmt.block?.statements ?? [], 'model', {
    layers: intField('layers', 1, 1000),
    'first-layer': intField('first-layer', 0, 1000),
    'total-layers': intField('total-layers', 1, 2000),
    experts: intField('experts', 1, 1 << 16),
    'shared-experts': intField('shared-experts', 0, 1 << 20),
    'top-k': intField('top-k', 1, 1 << 20),
    hidden: intField('hidden', 1, 1 << 24),
    'expert-ffn': intField('expert-ffn', 1, 1 << 24),
    dtype: dtypeField('dtype', (d) => (m.dtype = d)),
    'activation-dtype': dtypeField('activation-dtype', (d) => (m.actDtype = d)),
    heads: intField('heads', 1, 1 << 16),
    'kv-heads': intField('kv-heads', 1, 1 << 16),
    'head-dim': intField('head-dim', 1, 1 << 16),
    'kv-latent': intField('kv-latent', 1, 1 << 20),
    'kv-rope': intField('kv-rope', 0, 1 << 20),
    'kv-dtype': dtypeField('kv-dtype', (d) => (m.kvDtype = d)),
    'dense-params': intField('dense-params', 0, 1e15),
    vocab: intField('vocab', 1, 1 << 30),
    'expert-size': (s) => {
      noBlock(ctx, s);
      ctx.field('model.expert-size', s.keyword.range);
      const r = new Args(ctx, s);
      const n = r.number({ what: '`expert-size`', unit: 'bytes', above: 0, suggest: 'MiB', example: 'expert-size 336 MiB' });
      r.end();
      if (n) m.expertSize = sourced(n.value, planSource(n.node.range), n.node.range);
    },
    groups: (s) => {
      noBlock(ctx, s);
      ctx.field('model.groups', s.keyword.range);
      const r = new Args(ctx, s);
      const c = r.number({ what: '`groups`', int: true, min: 1, max: 1 << 20, example: 'groups 8 top 4' });
      let t: { value: number } | undefined;
      if (r.expectWord('top', 'write `groups N top M` (M groups kept per token)')) {
        t = r.number({ what: '`top` (groups kept per token)', int: true, min: 1, max: 1 << 20, example: 'groups 8 top 4' });
      }
      r.end();
      if (c && t) {
        m.groups = { count: c.value, topGroups: t.value, range: s.range };
        given.set('groups', s.range);
      }
    },
  });
}

/**
 * The required fields and how they fit together (top-k within the experts,
 * the layer counts, the routing groups). Undefined when the model cannot be
 * used; groups that do not fit are dropped from `m` with an error.
 */
function checkModelFigures(ctx: Ctx, stmt: Statement, m: ModelFields, customKnown: boolean) {
  const { f, given } = m;
  const missing: string[] = [];
  for (const k of ['layers', 'experts', 'top-k', 'hidden']) if (!f[k]) missing.push(k);
  if (!f['expert-ffn'] && !m.expertSize) missing.push('expert-ffn (or expert-size)');
  if (missing.length > 0) {
    if (customKnown) {
      ctx.report(
        stmt.keyword.range,
        'error',
        'MP206',
        `A custom model needs ${missing.map((x) => `\`${x}\``).join(', ')}: add ${missing.length > 1 ? 'them' : 'it'} inside \`model custom { … }\`.`,
      );
    }
    return undefined;
  }
  const layers = f.layers!;
  const experts = f.experts!;
  const topK = f['top-k']!;
  const firstLayer = f['first-layer'] ?? { value: 0, source: 'default: 0 (every layer is MoE)' };
  let total = f['total-layers'] ?? { value: firstLayer.value + layers.value, source: 'default: first-layer + layers' };
  let ok = true;
  if (topK.value > experts.value) {
    const r = given.get('top-k') ?? given.get('experts') ?? stmt.range;
    ctx.report(
      r,
      'error',
      'MP205',
      `top-k ${topK.value} is more than the ${experts.value} routed experts: each token picks top-k distinct experts, so set \`top-k\` to at most ${experts.value}.`,
      {
        related: given.has('experts') && given.get('experts') !== r ? [{ message: 'experts set here', range: given.get('experts')! }] : undefined,
      },
    );
    ok = false;
  }
  if (total.value < firstLayer.value + layers.value) {
    const r = given.get('total-layers') ?? given.get('layers') ?? given.get('first-layer') ?? stmt.range;
    if (given.has('total-layers')) {
      ctx.report(
        r,
        'error',
        'MP212',
        `total-layers ${total.value} is less than first-layer ${firstLayer.value} + layers ${layers.value}: raise \`total-layers\` to at least ${firstLayer.value + layers.value}.`,
      );
    }
    total = { value: firstLayer.value + layers.value, source: 'first-layer + layers' };
  }
  const groups = m.groups;
  if (groups) {
    const gr = groups.range ?? stmt.range;
    if (experts.value % groups.count !== 0) {
      ctx.report(
        gr,
        'error',
        'MP210',
        `${experts.value} experts do not split into ${groups.count} equal routing groups: use a number of groups that divides ${experts.value}.`,
      );
      m.groups = undefined;
    } else if (groups.topGroups > groups.count) {
      ctx.report(gr, 'error', 'MP210', `top ${groups.topGroups} groups is more than the ${groups.count} groups: keep at most ${groups.count}.`);
      m.groups = undefined;
    } else if (groups.topGroups * (experts.value / groups.count) < topK.value) {
      ctx.report(
        gr,
        'error',
        'MP210',
        `${groups.topGroups} groups of ${experts.value / groups.count} experts cannot supply top-k ${topK.value} experts: keep more groups.`,
      );
      m.groups = undefined;
    }
  }
  return ok ? { layers, experts, topK, firstLayer, total } : undefined;
}

/**
 * The KV cache of one token: grouped-query attention (`heads`, `kv-heads`,
 * `head-dim`) or latent attention (`kv-latent`, `kv-rope`), from the plan's
 * fields over the preset's. Undefined when neither says.
 */
function resolveKv(
  ctx: Ctx,
  o: {
    preset: ModelPreset | undefined;
    fields: Record<string, { value: number; range?: Range; source: string } | undefined>;
    given: Map<string, Range>;
    kvDtype: Sourced<DType> | undefined;
    hidden: number;
    layers: number;
    src: string;
  },
): KvSpec | undefined {
  const { fields: f, given } = o;
  const att = o.preset?.attention;
  const gqaGiven = ['kv-heads', 'head-dim'].filter((k) => given.has(k));
  const mlaGiven = ['kv-latent', 'kv-rope'].filter((k) => given.has(k));
  if (gqaGiven.length > 0 && mlaGiven.length > 0) {
    ctx.report(
      given.get(mlaGiven[0])!,
      'error',
      'MP216',
      `A model caches either grouped-query keys and values (\`kv-heads\`, \`head-dim\`) or one latent vector (\`kv-latent\`, \`kv-rope\`), not both: remove ${mlaGiven.map((k) => `\`${k}\``).join(' and ')} or ${gqaGiven.map((k) => `\`${k}\``).join(' and ')}.`,
      {
        related: [{ message: `${gqaGiven[0]} set here`, range: given.get(gqaGiven[0])! }],
      },
    );
    return undefined;
  }
  const kind = mlaGiven.length > 0 ? 'mla' : gqaGiven.length > 0 || given.has('heads') ? 'gqa' : att?.kind;
  if (!kind) return undefined;
  const from = (key: string, presetValue: number | undefined, fallback?: { value: number; source: string }): Sourced<number> | undefined => {
    const x = f[key];
    if (x && given.has(key)) return sourced(x.value, x.source, x.range);
    if (presetValue !== undefined) return sourced(presetValue, o.src);
    return fallback ? sourced(fallback.value, fallback.source) : undefined;
  };
  const dtype = o.kvDtype ?? sourced<DType>('bf16', 'default: bf16 (set `kv-dtype fp8` for an FP8 cache)');
  const bytes = DTYPE_BYTES[dtype.value];
  const sameKind = att?.kind === kind ? att : undefined;
  let spec: Omit<KvSpec, 'fullLayers' | 'slidingLayers' | 'window' | 'bytesPerToken'>;
  if (kind === 'gqa') {
    const g = sameKind?.kind === 'gqa' ? sameKind : undefined;
    const kvHeads = from(
      'kv-heads',
      g?.kvHeads,
      f.heads && given.has('heads') ? { value: f.heads.value, source: 'default: kv-heads = heads (multi-head attention)' } : undefined,
    );
    const heads = from('heads', g?.heads, kvHeads ? { value: kvHeads.value, source: 'default: heads = kv-heads' } : undefined);
    const headDim = from(
      'head-dim',
      g?.headDim,
      heads && o.hidden % heads.value === 0 ? { value: o.hidden / heads.value, source: `default: hidden ${o.hidden} / heads ${heads.value}` } : undefined,
    );
    if (!kvHeads || !heads || !headDim) return undefined;
    spec = {
      kind,
      heads,
      kvHeads,
      headDim,
      dtype,
      bytesPerTokenLayer: 2 * kvHeads.value * headDim.value * bytes,
      flopsPerTokenLayer: 4 * heads.value * headDim.value,
    };
  } else {
    const m = sameKind?.kind === 'mla' ? sameKind : undefined;
    const latent = from('kv-latent', m?.latent);
    const rope = from('kv-rope', m?.rope, { value: 0, source: 'default: 0 (no decoupled RoPE key)' });
    const heads = from('heads', m?.heads, { value: 1, source: 'default: 1 (set `heads` for the attention FLOPs)' });
    if (!latent || !rope || !heads) return undefined;
    // Decode with the absorbed projections (as SGLang and FlashMLA run it): scores over latent + rope, values over latent.
    spec = {
      kind,
      heads,
      latent,
      rope,
      dtype,
      bytesPerTokenLayer: (latent.value + rope.value) * bytes,
      flopsPerTokenLayer: 2 * heads.value * (2 * latent.value + rope.value),
    };
  }
  const sliding = sameKind?.kind === 'gqa' && !gqaGiven.length && sameKind.sliding ? sameKind.sliding : undefined;
  const slidingLayers = sliding ? Math.min(sliding.layers, o.layers) : 0;
  const fullLayers = o.layers - slidingLayers;
  const perToken = fullLayers * spec.bytesPerTokenLayer;
  const shape =
    spec.kind === 'gqa'
      ? `2 (K and V) × ${spec.kvHeads!.value} KV heads × ${spec.headDim!.value} head dim`
      : `(${spec.latent!.value} latent + ${spec.rope!.value} RoPE)`;
  const layersText = slidingLayers > 0 ? `${fullLayers} full-attention layers (${slidingLayers} more keep ${sliding!.window} tokens)` : `${fullLayers} layers`;
  return {
    ...spec,
    fullLayers,
    slidingLayers,
    window: sliding?.window ?? 0,
    bytesPerToken: sourced(perToken, `${shape} × ${layersText} × ${bytes} B (${dtype.value}) = ${perToken.toLocaleString('en-US')} B per token`),
  };
}

/** Weights every GPU holds besides the experts: the preset's figure unless the plan changes the parameters or the dtype. */
function denseOf(
  p: ModelPreset | undefined,
  f: Record<string, { value: number; range?: Range; source: string } | undefined>,
  given: Map<string, Range>,
  dtype: Sourced<DType>,
): DenseSpec {
  const x = f['dense-params'];
  const params = x ? sourced(x.value, x.source, x.range) : sourced(0, 'not given: 0 (set `dense-params` for the attention, dense-layer and embedding weights)');
  const v = f.vocab;
  const vocab = v ? sourced(v.value, v.source, v.range) : sourced(0, 'not given: 0');
  const asReleased = p && !given.has('dense-params') && dtype.range === undefined;
  const b = asReleased && p.denseBytes !== undefined ? p.denseBytes : params.value * DTYPE_BYTES[dtype.value];
  const source =
    asReleased && p.denseBytes !== undefined
      ? `${p.name} as released (mixed dtypes): ${formatBytes(b)}`
      : `${params.value.toLocaleString('en-US')} parameters × ${DTYPE_BYTES[dtype.value]} B (${dtype.value}) = ${formatBytes(b)}`;
  return { params, bytes: sourced(b, source), vocab };
}

// ---------------------------------------------------------------------------
// hardware
// ---------------------------------------------------------------------------

interface GpuRes {
  gpu: GpuSpec;
  preset?: GpuPreset;
  count: number;
  nodes: number;
  stmt: Statement;
}

function resolveGpu(ctx: Ctx, stmt: Statement): GpuRes | undefined {
  const a = new Args(ctx, stmt);
  const w = a.peek();
  const noPreset = !w || w.kind !== 'word';
  if (noPreset) {
    ctx.report(
      w ? w.range : a.here(),
      'error',
      'MP112',
      `\`gpu\` needs a preset (${GPU_PRESET_NAMES.slice(0, 4).join(', ')}) or \`custom\`, then \`x COUNT\`: e.g. \`gpu h100-sxm x 8\`.`,
    );
  }
  const { preset, custom, known } = noPreset
    ? { preset: undefined, custom: false, known: false }
    : readPresetWord(ctx, a, {
        kind: 'gpu',
        find: findGpuPreset,
        idOf: (hit) => hit.id,
        names: GPU_PRESET_NAMES,
        code: 'MP202',
        unknown: (text, near) =>
          `Unknown GPU preset \`${text}\`${near ? `: did you mean \`${near}\`?` : '.'} Presets: a100-80g, h100-sxm, h200, b200; or \`gpu custom x N { memory …; bandwidth …; compute … }\`.`,
      });
  let count: number | undefined;
  if (w && w.kind === 'word') {
    if (a.expectWord('x', 'write `gpu TYPE x COUNT`, e.g. `gpu h100-sxm x 8`')) {
      count = a.number({ what: 'the GPU count', int: true, min: 1, max: LIMITS.gpus, example: 'gpu h100-sxm x 8' })?.value;
    }
  }
  let nodes = 1;
  let nodesRange: Range | undefined;
  if (a.optWord('in')) {
    const n = a.number({ what: 'the node count', int: true, min: 1, max: LIMITS.gpus, example: 'in 4 nodes' });
    if (!a.optWord('nodes') && !a.optWord('node')) a.expectWord('nodes', 'write `in N nodes`');
    if (n) {
      nodes = n.value;
      nodesRange = n.node.range;
    }
  }
  a.end('write `gpu TYPE x COUNT [in N nodes]`');

  let memory: Sourced<number> | undefined = preset ? sourced(preset.memoryBytes, preset.source) : undefined;
  let bandwidth: Sourced<number> | undefined = preset ? sourced(preset.hbmBytesPerS, preset.source) : undefined;
  let flops: Sourced<number> | undefined = preset ? sourced(preset.flops, preset.source) : undefined;
  let name = preset?.name ?? 'custom GPU';
  const field = (key: string, spec: Parameters<Args['number']>[0], set: (v: Sourced<number>) => void) => (s: Statement) => {
    noBlock(ctx, s);
    ctx.field('gpu.' + key, s.keyword.range);
    const r = new Args(ctx, s);
    const n = r.number(spec);
    r.end();
    if (n) set(sourced(n.value, planSource(n.node.range), n.node.range));
  };
  dispatch(ctx, stmt.block?.statements ?? [], 'gpu', {
    memory: field('memory', { what: '`memory`', unit: 'bytes', above: 0, suggest: 'GB', example: 'memory 80 GB' }, (v) => (memory = v)),
    bandwidth: field(
      'bandwidth',
      { what: '`bandwidth` (HBM)', unit: 'bandwidth', above: 0, suggest: 'TB/s', example: 'bandwidth 3.35 TB/s' },
      (v) => (bandwidth = v),
    ),
    compute: field('compute', { what: '`compute`', unit: 'compute', above: 0, suggest: 'TFLOPS', example: 'compute 989 TFLOPS' }, (v) => (flops = v)),
    name: (s) => {
      noBlock(ctx, s);
      const r = new Args(ctx, s);
      const v = r.take();
      if (v?.kind === 'string') name = v.value;
      else ctx.report(v ? v.range : r.here(), 'error', 'MP112', '`name` needs a string, e.g. `name "MI300X"`.');
      r.end();
    },
  });
  if (!known && !stmt.block) return undefined;
  if (!memory || !bandwidth || !flops) {
    if (custom && known) {
      const missing = [!memory && 'memory', !bandwidth && 'bandwidth', !flops && 'compute'].filter(Boolean) as string[];
      ctx.report(
        stmt.keyword.range,
        'error',
        'MP206',
        `A custom GPU needs ${missing.map((m) => `\`${m}\``).join(', ')}: add ${missing.length > 1 ? 'them' : 'it'} inside \`gpu custom x N { … }\` (e.g. \`memory 80 GB\`, \`bandwidth 3.35 TB/s\`, \`compute 989 TFLOPS\`).`,
      );
    }
    return undefined;
  }
  if (count === undefined) return undefined;
  if (count % nodes !== 0) {
    ctx.report(
      nodesRange ?? stmt.range,
      'error',
      'MP207',
      `${count} GPUs do not split evenly into ${nodes} nodes: use a node count that divides ${count} (every node must hold the same number of GPUs).`,
    );
    nodes = 1;
  }
  const gpu: GpuSpec = { type: preset?.id ?? 'custom', name, memoryBytes: memory, hbmBytesPerS: bandwidth, flops };
  return { gpu, preset, count, nodes, stmt };
}

type GivenLinks = Partial<Record<LinkKind, { bytesPerS?: Sourced<number>; latencyS?: Sourced<number> }>>;

function resolveLinks(ctx: Ctx, links: Statement[]): GivenLinks {
  const out: GivenLinks = {};
  const firstAt: Partial<Record<LinkKind, Range>> = {};
  for (const s of links) {
    noBlock(ctx, s);
    const a = new Args(ctx, s);
    for (;;) {
      const k = a.choice('`link`', LINK.words, LINK.aliases);
      if (!k) break;
      ctx.field('link.' + k.value, k.node.range);
      const bw = a.number({ what: `\`link ${k.value}\` bandwidth`, unit: 'bandwidth', above: 0, suggest: 'GB/s', example: `link ${k.value} 50 GB/s 3 us` });
      let lat: { value: number; node: { range: Range } } | undefined;
      const nx = a.peek();
      if (nx && nx.kind === 'number') lat = a.number({ what: `\`link ${k.value}\` latency`, unit: 'time', min: 0, suggest: 'us' });
      if (firstAt[k.value]) {
        ctx.report(k.node.range, 'error', 'MP111', `\`link ${k.value}\` is given twice: keep one.`, {
          related: [{ message: 'first given here', range: firstAt[k.value]! }],
        });
      } else {
        firstAt[k.value] = k.node.range;
        out[k.value] = {
          bytesPerS: bw ? sourced(bw.value, planSource(bw.node.range), bw.node.range) : undefined,
          latencyS: lat ? sourced(lat.value, planSource(lat.node.range), lat.node.range) : undefined,
        };
      }
      if (!a.optPunct(',')) break;
    }
    a.end('separate links with `,`: `link nvlink 450 GB/s, network 50 GB/s 3 us`');
  }
  return out;
}

function defaultLinks(preset: GpuPreset | undefined, given: GivenLinks): { nvlink: LinkSpec; network: LinkSpec; pcie: LinkSpec } {
  const h100 = findGpuPreset('h100-sxm')!;
  const p = preset ?? h100;
  const fallback = preset ? '' : ' (custom GPU: H100-SXM figure assumed; set `link …`)';
  return {
    nvlink: {
      bytesPerS:
        given.nvlink?.bytesPerS ??
        sourced(
          p.nvlinkBytesPerS,
          `${p.name} NVLink, ${p.nvlinkBytesPerS / 1e9} GB/s each way (half the datasheet's ${(2 * p.nvlinkBytesPerS) / 1e9} GB/s both ways)${fallback}`,
        ),
      latencyS: given.nvlink?.latencyS ?? sourced(DEFAULTS.nvlinkLatencyS.value, DEFAULTS.nvlinkLatencyS.source),
    },
    network: {
      bytesPerS: given.network?.bytesPerS ?? sourced(DEFAULTS.network.bytesPerS, DEFAULTS.network.source),
      latencyS: given.network?.latencyS ?? sourced(DEFAULTS.networkLatencyS.value, DEFAULTS.networkLatencyS.source),
    },
    pcie: {
      bytesPerS: given.pcie?.bytesPerS ?? sourced(p.pcieBytesPerS, p.pcieSource + fallback),
      latencyS: given.pcie?.latencyS ?? sourced(DEFAULTS.pcieLatencyS.value, DEFAULTS.pcieLatencyS.source),
    },
  };
}

interface Reserve {
  bytes?: number;
  fraction?: number;
  range: Range;
  stmt: Statement;
}

function resolveReserve(ctx: Ctx, stmt: Statement): Reserve | undefined {
  noBlock(ctx, stmt);
  const a = new Args(ctx, stmt);
  const v = a.peek();
  let out: Reserve | undefined;
  if (v?.kind === 'number' && v.unit?.text === '%') {
    a.take();
    const n = v.value;
    if (!(n >= 0 && n < 100)) ctx.report(v.range, 'error', 'MP116', `\`reserve\` as a percentage must be from 0% to below 100%, not ${v.raw}%.`);
    else out = { fraction: n / 100, range: v.range, stmt };
  } else {
    const n = a.number({ what: '`reserve`', unit: 'bytes', min: 0, suggest: 'GiB', example: 'reserve 20 GiB per gpu' });
    if (n) out = { bytes: n.value, range: n.node.range, stmt };
  }
  if (a.optWord('per')) a.expectWord('gpu', 'write `reserve SIZE per gpu`');
  a.end('write `reserve SIZE per gpu`');
  return out;
}

function resolveSlots(ctx: Ctx, stmt: Statement): { value: number; range: Range; stmt: Statement } | undefined {
  noBlock(ctx, stmt);
  const a = new Args(ctx, stmt);
  const n = a.number({ what: '`slots`', int: true, min: 1, max: LIMITS.slotsPerGpu, example: 'slots 9 per gpu' });
  if (a.optWord('per')) a.expectWord('gpu', 'write `slots N per gpu`');
  a.end('write `slots N per gpu`');
  return n ? { value: n.value, range: n.node.range, stmt } : undefined;
}

function resolveOffload(ctx: Ctx, stmt: Statement): OffloadSpec {
  const a = new Args(ctx, stmt);
  a.end('write options inside `offload { … }`');
  const spec: OffloadSpec = { enabled: true, policy: DEFAULTS.offloadPolicy, prefetch: DEFAULTS.prefetch, range: stmt.range };
  dispatch(ctx, stmt.block?.statements ?? [], 'offload', {
    policy: (s) => {
      noBlock(ctx, s);
      ctx.field('offload.policy', s.keyword.range);
      const r = new Args(ctx, s);
      const c = r.choice('`offload` `policy`', PAGING_POLICY.words, PAGING_POLICY.aliases, 'MP502');
      r.end();
      if (c) spec.policy = c.value;
    },
    prefetch: (s) => {
      noBlock(ctx, s);
      ctx.field('offload.prefetch', s.keyword.range);
      const r = new Args(ctx, s);
      const t = r.toggle('`prefetch`');
      r.end();
      if (t !== undefined) spec.prefetch = t;
    },
    enabled: (s) => {
      noBlock(ctx, s);
      ctx.field('offload.enabled', s.keyword.range);
      const r = new Args(ctx, s);
      const t = r.toggle('`enabled`');
      r.end();
      if (t !== undefined) spec.enabled = t;
    },
  });
  return spec;
}

function buildHardware(
  ctx: Ctx,
  model: ModelSpec,
  g: GpuRes,
  reserve: Reserve | undefined,
  slotsGiven: { value: number; range: Range; stmt: Statement } | undefined,
  given: GivenLinks,
  top: Record<string, Statement | undefined>,
  offload: OffloadSpec | undefined,
  docEnd: Range['end'],
): HardwareSpec {
  const mem = g.gpu.memoryBytes.value;
  let reserveBytes: Sourced<number>;
  if (reserve?.bytes !== undefined) reserveBytes = sourced(reserve.bytes, planSource(reserve.range), reserve.range);
  else if (reserve?.fraction !== undefined)
    reserveBytes = sourced(mem * reserve.fraction, `${reserve.fraction * 100}% of ${formatBytes(mem)}, ${planSource(reserve.range)}`, reserve.range);
  else reserveBytes = sourced(mem * DEFAULTS.reserveFraction.value, DEFAULTS.reserveFraction.source);

  const perSlot = model.layers.value * model.bytesPerExpert.value;
  const free = mem - reserveBytes.value;
  const fromMemory = Math.max(0, Math.floor(free / perSlot + 1e-9));
  const E = model.experts.value;
  const offloading = offload?.enabled ?? false;
  let slots: number;
  let slotsSource: string;
  const memText = `(${formatBytes(mem)} − ${formatBytes(reserveBytes.value)} reserve) / (${model.layers.value} layers × ${formatBytes(model.bytesPerExpert.value)} per expert)`;
  if (slotsGiven) {
    slots = slotsGiven.value;
    slotsSource = `slots ${slots} per gpu, ${planSource(slotsGiven.range)}`;
    const needed = slots * perSlot;
    const budget = reserve ? free : mem;
    if (needed > budget) {
      ctx.report(
        slotsGiven.range,
        'warning',
        'MP211',
        `${slots} slots per GPU need ${formatBytes(needed)} of expert weights (${slots} × ${model.layers.value} layers × ${formatBytes(model.bytesPerExpert.value)}), but a ${g.gpu.name} has ${formatBytes(budget)}${reserve ? ' after the reserve' : ''}; memory allows ${fromMemory}. Lower \`slots\`${reserve ? ' or `reserve`' : ''}.`,
        {
          related: reserve ? [{ message: 'reserve set here', range: reserve.range }] : undefined,
        },
      );
    }
  } else {
    slots = fromMemory;
    slotsSource = `floor(${memText}) = ${fromMemory}`;
    if (fromMemory === 0) {
      const where = reserve?.range ?? g.stmt.range;
      ctx.report(
        where,
        'error',
        'MP209',
        `No room for experts: each ${g.gpu.name} has ${formatBytes(mem)} − ${formatBytes(reserveBytes.value)} reserve = ${formatBytes(free)}, but one expert slot (one expert in each of ${model.layers.value} layers) needs ${formatBytes(perSlot)}. Lower \`reserve\`, or use GPUs with more memory.`,
      );
    }
  }
  if (slots > E) {
    // A GPU holds each expert at most once, so slots beyond the expert count would stay empty.
    if (slotsGiven) {
      ctx.report(
        slotsGiven.range,
        'information',
        'MP213',
        `${slots} slots per GPU is more than the ${E} experts a GPU can hold (one copy each): ${E} are used.`,
      );
    }
    slotsSource += `, capped at the ${E} experts`;
    slots = E;
  }
  const total = slots * g.count;
  if (slots > 0 && total < E) {
    const needSlots = Math.ceil(E / g.count);
    const missingPerGpu = needSlots * perSlot - (slotsGiven ? slots * perSlot : free);
    const where = slotsGiven?.range ?? reserve?.range ?? g.stmt.range;
    const related = [{ message: 'GPUs set here', range: g.stmt.range }];
    if (reserve && where !== reserve.range) related.push({ message: 'reserve set here', range: reserve.range });
    const msg =
      `The ${g.count} GPU${g.count > 1 ? 's' : ''} hold ${total} expert slot${total === 1 ? '' : 's'} per layer (${slots} each) but ${model.name} has ${E} experts: one copy of every expert needs ${needSlots} slots per GPU, ` +
      `${formatBytes(needSlots * perSlot)} of expert weights per GPU, ${formatBytes(Math.max(0, missingPerGpu))} more than is free. ` +
      (offloading
        ? 'The `offload` block pages the rest from host memory.'
        : 'Lower `reserve`, add GPUs, or add an `offload { policy layer-lru }` block to page experts from host memory.');
    const fixes: QuickFix[] = [];
    if (!offloading) {
      // Reserve that would leave room for one copy of every expert, rounded down to whole GiB.
      const fitting = Math.floor((mem - needSlots * perSlot) / 2 ** 30);
      if (reserve?.bytes !== undefined && !slotsGiven && fitting >= 0) {
        fixes.push({ title: `Lower reserve to ${fitting} GiB`, edits: [{ range: reserve.range, newText: `${fitting} GiB` }] });
      }
      fixes.push({
        title: 'Add an `offload { policy layer-lru }` block',
        edits: [{ range: { start: docEnd, end: docEnd }, newText: (docEnd.character > 0 ? '\n' : '') + '\noffload {\n  policy layer-lru\n}\n' }],
      });
    }
    ctx.report(where, offloading ? 'information' : 'error', 'MP208', msg, { related, fixes: fixes.length ? fixes : undefined });
  }
  if (offload && offload.enabled && total >= E && offload.range) {
    ctx.report(
      top.offload!.keyword.range,
      'information',
      'MP501',
      `Every expert fits in GPU memory (${total} slots per layer for ${E} experts): \`offload\` has nothing to page. Remove it, or raise \`reserve\` to study paging.`,
    );
  }
  const links = defaultLinks(g.preset, given);
  return {
    gpu: g.gpu,
    count: g.count,
    nodes: g.nodes,
    gpusPerNode: g.count / g.nodes,
    nvlink: links.nvlink,
    network: links.network,
    pcie: links.pcie,
    reserveBytes,
    slotsPerGpu: new Array<number>(g.count).fill(slots),
    slotsSource,
    range: g.stmt.range,
  };
}
