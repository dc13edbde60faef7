// The `workload { … }` block: where routing statistics come from (trace
// files, inline subset probabilities, the seeded synthetic generator — one
// or several, mixed by weight), batch size, phase, the cap on subsets kept,
// and the newer trace the committed placement is checked against (`drift`).
import * as nodePath from 'node:path';
import { existsSync } from 'node:fs';
import type { NumberValue, Range, Statement, StringValue, Value } from '../language/ast';
import type { DriftSpec, InlineSubsetsSpec, MixRule, ModelSpec, Sourced, SyntheticSpec, TraceSpec, WorkloadSource, WorkloadSpec } from './types';
import { DEFAULTS } from './defaults';
import { LIMITS } from './limits';
import { count } from '../display';
import { Args, type Ctx, dispatch, needBlock, noBlock, planSource, readNumberValue, describe, type NumSpec } from './resolveContext';
import { nearest } from './nearest';
import type { ResolveOptions } from './resolve';
import { type CONTEXTS, MIX, PHASE, TRACE_FIELD_OPTIONS, TRACE_FORMAT, type TraceFieldRole } from './vocabulary';
import { isTracePattern, patternBase } from './tracePattern';

export function resolveWorkload(ctx: Ctx, stmt: Statement | undefined, model: ModelSpec | undefined, opts: ResolveOptions & { anchor?: Range }): WorkloadSpec {
  const sources: WorkloadSource[] = [];
  let batch: Sourced<number> = { ...DEFAULTS.batch };
  let phase: Sourced<'prefill' | 'decode'> = { ...DEFAULTS.phase };
  let tokens: Sourced<number> | undefined;
  let maxSubsets: number | undefined;
  let mix: Sourced<MixRule> = { ...DEFAULTS.mix };
  let drift: DriftSpec | undefined;
  const seenTraces = new Map<string, Statement>();

  const addSource = (src: WorkloadSource | undefined) => {
    if (src) sources.push(src);
  };

  if (stmt) {
    new Args(ctx, stmt).end('write workload fields inside `workload { … }`');
    const body = needBlock(ctx, stmt, 'workload { synthetic seed 1; batch 64 tokens }');
    dispatch(ctx, body, 'workload', {
      trace: (s) => {
        noBlock(ctx, s);
        ctx.field('workload.trace', s.keyword.range);
        const a = new Args(ctx, s);
        const v = a.take();
        let spec: TraceSpec | undefined;
        if (!v || v.kind !== 'string') {
          ctx.report(v ? v.range : a.here(), 'error', 'MP112', '`trace` needs a path in quotes, relative to the plan: e.g. `trace "traces/chat.jsonl"`.');
        } else {
          const absPath = tracePathOf(ctx, v, opts, 'Trace file');
          spec = { kind: 'trace', path: v.value, absPath, range: s.range };
          const earlier = seenTraces.get(absPath);
          if (earlier)
            ctx.report(
              v.range,
              'warning',
              'MP305',
              `\`${v.value}\` is already a workload of this plan: its routing would count twice. Remove one, or give the first a larger \`weight\`.`,
              {
                related: [{ message: 'first named here', range: earlier.range }],
              },
            );
          else seenTraces.set(absPath, s);
        }
        readTraceOptions(ctx, a, spec);
        a.end(
          `write \`trace "PATH" [format ${TRACE_FORMAT.words.join('|')}] [experts-field "NAME"] [layer-field "NAME"] [request-field "NAME"] [position-field "NAME"] [weight W]\``,
        );
        addSource(spec);
      },
      synthetic: (s) => {
        noBlock(ctx, s);
        ctx.field('workload.synthetic', s.keyword.range);
        const spec = readSynthetic(ctx, s);
        if (model) checkSyntheticWork(ctx, s, spec, model);
        addSource(spec);
      },
      subsets: (s) => {
        ctx.field('workload.subsets', s.keyword.range);
        const a = new Args(ctx, s);
        let weight: number | undefined;
        readSourceOptions(a, { weight: () => (weight = readWeight(a)) });
        a.end('write `subsets [weight W] { … }` with `subset …` lines inside');
        const spec = readSubsets(ctx, s, model);
        if (weight !== undefined) spec.weight = weight;
        addSource(spec);
      },
      mix: (s) => {
        noBlock(ctx, s);
        ctx.field('workload.mix', s.keyword.range);
        const a = new Args(ctx, s);
        const m = a.choice('`mix`', MIX.words, MIX.aliases);
        a.end(`write \`mix ${MIX.words.join('|')}\``);
        if (m) mix = { value: m.value, source: planSource(m.node.range), range: m.node.range };
      },
      drift: (s) => {
        noBlock(ctx, s);
        ctx.field('workload.drift', s.keyword.range);
        drift = readDrift(ctx, s, opts);
      },
      batch: (s) => {
        noBlock(ctx, s);
        ctx.field('workload.batch', s.keyword.range);
        const a = new Args(ctx, s);
        const n = a.number({ what: '`batch`', int: true, min: 1, max: LIMITS.batchTokens, unit: 'tokens', unitOptional: true, example: 'batch 64 tokens' });
        a.end('write `batch N tokens`');
        if (n) batch = { value: n.value, source: planSource(n.node.range), range: n.node.range };
      },
      phase: (s) => {
        noBlock(ctx, s);
        ctx.field('workload.phase', s.keyword.range);
        const a = new Args(ctx, s);
        const p = a.choice('`phase`', PHASE.words, PHASE.aliases);
        if (p) {
          phase = { value: p.value, source: planSource(p.node.range), range: p.node.range };
          if (p.value === 'decode') a.optWord('output');
          if (!a.done) {
            const n = a.number({
              what: p.value === 'decode' ? 'the output length' : 'the prompt length',
              int: true,
              min: 1,
              max: 1 << 30,
              unit: 'tokens',
              unitOptional: true,
              example: p.value === 'decode' ? 'phase decode output 256 tokens' : 'phase prefill 4096 tokens',
            });
            if (n) tokens = { value: n.value, source: planSource(n.node.range), range: n.node.range };
          }
        }
        a.end(phase.value === 'decode' ? 'write `phase decode [output N tokens]`' : 'write `phase prefill [N tokens]`');
      },
      'max-subsets': (s) => {
        noBlock(ctx, s);
        ctx.field('workload.max-subsets', s.keyword.range);
        const a = new Args(ctx, s);
        const n = a.number({ what: '`max-subsets`', int: true, min: 1, max: 1e9 });
        a.end();
        if (n) maxSubsets = n.value;
      },
    });
  }
  if (sources.length === 0) {
    const where = stmt ? stmt.keyword.range : opts.anchor;
    if (where) {
      const d = DEFAULTS.synthetic;
      ctx.report(
        where,
        'information',
        'MP303',
        `No workload source: using the synthetic generator (\`synthetic tokens ${d.tokens} seed ${d.seed}\`). Add a \`trace "…"\`, \`synthetic …\` or \`subsets { … }\` line to \`workload { … }\` to choose.`,
      );
    }
    sources.push(defaultSynthetic());
  }
  if (!tokens) tokens = phase.value === 'decode' ? { ...DEFAULTS.decodeTokens } : { ...DEFAULTS.prefillTokens };
  const spec: WorkloadSpec = { source: sources[0], sources, mix, batch, phase, tokens };
  if (maxSubsets !== undefined) spec.maxSubsets = maxSubsets;
  if (drift) spec.drift = drift;
  return spec;
}

/**
 * A trace path as the plan writes it, made absolute against the plan's
 * folder, with MP301 when nothing is there: a file, a folder, or a glob
 * whose folder exists (the files it matches are listed when the workload is
 * read).
 */
function tracePathOf(ctx: Ctx, v: StringValue, opts: ResolveOptions, what: string): string {
  const absPath = nodePath.resolve(nodePath.dirname(opts.file), v.value);
  ctx.refs.push({ kind: 'trace', absPath, range: v.range });
  const exists = opts.fileExists ?? existsSync;
  const probe = isTracePattern(v.value) ? patternBase(absPath) : absPath;
  let found = false;
  try {
    found = v.value !== '' && exists(probe);
  } catch {
    found = false;
  }
  if (!found) {
    const looked = probe === absPath ? `looked for ${absPath}` : `its folder ${probe} does not exist`;
    ctx.report(
      v.range,
      'error',
      'MP301',
      `${what} \`${v.value}\` not found (${looked}): the path is relative to the plan's folder; fix it or create the file.`,
    );
  }
  return absPath;
}

/** Named options after a source's arguments, in any order, each at most once. */
function readSourceOptions(a: Args, readers: Record<string, () => void>): void {
  const seen = new Set<string>();
  for (;;) {
    const name = Object.keys(readers).find((n) => a.isWord(n));
    if (!name) return;
    const word = a.take()!;
    if (seen.has(name)) a.ctx.report(word.range, 'error', 'MP111', `\`${name}\` is given twice: keep one.`);
    seen.add(name);
    readers[name]();
  }
}

/** `weight W`: a positive share (a plain number, or a percentage). */
function readWeight(a: Args): number | undefined {
  return a.number({ what: '`weight`', above: 0, max: 1e12, unit: 'percent', unitOptional: true, example: 'weight 3' })?.value;
}

/** `drift "FILE" [max-regression P%] [format F]`. */
function readDrift(ctx: Ctx, s: Statement, opts: ResolveOptions): DriftSpec | undefined {
  const a = new Args(ctx, s);
  const v = a.take();
  let spec: DriftSpec | undefined;
  if (!v || v.kind !== 'string') {
    ctx.report(
      v ? v.range : a.here(),
      'error',
      'MP112',
      '`drift` needs the path of a newer trace in quotes, e.g. `drift "traces/today.jsonl" max-regression 5%`.',
    );
  } else {
    spec = { path: v.value, absPath: tracePathOf(ctx, v, opts, 'Drift trace'), maxRegression: { ...DEFAULTS.maxRegression }, range: s.range };
  }
  readSourceOptions(a, {
    'max-regression': () => {
      const n = a.number({ what: '`max-regression`', min: 0, max: 100, unit: 'percent', example: 'max-regression 5%' });
      if (n && spec) spec.maxRegression = { value: n.value, source: planSource(n.node.range), range: n.node.range };
    },
    format: () => {
      const f = a.choice('`format`', TRACE_FORMAT.words, TRACE_FORMAT.aliases);
      if (f && spec) spec.format = f.value;
    },
  });
  a.end('write `drift "PATH" [max-regression P%] [format F]`');
  return spec;
}

/**
 * MP116 when generating the tokens would take more than LIMITS.syntheticDraws
 * expert draws for this model: the generator's time and memory grow with
 * tokens × layers × top-k, and no solver budget can pay for that.
 */
function checkSyntheticWork(ctx: Ctx, s: Statement, spec: SyntheticSpec, model: ModelSpec): void {
  const layers = model.layers.value;
  const k = model.topK.value;
  const draws = spec.tokens * layers * k;
  if (!(draws > LIMITS.syntheticDraws)) return;
  const most = Math.floor(LIMITS.syntheticDraws / (layers * k));
  ctx.report(
    s.range,
    'error',
    'MP116',
    `${count(spec.tokens)} synthetic tokens × ${layers} MoE layers × top-${k} = ${count(draws)} expert draws; the generator makes at most ` +
      `${count(LIMITS.syntheticDraws)} (about 7 s and a few hundred MB): use at most ${count(most)} tokens for ${model.name}, or a trace.`,
  );
}

/** `format F`, `weight W` and `experts-field "NAME"` (layer-, request-, position-) after a trace's path, in any order. */
function readTraceOptions(ctx: Ctx, a: Args, spec: TraceSpec | undefined): void {
  const roles = Object.keys(TRACE_FIELD_OPTIONS) as TraceFieldRole[];
  let formatSeen = false;
  let weightSeen = false;
  for (;;) {
    const formatWord = a.optWord('format');
    if (formatWord) {
      if (formatSeen) ctx.report(formatWord.range, 'error', 'MP111', '`format` is given twice: keep one.');
      formatSeen = true;
      const f = a.choice('`format`', TRACE_FORMAT.words, TRACE_FORMAT.aliases);
      if (f && spec) spec.format = f.value;
      continue;
    }
    const weightWord = a.optWord('weight');
    if (weightWord) {
      if (weightSeen) ctx.report(weightWord.range, 'error', 'MP111', '`weight` is given twice: keep one.');
      weightSeen = true;
      const w = readWeight(a);
      if (w !== undefined && spec) spec.weight = w;
      continue;
    }
    const role = roles.find((r) => a.isWord(TRACE_FIELD_OPTIONS[r].keyword));
    if (!role) return;
    const option = TRACE_FIELD_OPTIONS[role];
    const kw = a.take()!;
    const v = a.peek();
    if (!v || v.kind !== 'string' || v.value.trim() === '') {
      ctx.report(v ? v.range : a.here(), 'error', 'MP112', `\`${option.keyword}\` needs the field's name in quotes, e.g. \`${option.example}\`.`);
      if (v && v.kind === 'string') a.take();
      continue;
    }
    a.take();
    if (!spec) continue;
    if (spec.fields?.[role] !== undefined) ctx.report(kw.range, 'error', 'MP111', `\`${option.keyword}\` is given twice: keep one.`);
    spec.fields = { ...spec.fields, [role]: v.value };
  }
}

function defaultSynthetic(): SyntheticSpec {
  return { kind: 'synthetic', ...DEFAULTS.synthetic };
}

/** How each `synthetic` option of the vocabulary is read. */
const SYNTHETIC_KEYS: Record<keyof typeof CONTEXTS.workload.keywords.synthetic.options, NumSpec & { key: keyof typeof DEFAULTS.synthetic | 'weight' }> = {
  tokens: { key: 'tokens', what: '`tokens`', int: true, min: 1, max: LIMITS.syntheticTokens, unit: 'tokens', unitOptional: true },
  seed: { key: 'seed', what: '`seed`', int: true, min: 0, max: 2 ** 32 - 1 },
  skew: { key: 'skew', what: '`skew`', min: 0, max: 10 },
  concentration: { key: 'concentration', what: '`concentration`', min: 0, max: 1, unit: 'percent', unitOptional: true },
  topics: { key: 'topics', what: '`topics`', int: true, min: 1, max: 4096 },
  weight: { key: 'weight', what: '`weight`', above: 0, max: 1e12, unit: 'percent', unitOptional: true },
};

/** `synthetic [tokens N] [seed N] [skew X] [concentration X] [topics N]`. */
function readSynthetic(ctx: Ctx, s: Statement): SyntheticSpec {
  const spec: SyntheticSpec = { ...defaultSynthetic(), range: s.range };
  const seen = new Set<string>();
  const args = s.args;
  let i = 0;
  // `seed 7 tokens 2000` lexes `tokens` as the unit of 7; such a unit is really the next key.
  let pendingKey: { text: string; range: Range } | undefined;
  while (i < args.length || pendingKey) {
    let keyText: string;
    let keyRange: Range;
    if (pendingKey) {
      keyText = pendingKey.text;
      keyRange = pendingKey.range;
      pendingKey = undefined;
    } else {
      const k = args[i++];
      if (k.kind !== 'word') {
        ctx.report(k.range, 'error', 'MP112', `Expected a synthetic option name (${Object.keys(SYNTHETIC_KEYS).join(', ')}), not \`${describe(k)}\`.`);
        continue;
      }
      keyText = k.text;
      keyRange = k.range;
    }
    const key = keyText.toLowerCase();
    const spec0 = Object.hasOwn(SYNTHETIC_KEYS, key) ? SYNTHETIC_KEYS[key as keyof typeof SYNTHETIC_KEYS] : undefined;
    if (!spec0) {
      const near = nearest(keyText, Object.keys(SYNTHETIC_KEYS));
      ctx.report(
        keyRange,
        'error',
        'MP110',
        `Unknown synthetic option \`${keyText}\`${near ? `: did you mean \`${near}\`?` : '.'} Options: ${Object.keys(SYNTHETIC_KEYS).join(', ')}.`,
        {
          fixes: near ? [{ title: `Change to \`${near}\``, edits: [{ range: keyRange, newText: near }], preferred: true }] : undefined,
        },
      );
      if (args[i]?.kind === 'number') i++;
      continue;
    }
    if (seen.has(key)) ctx.report(keyRange, 'error', 'MP111', `\`${key}\` is given twice: keep one.`);
    seen.add(key);
    const v = args[i];
    if (!v || v.kind !== 'number') {
      const example = spec0.key === 'weight' ? 1 : DEFAULTS.synthetic[spec0.key];
      ctx.report(v ? v.range : { start: keyRange.end, end: keyRange.end }, 'error', 'MP112', `\`${key}\` needs a number, e.g. \`${key} ${example}\`.`);
      continue;
    }
    i++;
    let node: NumberValue = v;
    if (
      v.unit &&
      Object.hasOwn(SYNTHETIC_KEYS, v.unit.text.toLowerCase()) &&
      !(spec0.unit === 'tokens' && /^tokens?$/i.test(v.unit.text) && args[i]?.kind !== 'number')
    ) {
      pendingKey = v.unit;
      node = { ...v, unit: undefined, range: { start: v.range.start, end: { line: v.range.start.line, character: v.range.start.character + v.raw.length } } };
    }
    const n = readNumberValue(ctx, node, spec0);
    if (n !== undefined) (spec as unknown as Record<string, number>)[spec0.key] = n;
  }
  return spec;
}

/** `subsets { subset 0 1: 30%; layer 5 { subset 0 2: 1 } }` */
function readSubsets(ctx: Ctx, s: Statement, model: ModelSpec | undefined): InlineSubsetsSpec {
  const layers: InlineSubsetsSpec['layers'] = new Map();
  const add = (layer: number, entry: { experts: number[]; weight: number; range?: Range }) => {
    let list = layers.get(layer);
    if (!list) layers.set(layer, (list = []));
    list.push(entry);
  };
  const subset = (layerIds: number[] | undefined) => (x: Statement) => {
    noBlock(ctx, x);
    const e = readSubset(ctx, x, model, layerIds?.[0]);
    if (e) for (const l of layerIds ?? [-1]) add(l, e);
  };
  dispatch(ctx, needBlock(ctx, s, 'subsets { subset 0 1: 30% }'), 'subsets', {
    subset: subset(undefined),
    layer: (x) => {
      const ids = readLayerIds(ctx, x, model) ?? [];
      dispatch(ctx, needBlock(ctx, x, 'layer 5 { subset 0 2: 1 }'), 'subsets-layer', { subset: subset(ids) });
    },
  });
  const total = [...layers.values()].flat().reduce((t, e) => t + e.weight, 0);
  if (layers.size > 0 && !(total > 0)) {
    ctx.report(s.keyword.range, 'error', 'MP304', 'The subset weights add up to zero: give at least one subset a positive weight.');
  }
  if (layers.size === 0) {
    ctx.report(s.keyword.range, 'error', 'MP304', '`subsets` lists no subsets: add lines such as `subset 0 1: 30%`.');
  }
  return { kind: 'inline', layers, range: s.range };
}

/** Longest `a..b` expanded when the model does not bound it (keeps absurd input from exhausting memory). */
const MAX_RANGE = 1 << 16;

export function readLayerIds(ctx: Ctx, x: Statement, model: ModelSpec | undefined): number[] | undefined {
  const a = new Args(ctx, x);
  const v = a.take();
  let ids: number[] | undefined;
  const L = model?.layers.value;
  const check = (n: NumberValue): number | undefined => {
    const id = readNumberValue(ctx, n, { what: 'a layer number', int: true, min: 0 });
    if (id === undefined) return undefined;
    ctx.refs.push({ kind: 'layer', layer: id, range: n.range });
    if (L !== undefined && id >= L) {
      ctx.report(n.range, 'error', 'MP402', `Layer ${id} does not exist: ${model!.name} has ${L} MoE layers, numbered 0–${L - 1} (MoE layers count from 0).`);
      return undefined;
    }
    return id;
  };
  if (v?.kind === 'number') {
    const id = check(v);
    if (id !== undefined) ids = [id];
  } else if (v?.kind === 'range') {
    const from = check(v.from);
    const to = check(v.to);
    if (from !== undefined && to !== undefined) {
      if (to < from) ctx.report(v.range, 'error', 'MP107', `The range ${from}..${to} runs backwards: write \`${to}..${from}\`.`);
      else if (to - from >= MAX_RANGE) ctx.report(v.range, 'error', 'MP116', `The range ${from}..${to} is too long (at most ${MAX_RANGE} ids).`);
      else ids = Array.from({ length: to - from + 1 }, (_, k) => from + k);
    }
  } else {
    ctx.report(v ? v.range : a.here(), 'error', 'MP112', '`layer` needs a layer number or range, e.g. `layer 0` or `layer 0..31`.');
  }
  a.end('write `layer N { … }` or `layer A..B { … }`');
  return ids;
}

/** Expert ids of a list of numbers and ranges (commas allowed); refs and MP404 per id. */
export function readExpertIds(
  ctx: Ctx,
  values: Value[],
  model: ModelSpec | undefined,
  refCtx: { layer?: number; gpu?: number },
  onId?: (id: number, node: Value) => void,
): number[] {
  const out: number[] = [];
  const nodes: Value[] | undefined = onId ? [] : undefined;
  readExpertIdsInto(ctx, values, 0, model, refCtx.layer, refCtx.gpu, out, nodes);
  if (onId) for (let k = 0; k < out.length; k++) onId(out[k], nodes![k]);
  return out;
}

/**
 * readExpertIds for `values[from…]`, appending each id to `out` and the
 * node it came from to `nodes`. No closures or copies: committed layers list
 * tens of thousands of ids.
 */
export function readExpertIdsInto(
  ctx: Ctx,
  values: Value[],
  from: number,
  model: ModelSpec | undefined,
  layer: number | undefined,
  gpu: number | undefined,
  out: number[],
  nodes?: Value[],
): void {
  for (let i = from; i < values.length; i++) {
    const v = values[i];
    if (v.kind === 'number') {
      const id = expertIdOf(ctx, v, model, layer, gpu);
      if (id !== undefined) {
        out.push(id);
        nodes?.push(v);
      }
    } else if (v.kind === 'range') {
      const a = expertIdOf(ctx, v.from, model, layer, gpu);
      const b = expertIdOf(ctx, v.to, model, layer, gpu);
      if (a !== undefined && b !== undefined) {
        if (b < a) ctx.report(v.range, 'error', 'MP107', `The range ${a}..${b} runs backwards: write \`${b}..${a}\`.`);
        else if (b - a >= MAX_RANGE) ctx.report(v.range, 'error', 'MP116', `The range ${a}..${b} is too long (at most ${MAX_RANGE} ids).`);
        else
          for (let id = a; id <= b; id++) {
            out.push(id);
            nodes?.push(v);
          }
      }
    } else if (!(v.kind === 'punct' && v.text === ',')) {
      ctx.report(v.range, 'error', 'MP112', `Expected an expert id or range (e.g. \`0 1 4..7\`), not \`${describe(v)}\`.`);
    }
  }
}

/** One expert id: a whole number from 0 below the model's expert count; records the reference. */
function expertIdOf(ctx: Ctx, n: NumberValue, model: ModelSpec | undefined, layer: number | undefined, gpu: number | undefined): number | undefined {
  // Fast path for the common case, a plain whole number (committed layers list thousands).
  const id = !n.unit && Number.isInteger(n.value) && n.value >= 0 ? n.value : readNumberValue(ctx, n, { what: 'an expert id', int: true, min: 0 });
  if (id === undefined) return undefined;
  ctx.refs.push({ kind: 'expert', expert: id, layer, gpu, range: n.range });
  const E = model?.experts.value;
  if (E !== undefined && id >= E) {
    ctx.report(n.range, 'error', 'MP404', `Expert ${id} does not exist: ${model!.name} has ${E} routed experts, numbered 0–${E - 1}.`);
    return undefined;
  }
  return id;
}

function readSubset(
  ctx: Ctx,
  x: Statement,
  model: ModelSpec | undefined,
  layer: number | undefined,
): { experts: number[]; weight: number; range: Range } | undefined {
  const colon = x.args.findIndex((v) => v.kind === 'punct' && v.text === ':');
  if (colon < 0) {
    ctx.report(x.range, 'error', 'MP112', 'A subset line is `subset EXPERTS: WEIGHT`, e.g. `subset 0 1: 30%`: add the `:` and the weight.');
    return undefined;
  }
  const experts = readExpertIds(ctx, x.args.slice(0, colon), model, { layer });
  const wv = x.args[colon + 1];
  let weight: number | undefined;
  if (!wv || wv.kind !== 'number') {
    ctx.report(wv ? wv.range : x.args[colon].range, 'error', 'MP112', 'The subset needs a weight after `:` (a probability like `30%` or a count).');
  } else {
    weight = readNumberValue(ctx, wv, { what: 'the subset weight', min: 0, unit: 'percent', unitOptional: true });
  }
  if (x.args.length > colon + 2) {
    const extra = x.args.slice(colon + 2);
    ctx.report({ start: extra[0].range.start, end: extra[extra.length - 1].range.end }, 'error', 'MP113', 'Only one weight follows `:`: remove the rest.');
  }
  if (weight === undefined) return undefined;
  const k = model?.topK.value;
  const distinct = new Set(experts);
  if (distinct.size !== experts.length) {
    ctx.report(x.range, 'error', 'MP304', 'A subset names each expert once: remove the repeated expert.');
    return undefined;
  }
  if (k !== undefined && experts.length !== k) {
    ctx.report(x.range, 'error', 'MP304', `A subset has exactly top-k = ${k} experts (${model!.name}), but this one has ${experts.length}: list ${k} experts.`);
    return undefined;
  }
  return { experts: [...experts].sort((a, b) => a - b), weight, range: x.range };
}
