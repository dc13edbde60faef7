// The minimal line edits the server sends for formatting and placement
// writes: applying them must give exactly the new text, and unchanged lines
// must not be touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyEdits, lineEdits } from '../../server/src/lsp/textDiff';

const line = fc.constantFrom('model x', 'gpu 0: 1 2', '', '  }', 'layer 3 {', '# note', 'a', 'b');
const text = fc.array(line, { maxLength: 30 }).map((ls) => ls.join('\n'));
const textEol = fc.tuple(text, fc.boolean()).map(([t, eol]) => (eol ? t + '\n' : t));

test('applying lineEdits(a, b) to a gives b', () => {
  fc.assert(
    fc.property(textEol, textEol, (a, b) => {
      assert.equal(applyEdits(a, lineEdits(a, b)), b);
    }),
    { numRuns: 2000 },
  );
});

test('equal texts give no edits; one changed line gives one edit on that line', () => {
  fc.assert(
    fc.property(fc.array(line, { minLength: 1, maxLength: 30 }), fc.nat(), (ls, k) => {
      const a = ls.join('\n');
      assert.deepEqual(lineEdits(a, a), []);
      const i = k % ls.length;
      const changed: string[] = [...ls];
      changed[i] = changed[i] + ' changed';
      const edits = lineEdits(a, changed.join('\n'));
      assert.equal(edits.length, 1);
      const r = edits[0]!.range;
      assert.deepEqual(r.start, { line: i, character: 0 });
      // The edit ends where line i ends: the next line's start, or the end of the text.
      if (i < ls.length - 1) assert.deepEqual(r.end, { line: i + 1, character: 0 });
      else assert.deepEqual(r.end, { line: i, character: ls[i]!.length });
    }),
    { numRuns: 500 },
  );
});
