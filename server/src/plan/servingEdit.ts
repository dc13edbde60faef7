// Writing a capacity point (slots per GPU and batch) into plan text: the
// editor's "use the recommended slots and batch" action. Only the numbers
// change, in place, so comments and layout stay as written:
//
// - slots: the `slots N per gpu` number; else the `reserve` value, set to the
//   whole GiB (or MiB) that leaves exactly N slots from memory (the user's
//   way of sizing is kept); else a `slots N per gpu` line after `gpu`;
// - batch: the `batch` number in `workload`; else a `batch B tokens` line at
//   the end of the block; else a new `workload { batch B tokens }` block.
//
// Committed `layer` blocks written for other slot counts are left alone: the
// checker then says which ones no longer fit (MP406), and a solve rewrites
// them.
import type { Document, NumberValue, Position, Statement } from '../language/ast';
import { parse } from '../language/parser';
import type { Plan } from './types';
import { slotBytesOf } from './memory';

interface TextEdit {
  range: { start: Position; end: Position };
  newText: string;
}

const GIB = 2 ** 30;
const MIB = 2 ** 20;

/** The edits that make the plan run `slots` slots per GPU at `batch` tokens per step. */
export function servingPointEdits(text: string, plan: Plan, point: { slotsPerGpu: number; batch: number }): TextEdit[] | { error: string } {
  const parsed = parse(text);
  const syntax = parsed.diagnostics.find((d) => d.severity === 'error');
  if (syntax) return { error: `the plan has syntax errors (line ${syntax.range.start.line + 1}: ${syntax.message}); fix them first` };
  const doc = parsed.document;
  const edits: TextEdit[] = [];
  const slots = slotsEdit(doc, plan, point.slotsPerGpu);
  if ('error' in slots) return slots;
  edits.push(...slots);
  edits.push(...batchEdit(doc, text, point.batch));
  return edits;
}

function top(doc: Document, keyword: string): Statement | undefined {
  return doc.statements.find((s) => s.keyword.text.toLowerCase() === keyword);
}

function firstNumber(s: Statement): NumberValue | undefined {
  const v = s.args[0];
  return v?.kind === 'number' ? v : undefined;
}

function slotsEdit(doc: Document, plan: Plan, slots: number): TextEdit[] | { error: string } {
  const given = top(doc, 'slots');
  if (given) {
    const n = firstNumber(given);
    if (!n) return { error: '`slots` has no number to change' };
    return [{ range: digits(n), newText: String(slots) }];
  }
  const reserve = top(doc, 'reserve');
  if (reserve) {
    const n = firstNumber(reserve);
    if (!n) return { error: '`reserve` has no value to change' };
    return [{ range: n.range, newText: reserveFor(plan, slots) }];
  }
  const gpu = top(doc, 'gpu');
  if (!gpu) return { error: 'the plan names no GPUs' };
  const end = gpu.block?.range.end ?? gpu.range.end;
  return [{ range: { start: end, end }, newText: `\nslots ${slots} per gpu` }];
}

/**
 * A reserve, in whole GiB when one fits (else whole MiB), whose memory left
 * holds exactly `slots` slots: floor((memory − reserve) / slot) = slots.
 */
export function reserveFor(plan: Plan, slots: number): string {
  const mem = plan.hardware.gpu.memoryBytes.value;
  const slot = slotBytesOf(plan);
  const most = mem - slots * slot; // the largest reserve that still leaves `slots`
  const least = mem - (slots + 1) * slot; // any reserve above this leaves fewer than slots + 1
  const gib = Math.floor(most / GIB);
  if (gib * GIB > least && gib >= 0) return `${gib} GiB`;
  const mib = Math.floor(most / MIB);
  return `${Math.max(0, mib)} MiB`;
}

function batchEdit(doc: Document, text: string, batch: number): TextEdit[] {
  const workload = top(doc, 'workload');
  const stmt = workload?.block?.statements.find((s) => s.keyword.text.toLowerCase() === 'batch');
  const n = stmt && firstNumber(stmt);
  if (n) return [{ range: digits(n), newText: String(batch) }];
  const close = workload?.block?.close;
  if (workload && close) {
    const indent = indentOf(text, workload.block!.statements[0]?.range.start) ?? '  ';
    const lineStart: Position = { line: close.start.line, character: 0 };
    // The `}` alone on its line: insert a line above it; else before the `}`.
    const before = lineText(text, close.start.line).slice(0, close.start.character);
    if (before.trim() === '') return [{ range: { start: lineStart, end: lineStart }, newText: `${indent}batch ${batch} tokens\n` }];
    const last = workload.block!.statements.at(-1);
    const from = last && last.range.end.line === close.start.line ? last.range.end : close.start;
    return [{ range: { start: from, end: close.start }, newText: `\n${indent}batch ${batch} tokens\n` }];
  }
  const end = doc.range.end;
  const sep = end.character > 0 ? '\n\n' : '\n';
  return [{ range: { start: end, end }, newText: `${sep}workload {\n  batch ${batch} tokens\n}\n` }];
}

/** The number's own characters, without its unit (`32` of `32 tokens`). */
function digits(n: NumberValue): TextEdit['range'] {
  return { start: n.range.start, end: { line: n.range.start.line, character: n.range.start.character + n.raw.length } };
}

function lineText(text: string, line: number): string {
  return text.split(/\r\n|\r|\n/)[line] ?? '';
}

/** The indentation of a statement that starts its line; undefined when it shares the line with what precedes it. */
function indentOf(text: string, at: Position | undefined): string | undefined {
  if (!at) return undefined;
  const before = lineText(text, at.line).slice(0, at.character);
  return before.trim() === '' ? before : undefined;
}
