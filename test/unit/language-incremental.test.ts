// Re-parsing after an edit gives exactly the tree, diagnostics and tokens
// of a whole parse, whether it reuses statements or falls back; and it does
// reuse them for edits inside a line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse } from '../../server/src/language/parser';
import { reparse } from '../../server/src/language/incremental';
import { EXAMPLES, planText } from './plan-arbitraries';
import { generatedPlan } from '../../bench/lsp.bench';

function same(text: string, prevText: string, prev = parse(prevText)): ReturnType<typeof parse> {
  const got = reparse(text, { text: prevText, result: prev });
  const want = parse(text);
  assert.deepStrictEqual(got.document, want.document);
  assert.deepStrictEqual(got.diagnostics, want.diagnostics);
  assert.deepStrictEqual(got.tokens, want.tokens);
  return got;
}

/** Text typed into a line: token characters, braces, comments, quotes, and sometimes a line break. */
const typed = fc
  .array(fc.constantFrom('1', '23', ' ', 'x', 'gpu', ':', ',', '..', '{', '}', '#', '"', ';', '%', 'GiB', '-', '.', 'é', '\t', '@', '\r', '\n', '\r\n'), {
    maxLength: 4,
  })
  .map((a) => a.join(''));

/** An edit: replace `len` characters at a position with typed text. */
const edit = fc.record({ at: fc.nat(), len: fc.integer({ min: 0, max: 6 }), ins: typed });
const apply = (t: string, e: { at: number; len: number; ins: string }) => {
  const p = t.length === 0 ? 0 : e.at % (t.length + 1);
  return t.slice(0, p) + e.ins + t.slice(p + e.len);
};

const bases = [...EXAMPLES.map((e) => e.text), generatedPlan().split('\n').slice(0, 260).join('\n') + '\n  }\n}\n', EXAMPLES[0].text.replace(/\n/g, '\r\n')];

test('property: after random edits, the same result as a whole parse (examples, generated plans, CRLF)', () => {
  fc.assert(
    fc.property(fc.oneof(fc.constantFrom(...bases), planText), fc.array(edit, { minLength: 1, maxLength: 5 }), (base, edits) => {
      // A sequence of edits, each re-parsed from the previous result, as an editor does.
      let prevText = base;
      let prev = parse(base);
      for (const e of edits) {
        const text = apply(prevText, e);
        const got = reparse(text, { text: prevText, result: prev });
        const want = parse(text);
        assert.deepStrictEqual(got.document, want.document);
        assert.deepStrictEqual(got.diagnostics, want.diagnostics);
        prevText = text;
        prev = got;
      }
      assert.deepStrictEqual(prev.tokens, parse(prevText).tokens);
    }),
    { numRuns: 400 },
  );
});

test('an edit inside a committed gpu line reuses every other statement', () => {
  const before = generatedPlan();
  const after = before.replace('    gpu 3: 24 25', '    gpu 3: 24 26');
  assert.notEqual(after, before);
  const prev = parse(before);
  const got = same(after, before, prev);
  const [oldPlacement, newPlacement] = [prev.document.statements.at(-1)!, got.document.statements.at(-1)!];
  // Top-level statements before the placement are the very same objects.
  prev.document.statements.slice(0, -1).forEach((s, i) => assert.equal(got.document.statements[i], s));
  const oldLayers = oldPlacement.block!.statements;
  const newLayers = newPlacement.block!.statements;
  const changed = newLayers.findIndex((s, i) => s !== oldLayers[i]);
  assert.equal(newLayers.filter((s, i) => s !== oldLayers[i]).length, 1, 'only the edited layer is new');
  const oldGpus = oldLayers[changed].block!.statements;
  const newGpus = newLayers[changed].block!.statements;
  assert.equal(newGpus.filter((s, i) => s !== oldGpus[i]).length, 1, 'only the edited gpu line is new');
});

test('an edit in the workload block reuses the placement block; a new line falls back to a whole parse', () => {
  const before = generatedPlan();
  const prev = parse(before);
  const got = same(before.replace('seed 1 skew', 'seed 12 skew'), before, prev);
  assert.equal(got.document.statements.at(-1), prev.document.statements.at(-1));
  const split = same(before.replace('seed 1 skew', 'seed 1\n skew'), before, prev);
  assert.notEqual(split.document.statements.at(-1), prev.document.statements.at(-1));
});

test('edits that make errors, comments or statements appear give the whole-parse result', () => {
  const base = 'model dbrx\n\ngpu h100-sxm x 4\n# about slots\nslots 9\nplacement {\n  layer 0 {\n    gpu 0: 1 2\n  }\n  # tail\n}\n';
  const cases: [string, string][] = [
    ['\n\ngpu', '\n# new\ngpu'], // a comment on a blank line joins the next statement
    ['\n\ngpu', '\nreserve 4 GiB\ngpu'], // a statement on a blank line
    ['# about slots', 'batch 4 # about'], // a leading comment becomes a statement
    ['    gpu 0: 1 2', '    gpu 0: 1 2 }'], // a brace that closes the block early
    ['    gpu 0: 1 2', '    gpu 0: 1 {'], // a block never closed
    ['  # tail', '  # tall'], // the block's trailing comment
    ['  # tail', '  gpu 0: 3'], // a statement after the last one
    ['slots 9', 'slots 9; reserve 1 GiB'], // two statements on one line
  ];
  for (const [from, to] of cases) {
    assert.ok(base.includes(from), from);
    same(base.replace(from, to), base);
  }
  // Typing between `\r` and `\n` splits one line break into two, and deleting it joins them again.
  const crlf = base.replace(/\n/g, '\r\n');
  const split = crlf.replace('slots 9\r\n', 'slots 9\rx\n');
  same(split, crlf);
  same(crlf, split);
});
