// The checker on arbitrary input: never an exception, always diagnostics
// with valid ranges and documented codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkText } from '../../server/src/plan/check';
import { CODES } from '../../server/src/plan/codes';
import { EXAMPLES, applyEdits, diagnosticProblems, lineLengths, mutate, mutation, planText, rangeProblem } from './plan-arbitraries';

const inputs = fc.oneof(
  { arbitrary: planText, weight: 3 },
  {
    arbitrary: fc.tuple(fc.constantFrom(...EXAMPLES.map((e) => e.text)), fc.array(mutation, { minLength: 1, maxLength: 8 })).map(([t, m]) => mutate(t, m)),
    weight: 4,
  },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 300 }), weight: 1 },
  {
    arbitrary: fc
      .array(
        fc.constantFrom(
          'model',
          'gpu',
          'x',
          'h100',
          'dbrx',
          '{',
          '}',
          '\n',
          '8',
          '0..3',
          ':',
          'layer',
          'reserve',
          'GiB',
          '%',
          '"t"',
          'placement',
          'workload',
          'offload',
          '__proto__',
          'constructor',
          'slots',
          '-1',
          '1e999',
          'NaN',
        ),
        { maxLength: 60 },
      )
      .map((w) => w.join(' ')),
    weight: 2,
  },
);

test('property: checkText never throws; ranges valid; codes documented; a plan only when the model and GPUs are understood', () => {
  const known = new Set(Object.keys(CODES));
  fc.assert(
    fc.property(inputs, (text) => {
      const r = checkText(text, '/plans/p.moeplan', { fileExists: (p) => p.endsWith('.jsonl') });
      assert.deepEqual(diagnosticProblems(text, r.diagnostics), []);
      for (const d of r.diagnostics) {
        assert.ok(known.has(d.code), `undocumented code ${d.code}`);
        assert.notEqual(d.code, 'MP100', d.message);
      }
      if (r.plan) {
        const lens = lineLengths(text);
        for (const ref of r.plan.refs) assert.equal(rangeProblem(ref.range, lens), undefined, JSON.stringify(ref));
        const hw = r.plan.hardware;
        assert.equal(hw.slotsPerGpu.length, hw.count);
        assert.equal(hw.nodes * hw.gpusPerNode, hw.count);
        assert.ok(r.plan.model.topK.value <= r.plan.model.experts.value);
        for (const c of r.plan.placement.committed.values()) {
          assert.equal(c.gpus.length, hw.count);
          for (const g of c.gpus) for (const e of g) assert.ok(e >= 0 && e < r.plan.model.experts.value);
        }
      } else {
        assert.ok(
          r.diagnostics.some((d) => d.severity === 'error'),
          'no plan means an error says why',
        );
      }
    }),
    { numRuns: 500 },
  );
});

test('property: quick fixes never add syntax errors and remove what they fix', () => {
  let applied = 0;
  const source = fc.oneof(
    planText,
    fc.tuple(planText, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([t, m]) => mutate(t, m)),
  );
  fc.assert(
    fc.property(source, (text) => {
      const r = checkText(text, '/plans/p.moeplan', { fileExists: () => true });
      if (r.parse.diagnostics.length > 0) return; // fixes are best-effort in files with syntax errors
      for (const d of r.diagnostics) {
        for (const f of d.fixes ?? []) {
          applied++;
          const after = checkText(applyEdits(text, f.edits), '/plans/p.moeplan', { fileExists: () => true });
          assert.deepEqual(after.parse.diagnostics, [], `fix "${f.title}" for ${d.code}`);
          if (d.code.startsWith('MP1')) continue; // value fixes may reveal a deeper problem with the same code
          const same = (xs: typeof r.diagnostics) => xs.filter((x) => x.code === d.code && x.message === d.message).length;
          assert.ok(same(after.diagnostics) < same(r.diagnostics), `fix "${f.title}" leaves ${d.code}: ${d.message}`);
        }
      }
    }),
    { numRuns: 300 },
  );
  assert.ok(applied > 50, `only ${applied} fixes were exercised`);
});
