// Lenses and MP802 follow the committed placement as the text stands: after
// the solver's placement is written in, they show the solver's figure (not the
// old committed one); after a hand edit, they say the placement was edited
// since the last solve instead of showing stale figures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkText } from '../../server/src/plan/check';
import { analyzePlan } from '../../server/src/analysis';
import { writeCommittedPlacement } from '../../server/src/plan/edit';
import { committedEdited, committedFigure, layerLensTitle, solverDiagnostics } from '../../server/src/feedback';
import { placementDigest } from '../../server/src/solve/placementDigest';
import { smallPlan } from '../lsp/plans';

const OPTIONS = { slowerThresholdPct: 1 };

test('placement digests ignore order within a GPU and see moves between GPUs', () => {
  assert.equal(
    placementDigest([
      [1, 0],
      [3, 2],
    ]),
    placementDigest([
      [0, 1],
      [2, 3],
    ]),
  );
  assert.notEqual(
    placementDigest([
      [0, 1],
      [2, 3],
    ]),
    placementDigest([
      [0, 2],
      [1, 3],
    ]),
  );
  assert.notEqual(
    placementDigest([
      [0, 1],
      [2, 3],
    ]),
    placementDigest([
      [2, 3],
      [0, 1],
    ]),
  );
  assert.notEqual(placementDigest([[1, 2]]), placementDigest([[12]]));
  assert.match(placementDigest([]), /^[0-9a-f]{8}$/);
});

test('committed figures follow the text: evaluated, then the applied solver placement, then a hand edit', async () => {
  // E[T] decides here (the premise: the hand-made layer 0 is slower than the solver's by E[T]).
  const text = smallPlan({ policy: 'search', time: '1 s', tokens: 3000, objective: 'expected-time' });
  const first = checkText(text, '/plans/small.moeplan');
  assert.ok(first.plan);
  const results = await analyzePlan(first.plan, { workers: 1, sweeps: false, timeBudgetMs: 400 });
  const layer = results.layers.find((l) => l.layer === 0)!;
  assert.ok(layer.committedExpectedTime !== undefined && layer.committedDigest);

  // As evaluated.
  assert.equal(committedFigure(layer, first.plan)?.expectedTime, layer.committedExpectedTime);
  assert.equal(committedEdited(layer, first.plan), false);
  assert.ok(layer.committedExpectedTime > layer.expectedTime, 'the hand-made layer 0 is slower than the solver (the premise of this test)');
  assert.ok(solverDiagnostics(first.plan, results, OPTIONS).some((d) => d.code === 'MP802' && d.message.startsWith('Layer 0:')));

  // The solver's placement written in: its own figure, no MP802 for layer 0.
  const written = writeCommittedPlacement(text, [{ layer: 0, gpus: layer.placement }]);
  assert.ok('text' in written, JSON.stringify(written));
  const applied = checkText(written.text, '/plans/small.moeplan').plan!;
  assert.equal(committedFigure(layer, applied)?.expectedTime, layer.expectedTime);
  assert.equal(committedEdited(layer, applied), false);
  assert.ok(!solverDiagnostics(applied, results, OPTIONS).some((d) => d.code === 'MP802' && d.message.startsWith('Layer 0:')));
  assert.match(layerLensTitle(layer, results, applied), new RegExp(`committed E\\[T\\] ${layer.expectedTime.toFixed(3)}`));

  // A different placement typed by hand: no stale figure, the lens says so.
  const other = layer.placement.map((experts) => [...experts]);
  const [a, b] = [other[0][0], other[1].find((e) => !other[0].includes(e))!];
  other[0][0] = b;
  other[1][other[1].indexOf(b)] = a;
  const edited = writeCommittedPlacement(text, [{ layer: 0, gpus: other }]);
  assert.ok('text' in edited);
  const handPlan = checkText(edited.text, '/plans/small.moeplan').plan!;
  assert.equal(committedFigure(layer, handPlan), undefined);
  assert.equal(committedEdited(layer, handPlan), true);
  assert.match(layerLensTitle(layer, results, handPlan), /edited since the last solve/);
  assert.ok(!solverDiagnostics(handPlan, results, OPTIONS).some((d) => d.code === 'MP802' && d.message.startsWith('Layer 0:')));
});
