// Reveal: which text the editor selects when the view asks for an expert or a GPU.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findRevealRange } from '../../server/src/feedback/reveal';
import type { Range } from '../../server/src/language/ast';
import { checkText } from '../../server/src/plan/check';
import { EXAMPLE_PLAN, examplePlanText } from '../webview/realResults';

const text = examplePlanText();
const lines = text.split('\n');
const plan = checkText(text, EXAMPLE_PLAN).plan!;

function slice(r: Range): string {
  if (r.start.line === r.end.line) return lines[r.start.line].slice(r.start.character, r.end.character);
  return [lines[r.start.line].slice(r.start.character), ...lines.slice(r.start.line + 1, r.end.line), lines[r.end.line].slice(0, r.end.character)].join('\n');
}

/** The line of the committed block for `layer` that starts with `gpu N:`. */
function gpuLineIndex(layerHeader: RegExp, gpu: number): number {
  const start = lines.findIndex((l) => layerHeader.test(l));
  assert.ok(start >= 0, `the example has ${layerHeader}`);
  const i = lines.findIndex((l, k) => k > start && new RegExp(`^\\s*gpu ${gpu}:`).test(l));
  assert.ok(i > start);
  return i;
}

test('an expert written on the GPU line is selected exactly', () => {
  const line = gpuLineIndex(/^\s*layer 0\.\.1\b/, 0);
  const holds = plan.placement.committed.get(0)!.gpus[0];
  // An id that appears as its own number on the line (not inside a range).
  const written = holds.find((e) => new RegExp(`(^|[\\s:])${e}(\\s|$)`).test(lines[line].split('#')[0].replace(/\d+\.\.\d+/g, '')));
  assert.ok(written !== undefined, 'the example writes a lone expert id on gpu 0 of layer 0');
  const a = findRevealRange(plan, { kind: 'expert', expert: written, gpu: 0, layer: 0 });
  assert.ok(a);
  assert.equal(a.range.start.line, line);
  assert.equal(slice(a.range), String(written));
  assert.equal(a.note, undefined);
});

test('an expert inside a range such as 0..3 selects its GPU line', () => {
  const line = gpuLineIndex(/^\s*layer 0\.\.1\b/, 0);
  const m = /(\d+)\.\.(\d+)/.exec(lines[line]);
  assert.ok(m, 'the line has a range');
  const inner = Number(m[1]) + 1;
  assert.ok(inner < Number(m[2]));
  const a = findRevealRange(plan, { kind: 'expert', expert: inner, gpu: 0, layer: 1 });
  assert.ok(a);
  assert.equal(a.range.start.line, line);
  assert.match(slice(a.range), /^gpu 0:/);
});

test('a GPU selects its line in the layer', () => {
  const line = gpuLineIndex(/^\s*layer 2\b/, 1);
  const a = findRevealRange(plan, { kind: 'gpu', gpu: 1, layer: 2 });
  assert.ok(a);
  assert.equal(a.range.start.line, line);
  assert.match(slice(a.range), /^gpu 1:/);
});

test('a layer without a committed placement falls back with a note', () => {
  const layer = plan.model.layers.value - 1;
  assert.equal(plan.placement.committed.has(layer), false);
  const a = findRevealRange(plan, { kind: 'expert', expert: 3, gpu: 0, layer });
  assert.ok(a, 'some place is still shown');
  assert.match(a.note ?? '', /no committed placement/);
  const g = findRevealRange(plan, { kind: 'gpu', gpu: 1, layer });
  assert.ok(g);
});
