// Minimal line edits turning one text into another: common prefix and suffix
// lines are kept, the middle is diffed line by line (LCS) when small enough,
// replaced as one block otherwise. Used by formatting and by code actions
// that rewrite the plan, so the editor keeps cursors, folds and undo steps.
import type { TextEdit } from 'vscode-languageserver';

const MAX_LCS_CELLS = 4_000_000;

function splitLines(text: string): string[] {
  return text.split(/\r?\n/);
}

/** Lines with their terminators: joining them gives the text back. */
function chunks(text: string): string[] {
  return text === '' ? [] : text.split(/(?<=\n)/);
}

export function lineEdits(oldText: string, newText: string): TextEdit[] {
  if (oldText === newText) return [];
  const a = chunks(oldText);
  const b = chunks(newText);
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const aMid = a.slice(pre, a.length - suf);
  const bMid = b.slice(pre, b.length - suf);
  const hunks = (aMid.length + 1) * (bMid.length + 1) <= MAX_LCS_CELLS ? diffHunks(aMid, bMid) : [{ a0: 0, a1: aMid.length, b0: 0, b1: bMid.length }];
  // Position of the start of chunk k (k = a.length: the end of the text).
  const pos = (k: number) => {
    if (k < a.length) return { line: k, character: 0 };
    const last = a[a.length - 1];
    if (last === undefined) return { line: 0, character: 0 };
    return last.endsWith('\n') ? { line: a.length, character: 0 } : { line: a.length - 1, character: last.length };
  };
  // Hunks are separated by at least one unchanged line, so edits never touch.
  return hunks.map((h) => ({
    range: { start: pos(pre + h.a0), end: pos(pre + h.a1) },
    newText: bMid.slice(h.b0, h.b1).join(''),
  }));
}

interface Hunk {
  a0: number;
  a1: number;
  b0: number;
  b1: number;
}

function diffHunks(a: string[], b: string[]): Hunk[] {
  const n = a.length;
  const m = b.length;
  // lcs[i][j] = LCS length of a[i..], b[j..]
  const w = m + 1;
  const lcs = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * w + j] = a[i] === b[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
    }
  }
  const hunks: Hunk[] = [];
  let i = 0;
  let j = 0;
  let open: Hunk | undefined;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      if (open) {
        hunks.push(open);
        open = undefined;
      }
      i++;
      j++;
    } else if (j < m && (i >= n || lcs[i * w + j + 1]! >= lcs[(i + 1) * w + j]!)) {
      open ??= { a0: i, a1: i, b0: j, b1: j };
      j++;
      open.b1 = j;
      open.a1 = i;
    } else {
      open ??= { a0: i, a1: i, b0: j, b1: j };
      i++;
      open.a1 = i;
      open.b1 = j;
    }
  }
  if (open) hunks.push(open);
  return hunks;
}

/** Applies LSP edits to a text (non-overlapping edits, any order). Tests use it too. */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const lines = splitLines(text);
  const offsets: number[] = [];
  let o = 0;
  const nl = text.includes('\r\n') ? 2 : 1;
  for (const l of lines) {
    offsets.push(o);
    o += l.length + nl;
  }
  const at = (p: { line: number; character: number }): number => (p.line >= lines.length ? text.length : Math.min(offsets[p.line]! + p.character, text.length));
  const sorted = [...edits].sort((x, y) => at(y.range.start) - at(x.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, at(e.range.start)) + e.newText + out.slice(at(e.range.end));
  return out;
}
