import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse } from '../../server/src/language/parser';
import type { Statement, Value } from '../../server/src/language/ast';
import { EXAMPLES, diagnosticProblems, lineLengths, mutate, mutation, planText, rangeProblem } from './plan-arbitraries';

const codes = (text: string) => parse(text).diagnostics.map((d) => `${d.range.start.line + 1}:${d.code}`);

function sliceRange(text: string, r: { start: { line: number; character: number }; end: { line: number; character: number } }): string {
  const lines = text.split(/\r\n|\r|\n/);
  if (r.start.line === r.end.line) return lines[r.start.line].slice(r.start.character, r.end.character);
  return lines[r.start.line].slice(r.start.character);
}

test('every example parses without diagnostics', () => {
  for (const e of EXAMPLES) {
    const r = parse(e.text);
    assert.deepEqual(r.diagnostics, [], e.name);
    assert.ok(r.document.statements.length >= 5, e.name);
  }
});

test('token ranges cover exactly the token text', () => {
  for (const e of EXAMPLES) {
    for (const t of parse(e.text).tokens) {
      if (t.kind === 'newline') continue;
      assert.equal(sliceRange(e.text, t.range), t.text, `${e.name}: ${t.kind} ${t.text}`);
    }
  }
});

test('statement shape: keyword, values, units, ranges, strings, punctuation, blocks', () => {
  const r = parse(
    'gpu h100 x 32 in 4 nodes  # tail\nplacement {\n  layer 0..3 { gpu 1: 4..7, 9 }\n}\nworkload { trace "a \\"b\\".jsonl" }\nreserve 52GiB; slots 9\n',
  );
  assert.deepEqual(r.diagnostics, []);
  const [gpu, placement, workload, reserve, slots] = r.document.statements;
  assert.deepEqual(
    gpu.args.map((a) => a.kind),
    ['word', 'word', 'number', 'word', 'number', 'word'],
  );
  assert.equal(gpu.trailingComment?.text, '# tail');
  const layer = placement.block!.statements[0];
  const range = layer.args[0] as Extract<Value, { kind: 'range' }>;
  assert.equal(range.kind, 'range');
  assert.equal(range.from.value, 0);
  assert.equal(range.to.value, 3);
  const g = layer.block!.statements[0];
  assert.deepEqual(
    g.args.map((a) => (a.kind === 'punct' ? a.text : a.kind)),
    ['number', ':', 'range', ',', 'number'],
  );
  const s = workload.block!.statements[0].args[0];
  assert.equal(s.kind === 'string' && s.value, 'a "b".jsonl');
  const n = reserve.args[0];
  assert.equal(n.kind === 'number' && n.unit?.text, 'GiB');
  assert.equal(slots.keyword.text, 'slots');
  assert.equal(slots.range.start.line, 5);
});

test('units after a space are attached only when they read as units', () => {
  const st = parse('link network 50 GB/s 3 us\ngpu h100 x 4 in 2 nodes\nbatch 64 tokens\nx 12 %\n').document.statements;
  const units = (s: Statement) => s.args.filter((a) => a.kind === 'number').map((a) => (a.kind === 'number' ? (a.unit?.text ?? '-') : ''));
  assert.deepEqual(units(st[0]), ['GB/s', 'us']);
  assert.deepEqual(units(st[1]), ['-', '-']);
  assert.deepEqual(units(st[2]), ['tokens']);
  assert.deepEqual(units(st[3]), ['%']);
});

test('several syntax errors in one pass, and the rest of the tree is kept', () => {
  const text = 'model mixtral-8x7b\n@@ bad\ngpu h100 x 2\n"loose string\nworkload {\n  batch 4\n}\n}\nreserve 1..\n';
  const r = parse(text);
  assert.deepEqual(
    r.diagnostics.map((d) => `${d.range.start.line + 1}:${d.code}`),
    ['2:MP101', '4:MP102', '4:MP103', '8:MP105', '9:MP107'],
  );
  assert.deepEqual(
    r.document.statements.map((s) => s.keyword.text),
    ['model', 'bad', 'gpu', 'workload', 'reserve'],
  );
});

test('an unclosed block is closed by indentation so later statements stay at top level', () => {
  const text = 'model dbrx\nworkload {\n  batch 4\nplacement {\n  policy greedy\n}\n';
  const r = parse(text);
  assert.deepEqual(codes(text), ['2:MP104']);
  assert.deepEqual(
    r.document.statements.map((s) => s.keyword.text),
    ['model', 'workload', 'placement'],
  );
  const fix = r.diagnostics[0].fixes?.[0];
  assert.ok(fix && fix.edits[0].newText.includes('}'));
  // A nested block left open closes where its sibling starts.
  const nested = 'placement {\n  layer 0 {\n    gpu 0: 1\n  layer 1 {\n    gpu 0: 2\n  }\n}\n';
  const n = parse(nested);
  assert.deepEqual(codes(nested), ['2:MP104']);
  assert.deepEqual(
    n.document.statements[0].block!.statements.map((s) => s.keyword.text + s.args.map((a) => (a.kind === 'number' ? a.raw : '')).join('')),
    ['layer0', 'layer1'],
  );
});

test('text after } and a block with no keyword are reported', () => {
  assert.deepEqual(codes('workload { batch 1 } extra\n{ x }\n'), ['1:MP106', '2:MP103']);
});

test('columns are UTF-16 code units, lines end at \\n, \\r\\n and \\r', () => {
  const text = '# 🚀 µ\r\nlink pcie 1 GB/s 2 µs\rreserve 1 GiB  # é\n';
  const r = parse(text);
  assert.deepEqual(r.diagnostics, []);
  const [link, reserve] = r.document.statements;
  assert.equal(link.range.start.line, 1);
  const lat = link.args[2];
  assert.equal(lat.kind === 'number' && lat.unit?.text, 'µs');
  assert.equal(lat.range.end.character, 'link pcie 1 GB/s 2 µs'.length);
  assert.equal(reserve.range.start.line, 2);
  assert.equal(reserve.trailingComment?.range.end.character, 'reserve 1 GiB  # é'.length);
  assert.equal(r.document.statements[0].leadingComments[0].range.end.character, '# 🚀 µ'.length);
});

function allRanges(r: ReturnType<typeof parse>) {
  const out = [...r.tokens.map((t) => t.range), ...r.diagnostics.map((d) => d.range)];
  const walk = (ss: Statement[]) => {
    for (const s of ss) {
      out.push(s.range, s.keyword.range, ...s.args.map((a) => a.range), ...s.leadingComments.map((c) => c.range));
      if (s.trailingComment) out.push(s.trailingComment.range);
      if (s.block) {
        out.push(s.block.range, s.block.open, ...s.block.trailingComments.map((c) => c.range));
        if (s.block.close) out.push(s.block.close);
        walk(s.block.statements);
      }
    }
  };
  walk(r.document.statements);
  return out;
}

test('property: any text parses without throwing, with valid ranges everywhere', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ unit: 'binary', maxLength: 400 }),
        fc.string({ unit: fc.constantFrom('{', '}', '"', '#', '\n', ' ', 'a', '1', '.', ':', '%', '\r', ';'), maxLength: 200 }),
      ),
      (text) => {
        const r = parse(text);
        const lens = lineLengths(text);
        for (const range of allRanges(r)) assert.equal(rangeProblem(range, lens), undefined);
        assert.deepEqual(diagnosticProblems(text, r.diagnostics), []);
      },
    ),
    { numRuns: 400 },
  );
});

test('property: mutated examples and generated plans parse with valid ranges', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        planText,
        fc.tuple(fc.constantFrom(...EXAMPLES.map((e) => e.text)), fc.array(mutation, { minLength: 1, maxLength: 6 })).map(([t, m]) => mutate(t, m)),
      ),
      (text) => {
        const r = parse(text);
        const lens = lineLengths(text);
        for (const range of allRanges(r)) assert.equal(rangeProblem(range, lens), undefined);
      },
    ),
    { numRuns: 300 },
  );
});

test('generated plans are syntactically valid', () => {
  fc.assert(
    fc.property(planText, (text) => {
      assert.deepEqual(parse(text).diagnostics, []);
    }),
    { numRuns: 100 },
  );
});

test('unreadable characters: control characters shown as escapes, a binary file named as such, one emoji is one character', () => {
  const message = (text: string) => parse(text).diagnostics.find((d) => d.code === 'MP101')?.message ?? '';
  const bin = message('\u0000\u0001\u0002garbage');
  assert.ok(bin.includes('`\\u0000\\u0001\\u0002`'), bin);
  assert.match(bin, /binary file/);
  // eslint-disable-next-line no-control-regex -- control characters are what the message must not hold
  assert.ok(!/[\u0000-\u001f]/.test(bin), 'no raw control characters in the message');
  assert.equal(message('a 😀'), 'Unexpected character `😀`: remove it, or put text in quotes.');
  assert.ok(message('a \ud800 b').includes('\\ud800'));
  assert.doesNotMatch(message('x @@'), /binary/);
});
