// writeCommittedPlacement: written placements resolve back to the same
// assignment, comments survive, output is formatted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { writeCommittedPlacement } from '../../server/src/plan/edit';
import { checkText } from '../../server/src/plan/check';
import { formatText } from '../../server/src/language/formatter';
import { EXAMPLES } from './plan-arbitraries';

const byName = (n: string) => EXAMPLES.find((e) => e.name === n)!;
const sorted = (g: number[][]) => g.map((x) => [...x].sort((a, b) => a - b));

function write(text: string, layers: { layer: number; gpus: number[][] }[]): string {
  const r = writeCommittedPlacement(text, layers);
  assert.ok('text' in r, 'error' in r ? r.error : '');
  return r.text;
}

test('replaces one layer of a range, keeps the others and every comment', () => {
  const ex = byName('mixtral-8x7b');
  const out = write(ex.text, [
    {
      layer: 1,
      gpus: [
        [0, 1, 2, 3, 4],
        [0, 4, 5, 6, 7],
      ],
    },
  ]);
  const r = checkText(out, ex.path);
  assert.deepEqual(r.diagnostics, []);
  const c = r.plan!.placement.committed;
  assert.deepEqual(sorted(c.get(0)!.gpus), [
    [0, 1, 2, 3, 5],
    [1, 4, 5, 6, 7],
  ]);
  assert.deepEqual(sorted(c.get(1)!.gpus), [
    [0, 1, 2, 3, 4],
    [0, 4, 5, 6, 7],
  ]);
  assert.deepEqual(sorted(c.get(2)!.gpus), [
    [0, 2, 4, 6, 7],
    [1, 3, 5, 6, 7],
  ]);
  for (const line of ex.text.split('\n').filter((l) => l.trim().startsWith('#'))) assert.ok(out.includes(line.trim()), line);
  const f = formatText(out);
  assert.ok('text' in f && f.text === out, 'output is formatted');
});

test('merges consecutive identical layers and creates the placement block when missing', () => {
  const ex = byName('dbrx');
  const base = ex.text.replace(/\nplacement \{[^}]*\}\n/, '\n');
  assert.ok(!base.includes('placement'));
  const gpus = [
    [0, 1, 2, 3],
    [4, 5, 6, 7],
    [8, 9, 10, 11],
    [12, 13, 14, 15],
  ];
  const out = write(
    base,
    [0, 1, 2, 3].map((layer) => ({ layer, gpus })),
  );
  assert.match(out, /placement \{\n {2}layer 0\.\.3 \{\n {4}gpu 0: 0\.\.3\n/);
  const p = checkText(out, ex.path).plan!;
  assert.equal(p.placement.committed.size, 4);
  assert.deepEqual(p.placement.committed.get(3)!.gpus, gpus);
});

test('refuses text with syntax errors and invalid input', () => {
  assert.ok('error' in writeCommittedPlacement('placement {\n', [{ layer: 0, gpus: [[0]] }]));
  assert.ok('error' in writeCommittedPlacement('model dbrx\n', [{ layer: -1, gpus: [[0]] }]));
  assert.ok('error' in writeCommittedPlacement('model dbrx\n', [{ layer: 0, gpus: [[0.5]] }]));
});

test('property: written placements resolve back to the same assignment', () => {
  const ex = byName('dbrx'); // 16 experts, 4 GPUs, 7 slots each, 40 layers
  const assignment = fc.array(fc.uniqueArray(fc.integer({ min: 0, max: 15 }), { maxLength: 7 }), { minLength: 4, maxLength: 4 });
  const layers = fc.uniqueArray(fc.record({ layer: fc.integer({ min: 0, max: 39 }), gpus: assignment }), { selector: (l) => l.layer, maxLength: 8 });
  fc.assert(
    fc.property(
      fc.constantFrom(
        ex.text,
        byName('mixtral-8x7b')
          .text.replace('model mixtral-8x7b', 'model dbrx')
          .replace('gpu h100-sxm x 2', 'gpu h200 x 4')
          .replace(/gpu 1: 1 3 5 6 7/g, 'gpu 1: 1 3 5 6 7 8..15'),
      ),
      layers,
      fc.array(fc.record({ layer: fc.integer({ min: 0, max: 39 }), gpus: assignment }), { maxLength: 3 }),
      (text, first, second) => {
        const once = write(text, first);
        const twice = write(once, second);
        const want = new Map<number, number[][]>();
        for (const l of [...first, ...second]) want.set(l.layer, sorted(l.gpus));
        const p = checkText(twice, ex.path).plan!;
        for (const [layer, gpus] of want) assert.deepEqual(sorted(p.placement.committed.get(layer)!.gpus), gpus, `layer ${layer}`);
        // Writing the same thing again changes nothing.
        assert.equal(write(twice, second), twice);
        assert.deepEqual(checkText(twice, ex.path).parse.diagnostics, []);
      },
    ),
    { numRuns: 120 },
  );
});
