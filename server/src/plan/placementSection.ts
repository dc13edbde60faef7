// The `placement { … }` block: policy and options, constraints, and
// committed per-layer assignments, which are checked (not recomputed):
// GPUs and experts exist, no expert twice on one GPU, no GPU over its slots,
// every expert somewhere, constraints respected.
import type { Range, Statement, Value } from '../language/ast';
import type { Diagnostic, QuickFix, TextEdit } from '../language/diagnostic';
import type { CommittedLayer, ForbidConstraint, HardwareSpec, ModelSpec, PinConstraint, PlacementSpec, PlanRef } from './types';
import { DEFAULTS } from './defaults';
import { Args, Ctx, at, dispatch, needBlock, noBlock, planSource } from './resolveContext';
import { readExpertIds, readExpertIdsInto, readLayerIds } from './workloadSection';
import { formatExpertList } from './expertList';
import { DISPATCH, OBJECTIVE, POLICY, type KeywordOf, type WordSet } from './vocabulary';

interface GpuLine {
  gpu: number;
  stmt: Statement;
  /** Every id as listed (ranges expanded). */
  ids: number[];
  /** Index in `stmt.args` where the ids start. */
  from: number;
  /**
   * The node each id came from (same index); absent in the common case where
   * every argument from `from` on is a number that gave one id.
   */
  nodes?: Value[];
  /** The `gpu` line each id came from, when the GPU is listed twice; otherwise every id is from `stmt`. */
  stmts?: Statement[];
}

/** The `gpu` line entry k of a GPU's list was written on. */
const stmtOf = (line: GpuLine, k: number): Statement => (line.stmts ? line.stmts[k] : line.stmt);

/** The node entry k of a GPU's list came from. */
const nodeAt = (line: GpuLine, k: number): Value => (line.nodes ? line.nodes[k] : line.stmt.args[line.from + k]);

/** Whether each argument from `from` on is a number that gave one of the `count` ids. */
function onePerArgument(values: Value[], from: number, count: number): boolean {
  if (count !== values.length - from) return false;
  for (let i = from; i < values.length; i++) if (values[i].kind !== 'number') return false;
  return true;
}

/** Whether the GPU's whole list is written on its one `gpu` line. */
const oneLine = (line: GpuLine): boolean => !line.stmts || line.stmts.every((x) => x === line.stmt);

interface LayerStmt {
  layers: number[];
  stmt: Statement;
  gpus: Map<number, GpuLine>;
}

interface PlacementInternal {
  layerStmts: LayerStmt[];
  spec: PlacementSpec;
}

/**
 * What reading a `layer` statement produced (references, diagnostics, GPU
 * lines), by statement. The editor re-parses only what an edit touched, so
 * the other layer statements arrive as the same objects and are replayed.
 */
interface LayerMemo {
  key: string;
  refs: PlanRef[];
  diags: Diagnostic[];
  layers: number[];
  gpus: Map<number, GpuLine>;
}
const layerMemo = new WeakMap<Statement, LayerMemo>();

/**
 * What checking a committed layer that had nothing to report produced (the
 * lists per GPU), by its GPU lines; the key holds everything else it read.
 */
const committedMemo = new WeakMap<Map<number, GpuLine>, { key: string; unique: number[][]; gpuRanges: (Range | undefined)[] }>();

const rangeKey = (r: Range) => `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;

export function resolvePlacement(
  ctx: Ctx,
  stmt: Statement | undefined,
  model: ModelSpec | undefined,
  hw: HardwareSpec | undefined,
): { spec: PlacementSpec; internal: PlacementInternal } {
  const spec: PlacementSpec = {
    policy: { ...DEFAULTS.policy },
    objective: { ...DEFAULTS.objective },
    dispatch: { ...DEFAULTS.dispatch },
    timeBudgetMs: { ...DEFAULTS.timeBudgetMs },
    seed: DEFAULTS.seed,
    replicas: DEFAULTS.replicas,
    pins: [],
    forbids: [],
    committed: new Map(),
  };
  const internal: PlacementInternal = { layerStmts: [], spec };
  if (!stmt) return { spec, internal };
  spec.range = stmt.range;
  if (stmt.block?.close) spec.insertAt = { start: stmt.block.close.start, end: stmt.block.close.start };
  new Args(ctx, stmt).end('write placement options inside `placement { … }`');
  const ids = new IdReader(ctx, model, hw);
  // Everything besides the statement itself that reading a `layer` statement depends on.
  const layerKey = [model?.experts.value, model?.name, model?.layers.value, hw?.count, hw?.range && rangeKey(hw.range)].join('|');
  dispatch(ctx, needBlock(ctx, stmt, 'placement { policy greedy }'), 'placement', {
    ...optionHandlers(ctx, spec),
    ...constraintHandlers(ctx, spec, ids),
    layer: (s) => readLayerStatement(ctx, s, ids, model, internal, layerKey),
  });
  checkPinsAgainstForbids(ctx, spec);
  keepFirstCommit(ctx, internal);
  return { spec, internal };
}

/** GPU, layer and expert numbers in placement statements: checked against the plan, recorded as references. */
class IdReader {
  constructor(
    private readonly ctx: Ctx,
    private readonly model: ModelSpec | undefined,
    private readonly hw: HardwareSpec | undefined,
  ) {}

  gpuId(v: Value | undefined, a: Args, layer?: number): number | undefined {
    const { ctx, hw } = this;
    const G = hw?.count;
    if (!v || v.kind !== 'number') {
      ctx.report(v ? v.range : a.here(), 'error', 'MP112', 'Expected a GPU number, e.g. `gpu 0`.');
      return undefined;
    }
    if (!Number.isInteger(v.value) || v.value < 0 || v.unit) {
      ctx.report(v.range, 'error', 'MP116', `A GPU number is a whole number from 0, not \`${v.raw}${v.unit?.text ?? ''}\`.`);
      return undefined;
    }
    ctx.refs.push({ kind: 'gpu', gpu: v.value, layer, range: v.range });
    if (G !== undefined && v.value >= G) {
      ctx.report(v.range, 'error', 'MP403', `GPU ${v.value} does not exist: the plan has ${G} GPU${G > 1 ? 's' : ''}, numbered 0–${G - 1}.`, {
        related: hw?.range ? [{ message: 'GPUs set here', range: hw.range }] : undefined,
      });
      return undefined;
    }
    return v.value;
  }

  /** An optional `layer L`. */
  optLayer(a: Args): { layer?: number; ok: boolean } {
    const { ctx, model } = this;
    if (!a.optWord('layer')) return { ok: true };
    const v = a.take();
    if (!v || v.kind !== 'number' || !Number.isInteger(v.value) || v.value < 0) {
      ctx.report(v ? v.range : a.here(), 'error', 'MP112', 'Expected a layer number after `layer`.');
      return { ok: false };
    }
    ctx.refs.push({ kind: 'layer', layer: v.value, range: v.range });
    if (model && v.value >= model.layers.value) {
      ctx.report(
        v.range,
        'error',
        'MP402',
        `Layer ${v.value} does not exist: ${model.name} has ${model.layers.value} MoE layers, numbered 0–${model.layers.value - 1}.`,
      );
      return { ok: false };
    }
    return { layer: v.value, ok: true };
  }

  expertId(a: Args, layer?: number, gpu?: number): number | undefined {
    const v = a.take();
    if (!v || v.kind !== 'number') {
      this.ctx.report(v ? v.range : a.here(), 'error', 'MP112', 'Expected an expert number, e.g. `expert 0`.');
      return undefined;
    }
    const ids = readExpertIds(this.ctx, [v], this.model, { layer, gpu });
    return ids[0];
  }
}

/** `policy`, `objective`, `dispatch`, `time`, `seed`, `replicas`, `max-copies`. */
function optionHandlers(ctx: Ctx, spec: PlacementSpec) {
  /** A statement of one vocabulary word (`objective latency`, `dispatch static`). */
  const oneWord = <W extends string>(s: Statement, keyword: string, words: WordSet<W>, code: string, hint: string) => {
    noBlock(ctx, s);
    ctx.field(`placement.${keyword}`, s.keyword.range);
    const a = new Args(ctx, s);
    const c = a.choice(`\`${keyword}\``, words.words, words.aliases, code);
    a.end(hint);
    return c;
  };
  return {
    policy: (s) => {
      noBlock(ctx, s);
      ctx.field('placement.policy', s.keyword.range);
      const a = new Args(ctx, s);
      const c = a.choice('`policy`', POLICY.words, POLICY.aliases, 'MP401');
      if (c) spec.policy = { value: c.value, source: planSource(c.node.range), range: c.node.range };
      if (!a.done) {
        const t = a.number({ what: 'the time budget', unit: 'time', above: 0, suggest: 's', example: 'policy search 10 s' });
        if (t) spec.timeBudgetMs = { value: t.value * 1000, source: planSource(t.node.range), range: t.node.range };
      }
      a.end('write `policy NAME [TIME]`');
    },
    objective: (s) => {
      const c = oneWord(s, 'objective', OBJECTIVE, 'MP412', 'write `objective latency` or `objective expected-time`');
      if (c) spec.objective = { value: c.value, source: planSource(c.node.range), range: c.node.range };
    },
    dispatch: (s) => {
      const c = oneWord(s, 'dispatch', DISPATCH, 'MP413', 'write `dispatch static`, `dispatch random` or `dispatch balanced`');
      if (c) spec.dispatch = { value: c.value, source: planSource(c.node.range), range: c.node.range };
    },
    time: (s) => {
      noBlock(ctx, s);
      ctx.field('placement.time', s.keyword.range);
      const a = new Args(ctx, s);
      const t = a.number({ what: '`time`', unit: 'time', above: 0, suggest: 's', example: 'time 10 s' });
      a.end();
      if (t) spec.timeBudgetMs = { value: t.value * 1000, source: planSource(t.node.range), range: t.node.range };
    },
    seed: (s) => {
      noBlock(ctx, s);
      ctx.field('placement.seed', s.keyword.range);
      const a = new Args(ctx, s);
      const n = a.number({ what: '`seed`', int: true, min: 0, max: 2 ** 32 - 1 });
      a.end();
      if (n) spec.seed = n.value;
    },
    replicas: (s) => {
      noBlock(ctx, s);
      ctx.field('placement.replicas', s.keyword.range);
      const a = new Args(ctx, s);
      const t = a.toggle('`replicas`');
      a.end();
      if (t !== undefined) spec.replicas = t;
    },
    'max-copies': (s) => {
      noBlock(ctx, s);
      ctx.field('placement.max-copies', s.keyword.range);
      const a = new Args(ctx, s);
      const n = a.number({ what: '`max-copies`', int: true, min: 1, max: 1 << 20 });
      a.end();
      if (n) spec.maxCopies = n.value;
    },
  } satisfies Partial<Record<KeywordOf<'placement'>, (s: Statement) => void>>;
}

/** `pin` and `forbid`. */
function constraintHandlers(ctx: Ctx, spec: PlacementSpec, ids: IdReader) {
  const { gpuId, optLayer, expertId } = bound(ids);
  return {
    pin: (s) => {
      noBlock(ctx, s);
      ctx.field('placement.pin', s.keyword.range);
      const a = new Args(ctx, s);
      if (!a.expectWord('expert', 'write `pin expert E on gpu G [layer L]`')) return a.end();
      const look = new Args(ctx, s);
      look.i = a.i + 3;
      const layerAhead = look.isWord('layer') && look.peek(1)?.kind === 'number' ? (look.peek(1) as { value: number }).value : undefined;
      const e = expertId(a, layerAhead);
      if (!a.expectWord('on', 'write `pin expert E on gpu G [layer L]`')) return a.end();
      if (!a.expectWord('gpu', 'write `pin expert E on gpu G [layer L]`')) return a.end();
      const g = gpuId(a.take(), a, layerAhead);
      const l = optLayer(a);
      a.end('write `pin expert E on gpu G [layer L]`');
      if (e !== undefined && g !== undefined && l.ok) {
        const p: PinConstraint = { expert: e, gpu: g, range: s.range };
        if (l.layer !== undefined) p.layer = l.layer;
        spec.pins.push(p);
      }
    },
    forbid: (s) => {
      noBlock(ctx, s);
      ctx.field('placement.forbid', s.keyword.range);
      const a = new Args(ctx, s);
      let e: number | undefined;
      let hasExpert = false;
      if (a.optWord('expert')) {
        hasExpert = true;
        e = expertId(a);
        if (!a.expectWord('on', 'write `forbid expert E on gpu G [layer L]`')) return a.end();
      }
      if (!a.expectWord('gpu', 'write `forbid gpu G` or `forbid expert E on gpu G`')) return a.end();
      const g = gpuId(a.take(), a);
      const l = optLayer(a);
      a.end('write `forbid [expert E on] gpu G [layer L]`');
      if (g !== undefined && l.ok && (!hasExpert || e !== undefined)) {
        const f: ForbidConstraint = { gpu: g, range: s.range };
        if (e !== undefined) f.expert = e;
        if (l.layer !== undefined) f.layer = l.layer;
        spec.forbids.push(f);
      }
    },
  } satisfies Partial<Record<KeywordOf<'placement'>, (s: Statement) => void>>;
}

/** The reader's methods as functions, as the handlers call them. */
function bound(ids: IdReader) {
  return { gpuId: ids.gpuId.bind(ids), optLayer: ids.optLayer.bind(ids), expertId: ids.expertId.bind(ids) };
}

/**
 * A `layer L { gpu G: EXPERTS … }` statement: its GPU lines, each expert
 * checked; replayed from the memo when the same statement is read in the
 * same setting.
 */
function readLayerStatement(ctx: Ctx, s: Statement, reader: IdReader, model: ModelSpec | undefined, internal: PlacementInternal, layerKey: string): void {
  const { gpuId } = bound(reader);
  // The same (unchanged) statement read in the same setting reads the same: replay it.
  const memo = layerMemo.get(s);
  if (memo && memo.key === layerKey) {
    for (const r of memo.refs) ctx.refs.push(r);
    for (const d of memo.diags) ctx.keep(d);
    internal.layerStmts.push({ layers: memo.layers.slice(), stmt: s, gpus: memo.gpus });
    return;
  }
  const refs0 = ctx.refs.length;
  const diags0 = ctx.diags.length;
  const reported0 = ctx.reported;
  ctx.field('placement.layer', s.keyword.range);
  const ids = readLayerIds(ctx, s, model);
  const ls: LayerStmt = { layers: ids ?? [], stmt: s, gpus: new Map() };
  dispatch(ctx, needBlock(ctx, s, 'layer 0 { gpu 0: 0 1 2 3 }'), 'layer', {
    gpu: (x) => {
      noBlock(ctx, x);
      const a = new Args(ctx, x);
      const g = gpuId(a.take(), a, ids?.[0]);
      if (!a.optPunct(':')) {
        const v = a.peek();
        ctx.report(v ? v.range : a.here(), 'error', 'MP112', 'Write `gpu G: EXPERTS`, with a `:` after the GPU number.', {
          fixes: [{ title: 'Add `:`', edits: [{ range: at(x.args[0]?.range ?? x.keyword.range), newText: ':' }], preferred: true }],
        });
      }
      const line: GpuLine = { gpu: g ?? -1, stmt: x, ids: [], from: a.i };
      readExpertIdsInto(ctx, x.args, a.i, model, ids?.[0], g, line.ids);
      if (!onePerArgument(x.args, a.i, line.ids.length)) {
        // Ranges, commas or rejected values: read again for the nodes, reporting into nothing.
        line.nodes = [];
        readExpertIdsInto(new Ctx(), x.args, a.i, model, ids?.[0], g, [], line.nodes);
      }
      if (g === undefined) return;
      const prev = ls.gpus.get(g);
      if (prev) {
        ctx.report(x.args[0].range, 'error', 'MP409', `GPU ${g} is listed twice in this layer: merge the two lines into one.`, {
          related: [{ message: `first \`gpu ${g}\` here`, range: prev.stmt.range }],
        });
        const stmts = prev.stmts ?? prev.ids.map(() => prev.stmt);
        const nodes = prev.nodes ?? prev.ids.map((_, k) => nodeAt(prev, k));
        for (let k = 0; k < line.ids.length; k++) {
          prev.ids.push(line.ids[k]);
          stmts.push(x);
          nodes.push(nodeAt(line, k));
        }
        prev.stmts = stmts;
        prev.nodes = nodes;
      } else ls.gpus.set(g, line);
    },
  });
  internal.layerStmts.push(ls);
  // Replayed only when every diagnostic of the statement was kept (none past the cap).
  if (ctx.reported - reported0 === ctx.diags.length - diags0) {
    layerMemo.set(s, { key: layerKey, refs: ctx.refs.slice(refs0), diags: ctx.diags.slice(diags0), layers: ls.layers.slice(), gpus: ls.gpus });
  }
}

/** A pin that a forbid rules out can never be satisfied. */
function checkPinsAgainstForbids(ctx: Ctx, spec: PlacementSpec): void {
  for (const p of spec.pins) {
    const f = spec.forbids.find(
      (x) => x.gpu === p.gpu && (x.expert === undefined || x.expert === p.expert) && (x.layer === undefined || p.layer === undefined || x.layer === p.layer),
    );
    if (f && p.range) {
      ctx.report(p.range, 'warning', 'MP410', `Expert ${p.expert} is pinned to GPU ${p.gpu}, which a \`forbid\` rules out: drop one of the two.`, {
        related: f.range ? [{ message: 'forbid here', range: f.range }] : undefined,
      });
    }
  }
}

/** A layer committed by two statements: the first wins. */
function keepFirstCommit(ctx: Ctx, internal: PlacementInternal): void {
  const owner = new Map<number, LayerStmt>();
  for (const ls of internal.layerStmts) {
    const kept: number[] = [];
    for (const l of ls.layers) {
      const o = owner.get(l);
      if (o) {
        ctx.report(
          ls.stmt.args[0]?.range ?? ls.stmt.keyword.range,
          'error',
          'MP408',
          `Layer ${l} is already committed above: each layer has one assignment; remove it from one of the two.`,
          {
            related: [{ message: `layer ${l} first committed here`, range: o.stmt.range }],
          },
        );
      } else {
        owner.set(l, ls);
        kept.push(l);
      }
    }
    ls.layers = kept;
  }
}

const layerName = (ls: LayerStmt) => (ls.layers.length === 1 ? `layer ${ls.layers[0]}` : `layers ${ls.layers[0]}–${ls.layers[ls.layers.length - 1]}`);

/** Whether a `gpu` line is well-formed (`gpu G: …`), so its list can be rewritten by a fix. */
function rewritable(line: GpuLine | Statement): boolean {
  const stmt = 'kind' in line ? line : line.stmt;
  const colon = stmt.args[1];
  return (
    stmt.args[0]?.kind === 'number' &&
    colon?.kind === 'punct' &&
    colon.text === ':' &&
    stmt.args.slice(2).every((v) => v.kind === 'number' || v.kind === 'range' || (v.kind === 'punct' && v.text === ','))
  );
}

/** Replace a `gpu G:` line's expert list. */
function rewriteList(line: GpuLine | Statement, ids: number[]): TextEdit {
  const stmt = 'kind' in line ? line : line.stmt;
  const colon = stmt.args.find((v) => v.kind === 'punct' && v.text === ':');
  const startAfter = colon ?? stmt.args[0] ?? stmt.keyword;
  const last = stmt.args[stmt.args.length - 1] ?? stmt.keyword;
  const list = formatExpertList(ids);
  return {
    range: { start: startAfter.range.end, end: last.range.end },
    newText: (colon ? '' : ':') + (list ? ' ' + list : ''),
  };
}

export function checkCommitted(
  ctx: Ctx,
  internal: PlacementInternal,
  model: ModelSpec,
  hw: HardwareSpec,
  opts: { offload: boolean; slotsStatement?: Statement; gpuStatement: Statement },
) {
  const E = model.experts.value;
  const { spec } = internal;
  let addSlotFix: ((needed: number) => QuickFix) | undefined = (needed) => {
    const s = opts.slotsStatement;
    const num = s?.args.find((v) => v.kind === 'number');
    if (s && num) return { title: `Give each GPU ${needed} slots`, edits: [{ range: num.range, newText: String(needed) }] };
    const g = opts.gpuStatement;
    const end = g.trailingComment?.range.end ?? g.range.end;
    return { title: `Add \`slots ${needed} per gpu\``, edits: [{ range: { start: end, end }, newText: `\nslots ${needed} per gpu` }] };
  };
  if (!Number.isFinite(E)) addSlotFix = undefined;

  // Everything besides a layer's GPU lines and layer numbers that checking it reads.
  const commitKey = [
    E,
    hw.count,
    hw.slotsPerGpu.join(','),
    spec.replicas,
    spec.maxCopies,
    opts.offload,
    spec.pins.map((p) => `${p.expert}/${p.gpu}/${p.layer}`).join(';'),
    spec.forbids.map((f) => `${f.expert}/${f.gpu}/${f.layer}`).join(';'),
  ].join('|');
  const record = (ls: LayerStmt, unique: number[][], gpuRanges: (Range | undefined)[]) => {
    // Layers of one `layer a..b` statement share their (read-only) lists.
    for (const l of ls.layers) {
      const cl: CommittedLayer = { layer: l, gpus: unique, range: ls.stmt.range, gpuRanges };
      spec.committed.set(l, cl);
    }
  };

  for (const ls of internal.layerStmts) {
    if (ls.layers.length === 0) continue;
    const key = commitKey + '|' + ls.layers.join(',');
    const memo = committedMemo.get(ls.gpus);
    if (memo && memo.key === key) {
      record(ls, memo.unique, memo.gpuRanges);
      continue;
    }
    const reported0 = ctx.reported;
    const c: LayerCheck = { ctx, ls, name: layerName(ls), hw, experts: E, ...readGpuLists(ctx, ls, layerName(ls), hw.count, E) };
    checkSlots(c, addSlotFix, opts.slotsStatement);
    checkUnplaced(c, addSlotFix, opts.offload);
    checkConstraints(c, spec);
    checkCopyLimit(c, spec);
    const { unique } = c;
    const gpuRanges = new Array<Range | undefined>(hw.count);
    for (let g = 0; g < hw.count; g++) gpuRanges[g] = ls.gpus.get(g)?.stmt.range;
    record(ls, unique, gpuRanges);
    if (ctx.reported === reported0) committedMemo.set(ls.gpus, { key, unique, gpuRanges });
  }
}

/** One committed layer statement being checked: each GPU's list without duplicates, its count, the copies per expert. */
interface LayerCheck {
  ctx: Ctx;
  ls: LayerStmt;
  /** "layer 3", "layers 0..7": how messages name the statement. */
  name: string;
  hw: HardwareSpec;
  experts: number;
  unique: number[][];
  counts: number[];
  copies: Int32Array;
}

/** Each GPU's list with a second copy of an expert on the same GPU reported (MP405) and left out. */
function readGpuLists(ctx: Ctx, ls: LayerStmt, name: string, gpus: number, E: number): { unique: number[][]; counts: number[]; copies: Int32Array } {
  const counts = new Array<number>(gpus).fill(0);
  // Each GPU's list: its line's (below), or empty.
  const unique = new Array<number[]>(gpus);
  const copies = new Int32Array(E);
  // first[e] = index + 1 of expert e's first entry on the current GPU line; stamp[e] says which line.
  const stamp = new Int32Array(E);
  const first = new Int32Array(E);
  let lineNo = 0;
  for (const line of ls.gpus.values()) {
    lineNo++;
    // The GPU's list is the line's own ids unless a duplicate shows up; then a copy without them.
    let list: number[] | undefined;
    for (let k = 0; k < line.ids.length; k++) {
      const id = line.ids[k];
      if (stamp[id] === lineNo) {
        const node = nodeAt(line, k);
        list ??= line.ids.slice(0, k);
        const stmt = stmtOf(line, k);
        const firstNode = nodeAt(line, first[id]);
        // Remove this copy from the line it is written on.
        const ids = line.ids.filter((_, j) => stmtOf(line, j) === stmt);
        ids.splice(ids.lastIndexOf(id), 1);
        ctx.report(
          node.range,
          'error',
          'MP405',
          `Expert ${id} is twice on GPU ${line.gpu} in ${name}: a second copy on the same GPU serves nothing. Remove one (put extra copies on other GPUs).`,
          {
            related: firstNode !== node ? [{ message: 'first copy here', range: firstNode.range }] : undefined,
            fixes: rewritable(stmt) ? [{ title: `Remove the duplicate expert ${id}`, edits: [rewriteList(stmt, ids)], preferred: true }] : undefined,
          },
        );
        continue;
      }
      stamp[id] = lineNo;
      first[id] = k;
      list?.push(id);
      copies[id]++;
    }
    unique[line.gpu] = list ?? line.ids;
    counts[line.gpu] = unique[line.gpu].length;
  }
  for (let g = 0; g < gpus; g++) unique[g] ??= [];
  return { unique, counts, copies };
}

/** More experts on a GPU than it has slots (MP406), with a fix that gives every GPU enough. */
function checkSlots(c: LayerCheck, addSlotFix: ((needed: number) => QuickFix) | undefined, slotsStatement: Statement | undefined): void {
  const { ctx, ls, name, hw, counts } = c;
  let maxOver = 0;
  for (const line of ls.gpus.values()) {
    const slots = hw.slotsPerGpu[line.gpu] ?? 0;
    if (counts[line.gpu] > slots) {
      maxOver = Math.max(maxOver, counts[line.gpu]);
    }
  }
  for (const line of ls.gpus.values()) {
    const slots = hw.slotsPerGpu[line.gpu] ?? 0;
    if (counts[line.gpu] > slots) {
      const fixes: QuickFix[] = [];
      if (addSlotFix) fixes.push(addSlotFix(maxOver));
      ctx.report(
        line.stmt.range,
        'error',
        'MP406',
        `GPU ${line.gpu} holds ${counts[line.gpu]} experts in ${name} but has ${slots} slot${slots === 1 ? '' : 's'} (${hw.slotsSource}): move ${counts[line.gpu] - slots} expert${counts[line.gpu] - slots > 1 ? 's' : ''} to another GPU, or give GPUs more slots.`,
        {
          fixes,
          related: slotsStatement ? [{ message: 'slots set here', range: slotsStatement.range }] : undefined,
        },
      );
    }
  }
}

/** Experts on no GPU (MP407): an error, or information when they are paged from host memory; the fix places them. */
function checkUnplaced(c: LayerCheck, addSlotFix: ((needed: number) => QuickFix) | undefined, offload: boolean): void {
  const { ctx, ls, name, hw, experts: E, unique, counts, copies } = c;
  const missing: number[] = [];
  for (let e = 0; e < E; e++) if (copies[e] === 0) missing.push(e);
  if (missing.length > 0) {
    const shown = missing.length > 12 ? formatExpertList(missing.slice(0, 12)) + ' …' : formatExpertList(missing);
    const fixes: QuickFix[] = [];
    // Place the missing experts on the GPUs with the most free slots; when there are
    // not enough, the same fix first raises the slots per GPU.
    let slotsNow = hw.slotsPerGpu.map((x) => x ?? 0);
    let slotEdit: QuickFix | undefined;
    const freeTotal = counts.reduce((t, c, g) => t + Math.max(0, slotsNow[g] - c), 0);
    if (freeTotal < missing.length && addSlotFix) {
      const needed = Math.min(
        E,
        Math.max(Math.max(...slotsNow), Math.ceil((counts.reduce((t, c) => t + c, 0) + missing.length) / hw.count), Math.max(...counts)),
      );
      slotEdit = addSlotFix(needed);
      slotsNow = slotsNow.map(() => needed);
    }
    const free = counts.map((c, g) => slotsNow[g] - c);
    const linesOk = [...ls.gpus.values()].every((l) => rewritable(l) && oneLine(l));
    if (linesOk && free.reduce((t, f) => t + Math.max(0, f), 0) >= missing.length) {
      const adds: number[][] = Array.from({ length: hw.count }, () => []);
      for (const e of missing) {
        let best = -1;
        for (let g = 0; g < hw.count; g++) if (free[g] > 0 && (best < 0 || free[g] > free[best])) best = g;
        adds[best].push(e);
        free[best]--;
      }
      const edits: TextEdit[] = slotEdit ? [...slotEdit.edits] : [];
      const newLines: string[] = [];
      for (let g = 0; g < hw.count; g++) {
        if (adds[g].length === 0) continue;
        const line = ls.gpus.get(g);
        if (line) edits.push(rewriteList(line, [...unique[g], ...adds[g]]));
        else newLines.push(`gpu ${g}: ${formatExpertList(adds[g])}`);
      }
      const close = ls.stmt.block?.close;
      if (newLines.length > 0 && close) {
        // New lines go just before `}`, indented one level deeper than `layer`.
        const pad = ' '.repeat(close.start.character);
        const deeper = ' '.repeat(Math.max(0, ls.stmt.keyword.range.start.character + 2 - close.start.character));
        edits.push({ range: { start: close.start, end: close.start }, newText: newLines.map((l) => deeper + l + '\n' + pad).join('') });
      }
      if (newLines.length === 0 || close) {
        const where = adds
          .map((a, g) => (a.length ? `${formatExpertList(a)} on GPU ${g}` : ''))
          .filter(Boolean)
          .join(', ');
        const title = `${slotEdit ? `${slotEdit.title}, and place` : 'Place'} expert${missing.length > 1 ? 's' : ''} ${where}`;
        fixes.push({ title, edits, preferred: !slotEdit });
      }
    }
    const sev = offload ? 'information' : 'error';
    ctx.report(
      ls.stmt.args[0] ? { start: ls.stmt.keyword.range.start, end: ls.stmt.args[ls.stmt.args.length - 1].range.end } : ls.stmt.keyword.range,
      sev,
      'MP407',
      `${missing.length === 1 ? 'Expert' : `${missing.length} experts:`} ${shown} ${missing.length === 1 ? 'is' : 'are'} on no GPU in ${name}${offload ? ': they are paged from host memory (offload).' : `: every expert needs at least one copy. Add ${missing.length === 1 ? 'it' : 'them'} to a GPU with a free slot.`}`,
      { fixes },
    );
  }
}

/** Pins the layer does not honour and forbids it breaks (MP410). */
function checkConstraints(c: LayerCheck, spec: PlacementSpec): void {
  const { ctx, ls, name, hw, unique, counts } = c;
  for (const p of spec.pins) {
    if (p.layer !== undefined && !ls.layers.includes(p.layer)) continue;
    if (!unique[p.gpu]?.includes(p.expert)) {
      const line = ls.gpus.get(p.gpu);
      ctx.report(
        line?.stmt.range ?? ls.stmt.keyword.range,
        'warning',
        'MP410',
        `Expert ${p.expert} is pinned to GPU ${p.gpu} but ${name} does not put it there: add it to \`gpu ${p.gpu}\` or drop the pin.`,
        {
          related: p.range ? [{ message: 'pin here', range: p.range }] : undefined,
          fixes:
            line && rewritable(line) && oneLine(line) && (hw.slotsPerGpu[p.gpu] ?? 0) > counts[p.gpu]
              ? [{ title: `Add expert ${p.expert} to GPU ${p.gpu}`, edits: [rewriteList(line, [...unique[p.gpu], p.expert])] }]
              : undefined,
        },
      );
    }
  }
  for (const f of spec.forbids) {
    if (f.layer !== undefined && !ls.layers.includes(f.layer)) continue;
    const held = unique[f.gpu] ?? [];
    const bad = f.expert === undefined ? held : held.filter((e) => e === f.expert);
    if (bad.length > 0) {
      const line = ls.gpus.get(f.gpu);
      ctx.report(
        line?.stmt.range ?? ls.stmt.keyword.range,
        'warning',
        'MP410',
        f.expert === undefined
          ? `GPU ${f.gpu} is forbidden but holds experts in ${name}: move them elsewhere or drop the \`forbid\`.`
          : `Expert ${f.expert} is forbidden on GPU ${f.gpu} but ${name} puts it there: move it or drop the \`forbid\`.`,
        {
          related: f.range ? [{ message: 'forbid here', range: f.range }] : undefined,
        },
      );
    }
  }
}

/** More copies of an expert than `max-copies` (MP410) or `replicas off` (MP411) allow. */
function checkCopyLimit(c: LayerCheck, spec: PlacementSpec): void {
  const { ctx, ls, name, experts: E, copies } = c;
  if (!spec.replicas || spec.maxCopies !== undefined) {
    const limit = spec.replicas ? spec.maxCopies! : 1;
    for (let e = 0; e < E; e++) {
      if (copies[e] > limit) {
        ctx.report(
          ls.stmt.keyword.range,
          'warning',
          spec.replicas ? 'MP410' : 'MP411',
          spec.replicas
            ? `Expert ${e} has ${copies[e]} copies in ${name}, more than \`max-copies ${limit}\`: remove ${copies[e] - limit}.`
            : `Expert ${e} has ${copies[e]} copies in ${name} but \`replicas off\` allows one: remove the extra copies or set \`replicas on\`.`,
        );
      }
    }
  }
}
