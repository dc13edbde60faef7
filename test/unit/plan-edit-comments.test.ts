// Comments survive every edit the product makes to a plan: writing a
// placement (solve --write and the editor's code action share
// writeCommittedPlacement), formatting, and every quick fix the checker
// offers. Comments inside a replaced
// `layer` block move with what they sit on; where that disappears they stay
// at the nearest place that is left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { writeCommittedPlacement } from '../../server/src/plan/edit';
import { formatText } from '../../server/src/language/formatter';
import { lex } from '../../server/src/language/lexer';
import { applyEdits, mutate, mutation, planText } from './plan-arbitraries';
import { checkText } from '../../server/src/plan/check';

function write(text: string, layers: { layer: number; gpus: number[][] }[]): string {
  const r = writeCommittedPlacement(text, layers);
  assert.ok('text' in r, 'error' in r ? r.error : '');
  return r.text;
}

const PLAN = `model mixtral-8x7b
gpu h100-sxm x 2
reserve 16 GiB per gpu
placement {
  policy search
  # above layer 0
  layer 0 {  # after the brace
    # a line inside
    gpu 0: 0..4  # on gpu 0
    gpu 1: 3..7  # on gpu 1
    # before the closing brace
  }  # after the closing brace
  layer 1 {  # layer 1's own
    gpu 0: 0..4
    gpu 1: 3..7  # gpu 1 of layer 1
  }
}
`;

test('the reported cases: a comment after `layer 0 {`, a comment line inside, a comment on a gpu line', () => {
  const out = write(PLAN, [
    {
      layer: 0,
      gpus: [
        [0, 1, 2, 3, 5],
        [1, 4, 5, 6, 7],
      ],
    },
  ]);
  assert.match(out, /^ {2}layer 0 \{ {2}# after the brace$/m);
  assert.match(out, /^ {4}# a line inside\n {4}gpu 0: 0\.\.3 5 {2}# on gpu 0$/m);
  assert.match(out, /^ {4}gpu 1: 1 4\.\.7 {2}# on gpu 1\n {4}# before the closing brace\n {2}\} {2}# after the closing brace$/m);
  assert.match(out, /^ {2}# above layer 0$/m);
});

test('layers merged into one statement: the statement that goes leaves its comments where it was', () => {
  const same = [
    [0, 1, 2, 3, 5],
    [1, 4, 5, 6, 7],
  ];
  const out = write(PLAN, [
    { layer: 0, gpus: same },
    { layer: 1, gpus: same },
  ]);
  assert.match(out, /layer 0\.\.1 \{ {2}# after the brace/);
  assert.doesNotMatch(out, /layer 1 \{/);
  for (const c of ["# layer 1's own", '# gpu 1 of layer 1']) assert.ok(out.includes(c), c);
});

test('fewer GPUs than before: the comments of the GPUs that went stay in the block', () => {
  const out = write(PLAN, [{ layer: 0, gpus: [[0, 1, 2, 3, 4, 5, 6, 7]] }]);
  assert.match(out, /gpu 0: 0\.\.7 {2}# on gpu 0\n {4}# on gpu 1\n {4}# before the closing brace\n {2}\}/);
});

test('a layer range split in two keeps its block (and comments) for the layers not rewritten', () => {
  const text = PLAN.replace('layer 0 {', 'layer 0..3 {');
  const out = write(text, [
    {
      layer: 2,
      gpus: [
        [0, 1, 2, 3, 5],
        [1, 4, 5, 6, 7],
      ],
    },
  ]);
  assert.equal(out.match(/# on gpu 0/g)?.length, 2, 'layers 0..1 and 3 keep the old block');
});

/** Every comment of the text, as written. */
function comments(text: string): string[] {
  return lex(text)
    .tokens.filter((t) => t.kind === 'comment')
    .map((t) => t.text.trimEnd());
}

/** The text with a tagged comment above every line and at the end of every line. */
function commentEverywhere(text: string): { text: string; tags: string[] } {
  const tags: string[] = [];
  const lines = text.split('\n');
  const last = lines.pop(); // '' after the final newline
  const out: string[] = [];
  lines.forEach((line, i) => {
    const indent = /^\s*/.exec(line)![0];
    tags.push(`#above${i}`, `#end${i}`);
    out.push(`${indent}#above${i}`, `${line}  #end${i}`);
  });
  tags.push('#last');
  out.push('#last');
  return { text: out.join('\n') + '\n' + (last ?? ''), tags };
}

/** Layer numbers the text commits, to rewrite some of them. */
function committedLayers(text: string): number[] {
  return [...text.matchAll(/layer (\d+)(?:\.\.(\d+))? \{/g)].flatMap((m) => {
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    return Array.from({ length: to - from + 1 }, (_, k) => from + k);
  });
}

const assignment = fc.array(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 5 }), { minLength: 1, maxLength: 4 });

test('property: every comment survives formatting and every placement write, wherever it sits', () => {
  fc.assert(
    fc.property(
      planText,
      fc.array(fc.tuple(fc.boolean(), fc.nat(40), assignment), { minLength: 1, maxLength: 4 }),
      fc.constantFrom('\n', '\r\n', '\r'),
      fc.boolean(),
      (plain, picks, eol, bom) => {
        const made = commentEverywhere(plain);
        const tags = made.tags;
        let text = made.text;
        text = (bom ? '\ufeff' : '') + text.replace(/\n/g, eol);
        const before = comments(text);
        const formatted = formatText(text);
        assert.ok('text' in formatted, 'error' in formatted ? formatted.error : '');
        const known = committedLayers(plain);
        // Half the layers written are ones the plan commits (so their blocks are replaced), half anywhere.
        const layers = picks.map(([existing, n, gpus]) => ({ layer: existing && known.length ? known[n % known.length]! : n, gpus }));
        const written = write(text, layers);
        for (const out of [formatted.text, written, write(written, layers)]) {
          const after = comments(out);
          for (const tag of tags)
            assert.ok(
              after.some((c) => c.includes(tag)),
              `${tag} lost`,
            );
          // Nothing of any comment is lost either (the plan's own comments included).
          for (const c of before) assert.ok(after.includes(c), `comment lost: ${c}`);
          assert.doesNotMatch(out.split(eol).join(''), /[\r\n]/, 'line ends kept');
          assert.equal(out.startsWith('\ufeff'), bom, 'BOM kept');
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('property: no quick fix deletes a comment', () => {
  let fixes = 0;
  fc.assert(
    fc.property(planText, fc.array(mutation, { minLength: 1, maxLength: 3 }), (plain, muts) => {
      const text = mutate(commentEverywhere(plain).text, muts);
      const before = comments(text);
      for (const d of checkText(text, '/tmp/fix.moeplan').diagnostics) {
        for (const fix of d.fixes ?? []) {
          fixes++;
          const after = comments(applyEdits(text, fix.edits));
          for (const c of before)
            assert.ok(
              after.some((a) => a.includes(c)),
              `${d.code} "${fix.title}" lost: ${c}`,
            );
        }
      }
    }),
    { numRuns: 400 },
  );
  assert.ok(fixes > 50, `only ${fixes} fixes tried`);
});
