// Writing committed placements into plan text (for `moeplan solve --write`
// and the editor's "apply placement"): `layer N { gpu G: … }` statements
// are replaced or inserted inside `placement { … }` (created when missing),
// consecutive layers with the same assignment are merged as `layer a..b`,
// layers of an existing `layer a..b` that are not rewritten keep their old
// block (comments included), and the result is formatted. Comments inside a
// replaced `layer` block move with what they sit on: the comment after `{`
// stays after the new `{`, a `gpu G` line's comments go to the new `gpu G`
// line, the others before the new `}`; a statement that disappears leaves
// its comments where it was.
import type { Comment, Document, Position, Statement } from '../language/ast';
import { parse } from '../language/parser';
import { formatText } from '../language/formatter';
import { formatExpertList } from './expertList';

interface LayerAssignment {
  layer: number;
  /** GPU index → expert ids. */
  gpus: number[][];
}

export function writeCommittedPlacement(text: string, layers: LayerAssignment[]): { text: string } | { error: string } {
  for (const l of layers) {
    if (!Number.isInteger(l.layer) || l.layer < 0) return { error: `invalid layer number ${l.layer}` };
    if (!Array.isArray(l.gpus)) return { error: `layer ${l.layer}: gpus must be an array of expert lists` };
    for (const g of l.gpus) {
      if (!Array.isArray(g) || g.some((e) => !Number.isInteger(e) || e < 0)) return { error: `layer ${l.layer}: expert ids must be whole numbers from 0` };
    }
  }
  const parsed = parse(text);
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    const e = errors[0];
    return { error: `the plan has syntax errors (line ${e.range.start.line + 1}: ${e.message}); fix them before writing a placement` };
  }
  if (layers.length === 0) return formatText(text);
  const fresh = new Map<number, number[][]>();
  for (const l of layers)
    fresh.set(
      l.layer,
      l.gpus.map((g) => [...g].sort((a, b) => a - b)),
    );

  const offsets = lineOffsets(text);
  const off = (p: Position) => offsets[p.line] + p.character;
  const placement = findPlacement(parsed.document);
  let out: string;
  if (!placement || !placement.block?.close) {
    const body = 'placement {\n' + indent(generate(groupLayers(fresh)).join('\n')) + '\n}';
    if (placement) {
      // `placement` without a block: give it one.
      out = text.slice(0, off(placement.range.start)) + body + text.slice(off(placement.range.end));
    } else {
      const sep = text.length === 0 ? '' : text.endsWith('\n') ? '\n' : '\n\n';
      out = text + sep + body + '\n';
    }
  } else {
    const block = placement.block;
    const touched: { stmt: Statement; ids: number[]; keep: { from: number; to: number }[]; pieces: Piece[] }[] = [];
    for (const s of block.statements) {
      if (s.keyword.text.toLowerCase() !== 'layer') continue;
      const ids = layerIds(s);
      if (!ids || !ids.some((l) => fresh.has(l))) continue;
      touched.push({ stmt: s, ids, keep: runs(ids.filter((l) => !fresh.has(l))), pieces: [] });
    }
    const edits: { start: number; end: number; text: string }[] = [];
    const loose: Piece[] = [];
    // Each written group goes where its first layer was committed before, so the order of layers is kept.
    const groups = groupLayers(fresh);
    const homes = new Map<Group, (typeof touched)[number]>();
    for (const g of groups) {
      const home = touched.find((t) => t.ids.includes(g.from)) ?? [...touched].reverse().find((t) => Math.min(...t.ids) <= g.from) ?? touched[0];
      if (home) homes.set(g, home);
    }
    for (const t of touched) {
      const b = t.stmt.block;
      const mine = [...homes].filter(([, h]) => h === t).map(([g]) => g);
      // The comments of a replaced block go to the written group that holds its first layer
      // (or its first group); a block partly kept is copied whole, comments included.
      const heir = t.keep.length === 0 ? (mine.find((g) => g.from <= t.ids[0] && t.ids[0] <= g.to) ?? mine[0]) : undefined;
      for (const g of mine) t.pieces.push({ first: g.from, text: generate([g], g === heir ? blockComments(t.stmt) : undefined)[0] });
      if (!b || !b.close) continue;
      const blockText = text.slice(off(b.open.start), off(b.close.end));
      for (const k of t.keep) t.pieces.push({ first: k.from, text: `layer ${k.from === k.to ? k.from : `${k.from}..${k.to}`} ${blockText}` });
    }
    for (const g of groups) if (!homes.has(g)) loose.push({ first: g.from, text: generate([g])[0] });
    const join = (ps: Piece[]) =>
      [...ps]
        .sort((a, b) => a.first - b.first)
        .map((p) => p.text)
        .join('\n');
    for (const t of touched) {
      const r = t.stmt.range;
      let start = off(r.start);
      let end = off(r.end);
      let replacement = join(t.pieces);
      if (t.pieces.length === 0) {
        // The statement goes; its comments stay where it was, each on a line of its own.
        const kept = commentLines(blockComments(t.stmt));
        // Remove the whole line when the statement is alone on it, so no blank line is left.
        const lineStart = offsets[r.start.line];
        const lineEnd = r.end.line + 1 < offsets.length ? offsets[r.end.line + 1] : text.length;
        if (text.slice(lineStart, start).trim() === '' && text.slice(end, lineEnd).trim() === '') {
          start = lineStart;
          end = lineEnd;
          replacement = kept.map((c) => c + '\n').join('');
        } else if (kept.length > 0) {
          replacement = '\n' + kept.join('\n') + '\n';
        }
      }
      edits.push({ start, end, text: replacement });
    }
    if (loose.length > 0) {
      const close = block.close!; // checked above: the placement block is closed
      const closeLineStart = offsets[close.start.line];
      const onOwnLine = text.slice(closeLineStart, off(close.start)).trim() === '';
      const at = onOwnLine ? closeLineStart : off(close.start);
      edits.push({ start: at, end: at, text: (onOwnLine ? '' : '\n') + join(loose) + '\n' });
    }
    edits.sort((a, b) => b.start - a.start);
    out = text;
    for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  }
  const formatted = formatText(out);
  if ('error' in formatted) return { error: `internal error writing the placement: ${formatted.error}` };
  return formatted;
}

function findPlacement(doc: Document): Statement | undefined {
  return doc.statements.find((s) => s.keyword.text.toLowerCase() === 'placement');
}

function lineOffsets(text: string): number[] {
  const out = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') out.push(i + 1);
    else if (c === '\r') {
      if (text[i + 1] === '\n') i++;
      out.push(i + 1);
    }
  }
  return out;
}

/** Layer ids of `layer N` / `layer a..b`, or undefined when unreadable. */
function layerIds(s: Statement): number[] | undefined {
  const v = s.args[0];
  if (s.args.length !== 1 || !v) return undefined;
  if (v.kind === 'number' && Number.isInteger(v.value) && v.value >= 0) return [v.value];
  if (
    v.kind === 'range' &&
    Number.isInteger(v.from.value) &&
    Number.isInteger(v.to.value) &&
    v.from.value >= 0 &&
    v.to.value >= v.from.value &&
    v.to.value - v.from.value < 1e6
  ) {
    return Array.from({ length: v.to.value - v.from.value + 1 }, (_, k) => v.from.value + k);
  }
  return undefined;
}

function runs(ids: number[]): { from: number; to: number }[] {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const out: { from: number; to: number }[] = [];
  for (const id of sorted) {
    const last = out[out.length - 1];
    if (last && last.to === id - 1) last.to = id;
    else out.push({ from: id, to: id });
  }
  return out;
}

interface Group {
  from: number;
  to: number;
  gpus: number[][];
}

/** Consecutive layers with identical assignments become one group. */
function groupLayers(fresh: Map<number, number[][]>): Group[] {
  const ids = [...fresh.keys()].sort((a, b) => a - b);
  const out: Group[] = [];
  for (const id of ids) {
    const gpus = fresh.get(id)!;
    const last = out[out.length - 1];
    if (last && last.to === id - 1 && JSON.stringify(last.gpus) === JSON.stringify(gpus)) last.to = id;
    else out.push({ from: id, to: id, gpus });
  }
  return out;
}

interface Piece {
  first: number;
  text: string;
}

/** Comments of a replaced `layer` block, by what they sit on. */
interface BlockComments {
  /** After `{`. */
  open: string[];
  /** On and above each `gpu G` line. */
  gpus: Map<number, { leading: string[]; trailing: string[] }>;
  /** Everything else, before `}`. */
  rest: string[];
}

/** Every comment of a statement and what it contains, in text order. */
function statementComments(s: Statement, out: Comment[] = []): Comment[] {
  out.push(...s.leadingComments);
  if (s.block) {
    if (s.block.openComment) out.push(s.block.openComment);
    for (const inner of s.block.statements) statementComments(inner, out);
    out.push(...s.block.trailingComments);
  }
  if (s.trailingComment) out.push(s.trailingComment);
  return out;
}

/** The comments inside a statement's block (its own leading and trailing comments stay outside the edit). */
function blockComments(s: Statement): BlockComments {
  const out: BlockComments = { open: [], gpus: new Map(), rest: [] };
  const b = s.block;
  if (!b) return out;
  if (b.openComment) out.open.push(b.openComment.text);
  for (const st of b.statements) {
    const id = st.args[0];
    const gpu = st.keyword.text.toLowerCase() === 'gpu' && id?.kind === 'number' && Number.isInteger(id.value) && id.value >= 0 ? id.value : undefined;
    if (gpu === undefined) {
      out.rest.push(...statementComments(st).map((c) => c.text));
      continue;
    }
    let slot = out.gpus.get(gpu);
    if (!slot) out.gpus.set(gpu, (slot = { leading: [], trailing: [] }));
    slot.leading.push(...statementComments({ ...st, trailingComment: undefined }).map((c) => c.text));
    if (st.trailingComment) slot.trailing.push(st.trailingComment.text);
  }
  out.rest.push(...b.trailingComments.map((c) => c.text));
  return out;
}

/** All of them, one per line, in the order they were written (roughly). */
function commentLines(c: BlockComments): string[] {
  const out = [...c.open];
  for (const [, g] of [...c.gpus].sort((a, b) => a[0] - b[0])) out.push(...g.leading, ...g.trailing);
  out.push(...c.rest);
  return out;
}

function generate(groups: Group[], comments?: BlockComments): string[] {
  return groups.map((g) => {
    const [open, ...moreOpen] = comments?.open ?? [];
    const head = `layer ${g.from === g.to ? g.from : `${g.from}..${g.to}`} {` + (open ? '  ' + open : '');
    const lines: string[] = moreOpen.map((c) => '  ' + c);
    g.gpus.forEach((experts, gpu) => {
      const list = formatExpertList(experts);
      const own = comments?.gpus.get(gpu);
      const [trailing, ...moreTrailing] = own?.trailing ?? [];
      for (const c of own?.leading ?? []) lines.push('  ' + c);
      lines.push(`  gpu ${gpu}:${list ? ' ' + list : ''}` + (trailing ? '  ' + trailing : ''));
      for (const c of moreTrailing) lines.push('  ' + c);
    });
    // Comments of GPUs the new placement does not have, and the block's last ones, before `}`.
    for (const [gpu, own] of [...(comments?.gpus ?? [])].sort((a, b) => a[0] - b[0])) {
      if (gpu >= g.gpus.length) for (const c of [...own.leading, ...own.trailing]) lines.push('  ' + c);
    }
    for (const c of comments?.rest ?? []) lines.push('  ' + c);
    return [head, ...lines, '}'].join('\n');
  });
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => (l ? '  ' + l : l))
    .join('\n');
}
