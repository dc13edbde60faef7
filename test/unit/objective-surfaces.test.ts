// One objective, one verdict: for committed placements faster and slower than
// the solver's, the lens, MP802, the placement hover and the view's policy
// table all name the same faster placement, by the plan's objective (µs per
// layer under latency, E[T] under expected-time) — never one by E[T] and
// another by µs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkText } from '../../server/src/plan/check';
import { analyzePlan } from '../../server/src/analysis';
import { layerLensTitle, solverDiagnostics } from '../../server/src/feedback';
import { objectiveValue } from '../../server/src/feedback/objective';
import { orderedPolicies } from '../../webview/src/derive';
import * as show from '../../server/src/display';

/** A displayed duration back to µs ("414 µs", "1.50 ms"). */
function micros(text: string): number {
  const m = /([\d.,]+) (ns|µs|ms|s)\b/.exec(text);
  assert.ok(m, `no duration in "${text}"`);
  return Number(m[1].replace(/,/g, '')) * { ns: 1e-3, µs: 1, ms: 1e3, s: 1e6 }[m[2] as 'ns' | 'µs' | 'ms' | 's'];
}

function plan(objective: string, committed: string) {
  const text = `model mixtral-8x7b {
  layers 2
}
gpu h100-sxm x 2
slots 5 per gpu
workload {
  synthetic tokens 3000 seed 5 skew 1.0 concentration 0.6 topics 4
  batch 32 tokens
}
placement {
  policy search
  time 1 s
  objective ${objective}
${committed}}
`;
  const r = checkText(text, '/plans/surfaces.moeplan');
  assert.ok(r.plan, JSON.stringify(r.diagnostics));
  return r.plan;
}

// Layer 0: one copy per expert, four on each GPU (fast at batch 32, the
// E[T] optimum's replicas cost reads); layer 1: hot replicas everywhere
// (good E[T], slow at batch 32).
const COMMITTED = `  layer 0 {
    gpu 0: 0 2 4 6
    gpu 1: 1 3 5 7
  }
  layer 1 {
    gpu 0: 0 1 2 3 4
    gpu 1: 0 1 5 6 7
  }
`;

for (const objective of ['latency', 'expected-time'] as const) {
  test(`every surface names the same faster placement (objective ${objective})`, async () => {
    const p = plan(objective, COMMITTED);
    const results = await analyzePlan(p, { workers: 1, sweeps: false, timeBudgetMs: 600 });
    const diags = solverDiagnostics(p, results, { slowerThresholdPct: 0 });
    for (const layer of results.layers) {
      const committed = layer.policies.find((f) => f.policy === 'committed')!;
      const solver = layer.policies.find((f) => f.policy === 'search')!;
      assert.ok(committed && solver);
      const truth = objectiveValue(committed, objective) > objectiveValue(solver, objective) * (1 + 1e-9);
      // MP802 warns exactly when the committed placement is slower by the objective.
      const mp802 = diags.some((d) => d.code === 'MP802' && d.message.startsWith(`Layer ${layer.layer}:`));
      assert.equal(mp802, truth, `layer ${layer.layer}: MP802 ${mp802} but committed slower ${truth}`);
      // The lens shows both figures; read back, they compare the same way.
      const lens = layerLensTitle(layer, results, p);
      const m = /committed (.*?) · .*?search (.*?)(?: ·|$)/.exec(lens);
      assert.ok(m, lens);
      const lensCommitted = objective === 'latency' ? micros(m[1]) : Number(/E\[T\] ([\d.]+)/.exec(m[1])![1]);
      const lensSolver = objective === 'latency' ? micros(m[2]) : Number(/E\[T\] ([\d.]+)/.exec(m[2])![1]);
      if (lensCommitted !== lensSolver) assert.equal(lensCommitted > lensSolver, truth, lens);
      // The view's policy table: the objective's column first, the same values.
      const rows = orderedPolicies(layer);
      const cell = (name: string) => {
        const q = rows.find((r) => r.policy === name)!;
        return objective === 'latency' ? show.micros(q.latencyUs) : show.expectedTime(q.expectedTime);
      };
      assert.equal(cell('committed'), objective === 'latency' ? show.micros(committed.latencyUs) : show.expectedTime(committed.expectedTime));
      assert.equal(cell('search'), objective === 'latency' ? show.micros(solver.latencyUs) : show.expectedTime(solver.expectedTime));
      if (mp802)
        assert.match(
          diags.find((d) => d.message.startsWith(`Layer ${layer.layer}:`))!.message,
          objective === 'latency' ? /takes [\d.]+ (µs|ms)/ : /takes E\[T\]/,
        );
    }
  });
}
