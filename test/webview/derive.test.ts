// Figures the charts derive from PlanResults (no browser needed).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { batchCurves, copiesPerExpert, gammaCurve, orderedPolicies } from '../../webview/src/derive';
import { escapeHtml, jsonForScriptBlock } from '../../server/src/report/render';
import { keyFigures } from '../../server/src/report/keyFigures';
import { syntheticResults } from './syntheticResults';
import * as show from '../../server/src/display';

test('copies per expert count every GPU holding the expert', () => {
  fc.assert(
    fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 6 }), { minLength: 1, maxLength: 5 }), (placement) => {
      const copies = copiesPerExpert(placement, 16);
      assert.equal(
        copies.reduce((a, b) => a + b, 0),
        placement.flat().length,
      );
      for (let e = 0; e < 16; e++) assert.equal(copies[e], placement.flat().filter((x) => x === e).length);
    }),
  );
});

test("γ over tokens passes through the plan's point and falls once every expert is used", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 8, max: 256 }),
      fc.integer({ min: 1, max: 10000 }),
      fc.double({ min: 0.01, max: 100, noNaN: true }),
      (topK, experts, tokens, gamma) => {
        const r = syntheticResults({ layers: 1, experts: 8, gpus: 2, topK: 2 });
        r.model = { ...r.model, topK, experts };
        r.offload = { ...r.offload, gamma, tokens };
        const curve = gammaCurve(r);
        assert.ok(curve.length > 3);
        // Same scaling the formula implies: γ ∝ min(k·N, E)/N.
        const at = (n: number) => (gamma * (Math.min(topK * n, experts) / n)) / (Math.min(topK * tokens, experts) / tokens);
        for (const p of curve) assert.ok(Math.abs(p.gamma - at(p.tokens)) <= 1e-9 * Math.max(1, at(p.tokens)));
        for (let i = 1; i < curve.length; i++) assert.ok(curve[i].gamma <= curve[i - 1].gamma + 1e-12, 'γ never rises with more tokens');
      },
    ),
  );
});

test('missing figures give empty curves instead of NaN points', () => {
  const r = syntheticResults({ layers: 2, experts: 8, gpus: 2, topK: 2 });
  r.offload = { ...r.offload, gamma: null as unknown as number };
  assert.deepEqual(gammaCurve(r), []);
  r.batchSweep = r.batchSweep.map((b) => ({
    ...b,
    stepUs: null as unknown as number,
    byDispatch: { static: NaN, random: null as unknown as number, balanced: Infinity },
  }));
  assert.deepEqual(batchCurves(r), []);
  const text = keyFigures(r)
    .map((f) => `${f.label}: ${f.value}`)
    .join('\n');
  assert.match(text, /Offload vs EP: not computed/);
  assert.doesNotMatch(text, /NaN|undefined|null/);
});

test('policies come in a fixed order and fill in the baselines a payload lacks', () => {
  const r = syntheticResults({ layers: 1, experts: 8, gpus: 2, topK: 2 });
  const layer = { ...r.layers[0], policies: r.layers[0].policies.filter((p) => p.policy === 'search') };
  const names = orderedPolicies(layer).map((p) => p.policy);
  assert.deepEqual(names, ['contiguous', 'round-robin', 'eplb', 'search', 'committed', 'lower-bound']);
});

test('inline JSON cannot close its script block, and text is escaped', () => {
  fc.assert(
    fc.property(fc.string(), (s) => {
      const json = jsonForScriptBlock({ s });
      assert.doesNotMatch(json, /<\/?script|<!--/i);
      assert.deepEqual(JSON.parse(json), { s });
      assert.doesNotMatch(escapeHtml(s), /[<>"']/);
    }),
  );
});

test('numbers read without exponents and keep about three significant digits', () => {
  fc.assert(
    fc.property(fc.double({ min: 0.001, max: 1e12, noNaN: true }), (x) => {
      const s = show.number(x);
      assert.doesNotMatch(s, /e/i);
      const back = Number(s.replace(/,/g, ''));
      assert.ok(Math.abs(back - x) <= Math.max(0.5, x * 0.006), `${x} → ${s}`);
    }),
  );
  assert.equal(show.number(4730.4), '4,730');
  assert.equal(show.number(NaN), '—');
});
