import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { groupLayerNotes, layerList } from '../../server/src/analysis/layerNotes';

test('layer lists fold runs into ranges', () => {
  assert.equal(layerList([0, 1, 2, 3, 7, 9, 10]), '0–3, 7, 9–10');
  assert.equal(layerList([5]), '5');
  assert.equal(layerList([]), '');
});

test('notes differing only in their layer merge into one line, in first-seen order', () => {
  const out = groupLayerNotes([
    'co-activation unknown',
    'layer 2, search: greedy insertion hit its share of the time budget',
    'layer 0: exact search found a better placement than search; using it',
    'layer 0, search: greedy insertion hit its share of the time budget',
    'layer 1, search: greedy insertion hit its share of the time budget',
    'layer 7, search: greedy insertion hit its share of the time budget',
    'layer 3: the committed placement cannot be evaluated: expert 9 is unplaced',
  ]);
  assert.deepEqual(out, [
    'co-activation unknown',
    'layers 0–2, 7 (4 layers), search: greedy insertion hit its share of the time budget',
    'layer 0: exact search found a better placement than search; using it',
    'layer 3: the committed placement cannot be evaluated: expert 9 is unplaced',
  ]);
});

test('grouping loses no layer and no other note', () => {
  const note = fc.oneof(
    fc.tuple(fc.nat(60), fc.constantFrom(', search: a', ': b', ', eplb: c')).map(([l, rest]) => `layer ${l}${rest}`),
    fc.constantFrom('free text', 'layering is fine', 'layers are odd', 'layer seven: x'),
  );
  fc.assert(
    fc.property(fc.array(note, { maxLength: 40 }), (notes) => {
      const out = groupLayerNotes(notes);
      const others = notes.filter((n) => !/^layer \d+[,:]/.test(n));
      assert.deepEqual(
        out.filter((n) => !/^layers? \d/.test(n)),
        others,
      );
      for (const rest of [', search: a', ': b', ', eplb: c']) {
        const want = new Set(notes.flatMap((n) => (n.endsWith(rest) && /^layer \d+/.test(n) ? [Number(/\d+/.exec(n)![0])] : [])));
        const line = out.find((n) => /^layers? \d/.test(n) && n.endsWith(rest));
        if (want.size === 0) assert.equal(line, undefined);
        else {
          const got = new Set<number>();
          const bare = line!.replace(/ \(\d+ layers\)/, '');
          for (const part of bare.slice(bare.indexOf(' ') + 1, bare.length - rest.length).split(', ')) {
            const [a, b] = part.split('–').map(Number);
            for (let l = a; l <= (b ?? a); l++) got.add(l);
          }
          assert.deepEqual(
            [...got].sort((x, y) => x - y),
            [...want].sort((x, y) => x - y),
          );
        }
      }
    }),
  );
});
