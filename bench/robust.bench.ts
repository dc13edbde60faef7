// `npm run bench -- robust`: how far a placement planned on one kind of
// traffic carries to another, and what planning on several at once buys.
//
// The real Mixtral-8x7B routing traces (gsm8k and humaneval, read from the
// benchmark data folder, bench/data.ts; never copied), 2 × H100, 4, 5 and 6 expert slots per
// GPU, for the single-token objective (E[T]) and for the batch-aware one
// (µs per layer at batch 1 under SGLang's static dispatch: at Mixtral's
// batch 32 every step activates all 8 experts, so every one-copy placement
// reads the same weights and takes the same time, and replicas only add
// weight reads). Per slots value:
//
// - each trace's own optimum (exact for E[T]; the search's best for µs);
// - the placement planned on gsm8k alone, on humaneval (and back): the
//   out-of-sample gap the issue measured (+8.1 / +9.4 / +4.1% for E[T]);
// - planned on both at once (`mix mean` and `mix worst`): in sample, held
//   out, on each trace against that trace's own optimum, and EPLB planned on
//   both for comparison;
// - the drift gate on the real traces: gsm8k's committed placement checked
//   against humaneval at 5 slots, with a 5% and a 15% limit.
//
// Figures, not pass/fail. Times are wall clock on whatever else the machine
// runs; the figures of E[T] do not depend on time when the exact policy
// proves its answer, the others can move a little with the budget.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkText } from '../server/src/plan/check';
import type { Plan } from '../server/src/plan/types';
import type { PlanResults } from '../server/src/protocol';
import { analyzePlan, startDriftCheck } from '../server/src/analysis/index';
import { loadWorkload } from '../server/src/workload/load';
import type { LayerDistribution } from '../server/src/workload/types';
import { expectedTime } from '../server/src/cost/evaluate';
import { solveLayer } from '../server/src/solve/index';
import { solveInputFor } from '../server/src/analysis/solveInput';
import { LayerStepContext } from '../server/src/analysis/stepFigures';
import { DEFAULTS } from '../server/src/plan/defaults';
import { BENCH_DATA } from './data';

const DATA = join(BENCH_DATA, 'mixtral-8x7b-routing');
const GSM = join(DATA, 'gsm8k_2_routing.jsonl');
const HE = join(DATA, 'humaneval_2_routing.jsonl');
const SLOTS = [4, 5, 6];
const BUDGET_S = 5;
/** The batch of the batch-aware table (see the header). */
const LATENCY_BATCH = 1;

type Objective = 'expected-time' | 'latency';

function planText(slots: number, objective: Objective, policy: string, workload: string): string {
  const batch = objective === 'latency' ? `  batch ${LATENCY_BATCH} tokens\n` : '';
  return `model mixtral-8x7b\ngpu h100-sxm x 2\nslots ${slots} per gpu\nworkload {\n${workload}\n${batch}}\nplacement {\n  policy ${policy} ${BUDGET_S} s\n  objective ${objective}\n}\n`;
}

function planOf(text: string): Plan {
  const file = join(__dirname, 'robust-bench.moeplan');
  const checked = checkText(text, file);
  const errors = checked.diagnostics.filter((d) => d.severity === 'error');
  if (!checked.plan || errors.length > 0) throw new Error(errors.map((d) => d.message).join('; '));
  return checked.plan;
}

/** A placement per layer scored on a workload's layers: mean E[T] and µs (fresh batches, the analysis' own). */
function score(plan: Plan, layers: readonly LayerDistribution[], placements: readonly number[][][]): { et: number; us: number } {
  let et = 0;
  let us = 0;
  layers.forEach((d, l) => {
    et += expectedTime(d, placements[l]);
    us += new LayerStepContext(plan, d, undefined).figure(placements[l]).us;
  });
  return { et: et / layers.length, us: us / layers.length };
}

const pct = (a: number, b: number) => `${a >= b ? '+' : ''}${((a / b - 1) * 100).toFixed(1)}%`;

function table(rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
}

async function objectiveTable(objective: Objective): Promise<void> {
  const unit = objective === 'latency' ? `µs per layer at batch ${LATENCY_BATCH}, static dispatch` : 'E[T], single token';
  console.log(
    `\n## ${objective === 'latency' ? 'batch-aware objective (latency)' : 'single-token objective (expected-time)'}: ${unit}; 2 × H100, policy search ${BUDGET_S} s unless said`,
  );
  const fig = (x: { et: number; us: number }) => (objective === 'latency' ? x.us.toFixed(1) : x.et.toFixed(4));
  const value = (x: { et: number; us: number }) => (objective === 'latency' ? x.us : x.et);
  const rows: string[][] = [['slots', 'placement planned on', 'in sample', 'held out', 'on gsm8k', 'vs its opt', 'on humaneval', 'vs its opt', 's']];
  for (const slots of SLOTS) {
    const both = planOf(planText(slots, objective, 'search', `  trace "${GSM}"\n  trace "${HE}"`));
    const w = await loadWorkload(both);
    const [gsm, he] = w.parts!;
    const own = objective === 'latency' ? 'search' : 'exact';
    const run = async (workload: string, policy = 'search') => {
      const t0 = performance.now();
      const r = await analyzePlan(planOf(planText(slots, objective, policy, workload)), { sweeps: false });
      return { r, s: (performance.now() - t0) / 1000 };
    };
    const placements = (r: PlanResults) => r.layers.map((l) => l.placement);
    const gsmOwn = await run(`  trace "${GSM}"`, own);
    const heOwn = await run(`  trace "${HE}"`, own);
    const optG = score(both, gsm.layers, placements(gsmOwn.r));
    const optH = score(both, he.layers, placements(heOwn.r));
    const line = (name: string, r: PlanResults | undefined, placed: readonly number[][][], s: number) => {
      const g = score(both, gsm.layers, placed);
      const h = score(both, he.layers, placed);
      const inSample = r ? (objective === 'latency' ? r.latencyUs : r.expectedTime) : NaN;
      const held = r?.heldOut ? (objective === 'latency' ? r.heldOut.latencyUs : r.heldOut.expectedTime) : NaN;
      rows.push([
        String(slots),
        name,
        Number.isFinite(inSample) ? (objective === 'latency' ? inSample.toFixed(1) : inSample.toFixed(4)) : '',
        Number.isFinite(held) ? (objective === 'latency' ? held.toFixed(1) : held.toFixed(4)) : '',
        fig(g),
        pct(value(g), value(optG)),
        fig(h),
        pct(value(h), value(optH)),
        s > 0 ? s.toFixed(1) : '',
      ]);
    };
    line(`gsm8k alone (${own}: its optimum)`, gsmOwn.r, placements(gsmOwn.r), gsmOwn.s);
    line(`humaneval alone (${own}: its optimum)`, heOwn.r, placements(heOwn.r), heOwn.s);
    for (const mix of ['mean', 'worst']) {
      const m = await run(`  trace "${GSM}"\n  trace "${HE}"\n  mix ${mix}`);
      line(`both, mix ${mix}`, m.r, placements(m.r), m.s);
    }
    // EPLB planned on both (the mixture's loads), for comparison.
    const eplb = w.layers.map((d) => solveLayer('eplb', solveInputFor(both, d, both.hardware.slotsPerGpu, 100)).placement);
    line('both, EPLB', undefined, eplb, 0);
  }
  table(rows);
  console.log('(vs its opt: against the placement planned on that trace alone; held out: planned on the planning part, scored on the held-out part)');
}

async function driftGate(): Promise<void> {
  console.log(`\n## drift gate: gsm8k's committed placement checked against humaneval (5 slots, objective expected-time, policy exact ${BUDGET_S} s)`);
  const base = planOf(planText(5, 'expected-time', 'exact', `  trace "${GSM}"`));
  const solved = await analyzePlan(base, { sweeps: false });
  const committed = new Map(solved.layers.map((l) => [l.layer, { layer: l.layer, gpus: l.placement, gpuRanges: [] }]));
  const plan: Plan = { ...base, placement: { ...base.placement, committed } };
  for (const limit of [0.05, 0.15]) {
    const t0 = performance.now();
    const r = await startDriftCheck(plan, { path: 'humaneval_2_routing.jsonl', absPath: HE, maxRegression: { value: limit, source: 'bench' } }).result;
    console.log(
      `limit ${(limit * 100).toFixed(0)}%: committed E[T] ${r.committed.expectedTime.toFixed(4)} vs fresh ${r.fresh.expectedTime.toFixed(4)} → ` +
        `+${(r.regression * 100).toFixed(1)}%: ${r.exceeded ? 'exit 1' : 'exit 0'} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
}

export async function run(): Promise<void> {
  if (!existsSync(GSM) || !existsSync(HE)) {
    console.log(`skipped: the Mixtral traces are not in ${DATA}`);
    return;
  }
  const bundled = join(__dirname, '..', 'dist', 'server.js');
  if (existsSync(bundled)) process.env.MOEPLAN_WORKER_JS = bundled;
  console.log(
    `Mixtral-8x7B routing traces (gsm8k, humaneval); analysis on worker threads (${existsSync(bundled) ? 'dist/server.js' : 'TypeScript sources'}); default time budget ${DEFAULTS.timeBudgetMs.value / 1000} s, here ${BUDGET_S} s`,
  );
  await objectiveTable('expected-time');
  await objectiveTable('latency');
  await driftGate();
}
