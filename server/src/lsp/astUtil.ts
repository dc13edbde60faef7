// Small helpers over the syntax tree used by several features.
import type { Block, Document, Position, Range, Statement, Value } from '../language/ast';

function valueText(v: Value): string {
  switch (v.kind) {
    case 'number':
      return v.unit ? `${v.raw} ${v.unit.text}` : v.raw;
    case 'word':
      return v.text;
    case 'string':
      return v.raw;
    case 'range':
      return `${v.from.raw}..${v.to.raw}`;
    case 'punct':
      return v.text;
  }
}

/** `keyword arg arg` as written (normalised spaces), for outline names. */
export function statementHeader(s: Statement): string {
  let out = s.keyword.text;
  for (const a of s.args) out += a.kind === 'punct' && a.text !== '=' ? a.text : ` ${valueText(a)}`;
  return out;
}

export function contains(r: Range, p: Position): boolean {
  if (p.line < r.start.line || p.line > r.end.line) return false;
  if (p.line === r.start.line && p.character < r.start.character) return false;
  if (p.line === r.end.line && p.character > r.end.character) return false;
  return true;
}

/** Statements enclosing `p`, outermost first. */
export function enclosingStatements(doc: Document, p: Position): Statement[] {
  const chain: Statement[] = [];
  let list: Statement[] = doc.statements;
  for (;;) {
    const s = list.find((st) => contains(st.range, p) || (st.block && insideBlock(st.block, p)));
    if (!s) return chain;
    chain.push(s);
    if (!s.block || !insideBlock(s.block, p)) return chain;
    list = s.block.statements;
  }
}

/** Whether `p` is after the block's `{` and before its `}` (or the block is unclosed). */
export function insideBlock(b: Block, p: Position): boolean {
  const afterOpen = p.line > b.open.end.line || (p.line === b.open.end.line && p.character >= b.open.end.character);
  if (!afterOpen) return false;
  if (!b.close) return true;
  return p.line < b.close.start.line || (p.line === b.close.start.line && p.character <= b.close.start.character);
}
