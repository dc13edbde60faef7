// `npm run bench -- solve [--long | --cases | --plans | --evaluator]`: placement policies compared.
//
// Per case and slots per GPU: mean E[T] over layers of every policy, its
// ratio to EPLB and to the lower bound, and the time taken; the real Mixtral
// traces (plan on gsm8k_2, evaluate on both files); synthetic DBRX,
// DeepSeek-MoE-16B and DeepSeek-V3 scale; exact E[T] time of a 50k-subset V3
// layer; the whole Mixtral example; the 58-layer V3 example at 10 s (and 60 s
// with --long). Times are wall clock on a shared machine: read ratios, not
// absolute figures, and compare with the "trivial pass" reference printed
// beside the evaluator timing.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LayerDistribution } from '../server/src/workload/types';
import type { PolicyName } from '../server/src/plan/types';
import { readTrace } from '../server/src/workload/readers/index';
import { generateSynthetic } from '../server/src/workload/synthetic';
import { solveLayer } from '../server/src/solve/index';
import { expectedTime } from '../server/src/cost/evaluate';
import { lowerBound } from '../server/src/cost/bounds';
import { checkText } from '../server/src/plan/check';
import { analyzePlan } from '../server/src/analysis/index';
import { solveInputFor } from '../server/src/analysis/layer';
import { loadWorkload } from '../server/src/workload/load';
import { BENCH_DATA, deepseekV3Input } from './data';

const DATA = BENCH_DATA;
const LONG = process.argv.includes('--long');

interface Case {
  name: string;
  layers: LayerDistribution[];
  /** Evaluate the placements also on these (out-of-sample), when given. */
  evalOn?: { name: string; layers: LayerDistribution[] };
  gpus: number;
  gpusPerNode: number;
  groups?: number;
  slots: number[];
  policies: { policy: PolicyName; budgetMs: number }[];
}

function row(cells: (string | number)[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
}

function runCase(c: Case): void {
  console.log(
    `\n## ${c.name}: ${c.layers[0].experts} experts, top-${c.layers[0].k}, ${c.gpus} GPUs, ${c.layers.length} layer(s), ${c.layers[0].count.toLocaleString('en-US')} subsets in layer ${c.layers[0].layer}`,
  );
  const widths = [12, 6, 9, 9, 9, 10, 10];
  const header = ['policy', 'slots', 'E[T]', 'vs eplb', 'vs bound', 'ms/layer', c.evalOn ? `on ${c.evalOn.name}` : ''];
  console.log(row(header, widths));
  for (const slots of c.slots) {
    const capacity = new Array<number>(c.gpus).fill(slots);
    const bound = mean(c.layers.map((d) => lowerBound({ dist: d, capacity, replicas: true }).value));
    const results = new Map<string, { et: number; ms: number; out?: number; optimal: number }>();
    for (const { policy, budgetMs } of c.policies) {
      let et = 0;
      let ms = 0;
      let out = 0;
      let optimal = 0;
      c.layers.forEach((d, i) => {
        const r = solveLayer(policy, {
          dist: d,
          gpus: c.gpus,
          slotsPerGpu: capacity,
          gpusPerNode: c.gpusPerNode,
          groups: c.groups,
          constraints: { pins: [], forbids: [], replicas: true },
          seed: 1 + i,
          timeBudgetMs: budgetMs,
        });
        et += r.expectedTime;
        ms += r.ms;
        if (r.optimal) optimal++;
        if (c.evalOn) out += expectedTime(c.evalOn.layers[i], r.placement);
      });
      const L = c.layers.length;
      results.set(policy, { et: et / L, ms: ms / L, out: c.evalOn ? out / L : undefined, optimal });
    }
    const eplb = results.get('eplb')!.et;
    for (const [policy, r] of results) {
      console.log(
        row(
          [
            policy + (r.optimal === c.layers.length ? ' *' : ''),
            slots,
            r.et.toFixed(4),
            (r.et / eplb).toFixed(3),
            (r.et / bound).toFixed(3),
            r.ms.toFixed(1),
            r.out !== undefined ? r.out.toFixed(4) : '',
          ],
          widths,
        ),
      );
    }
    console.log(row(['lower bound', slots, bound.toFixed(4), (bound / eplb).toFixed(3), '1.000', '', ''], widths));
  }
  console.log('(* = optimality proved on every layer)');
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}

function synthetic(
  tokens: number,
  experts: number,
  topK: number,
  layers: number,
  seed: number,
  groups?: { count: number; topGroups: number },
): LayerDistribution[] {
  return generateSynthetic(
    { kind: 'synthetic', tokens, seed, skew: 1.2, concentration: 0.6, topics: 32 },
    { layers, experts, topK, groups },
    { maxSequenceIds: 0 },
  ).layers;
}

const FAST: { policy: PolicyName; budgetMs: number }[] = [
  { policy: 'contiguous', budgetMs: 100 },
  { policy: 'round-robin', budgetMs: 100 },
  { policy: 'eplb', budgetMs: 100 },
  { policy: 'greedy', budgetMs: 60_000 },
];

async function mixtralTraces(): Promise<void> {
  const dir = join(DATA, 'mixtral-8x7b-routing');
  if (!existsSync(dir)) {
    console.log(`\nskipped: no routing data at ${dir} (set MOEPLAN_BENCH_DATA)`);
    return;
  }
  const model = { layers: 32, experts: 8, topK: 2, firstMoeLayer: 0, name: 'Mixtral-8x7B' };
  const gsm = await readTrace(join(dir, 'gsm8k_2_routing.jsonl'), { model, maxSequenceIds: 0 });
  const he = await readTrace(join(dir, 'humaneval_2_routing.jsonl'), { model, maxSequenceIds: 0 });
  const policies = [...FAST, { policy: 'search' as PolicyName, budgetMs: 500 }, { policy: 'exact' as PolicyName, budgetMs: 2000 }];
  runCase({
    name: 'Mixtral-8x7B real trace, planned on gsm8k_2',
    layers: gsm.layers,
    evalOn: { name: 'humaneval', layers: he.layers },
    gpus: 2,
    gpusPerNode: 2,
    slots: [4, 5, 6],
    policies,
  });
  runCase({
    name: 'Mixtral-8x7B real trace, planned on humaneval_2',
    layers: he.layers,
    evalOn: { name: 'gsm8k', layers: gsm.layers },
    gpus: 2,
    gpusPerNode: 2,
    slots: [4, 5, 6],
    policies,
  });
}

function evaluatorTiming(): void {
  console.log('\n## exact E[T] of one DeepSeek-V3-scale layer (256 experts, top-8, 32 GPUs, 9 slots)');
  const [d] = synthetic(50_000, 256, 8, 1, 11, { count: 8, topGroups: 4 });
  const r = solveLayer('eplb', deepseekV3Input(d, 100));
  for (let i = 0; i < 3; i++) expectedTime(d, r.placement);
  const reps = 20;
  let t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) expectedTime(d, r.placement);
  const ms = (performance.now() - t0) / reps;
  const cpu = process.cpuUsage(c0);
  const cpuMs = (cpu.user + cpu.system) / 1e3 / reps;
  // Reference: one pass reading every id and weight (no matching), same data.
  let sink = 0;
  t0 = performance.now();
  for (let i = 0; i < reps; i++) {
    for (let s = 0; s < d.count; s++) {
      let x = 0;
      for (let j = 0; j < d.k; j++) x += d.ids[s * d.k + j];
      sink += x * d.weights[s];
    }
  }
  const ref = (performance.now() - t0) / reps;
  console.log(
    `${d.count.toLocaleString('en-US')} subsets: ${ms.toFixed(2)} ms per exact E[T] (target ≤ 10 ms; CPU ${cpuMs.toFixed(2)} ms); trivial pass over the same data ${ref.toFixed(2)} ms (ratio ${(ms / ref).toFixed(1)})${sink === -1 ? '' : ''}`,
  );
}

/** The example's layers solved one after another in this thread: solve time without worker start-up. */
async function exampleInProcess(file: string, budgetMs: number): Promise<void> {
  const abs = join(__dirname, '..', 'examples', file);
  const checked = checkText(readFileSync(abs, 'utf8'), abs);
  if (!checked.plan) return;
  const plan = checked.plan;
  const w = await loadWorkload(plan);
  const t0 = performance.now();
  let proved = 0;
  let sum = 0;
  for (const d of w.layers) {
    const r = solveLayer('search', solveInputFor(plan, d, plan.hardware.slotsPerGpu, budgetMs / w.layers.length));
    sum += r.expectedTime;
    if (r.optimal) proved++;
  }
  console.log(
    `${file}: ${w.layers.length} layers solved in this thread (search, ${budgetMs} ms budget in all): ${(performance.now() - t0).toFixed(0)} ms, mean E[T] ${(sum / w.layers.length).toFixed(4)}, optimal proved on ${proved}`,
  );
}

async function examplePlan(file: string, budgetMs: number, policy?: PolicyName): Promise<void> {
  const abs = join(__dirname, '..', 'examples', file);
  const checked = checkText(readFileSync(abs, 'utf8'), abs);
  if (!checked.plan) {
    console.log(`${file}: plan has errors, skipped`);
    return;
  }
  const t0 = performance.now();
  const r = await analyzePlan(checked.plan, { timeBudgetMs: budgetMs, sweeps: false, policy });
  const wall = performance.now() - t0;
  const proved = r.layers.filter((l) => l.policies.some((p) => p.optimal && Math.abs(p.expectedTime - l.expectedTime) < 1e-9)).length;
  const worse = r.layers.filter((l) => l.expectedTime > l.baselines.eplb + 1e-12).length;
  console.log(
    `${file}: ${r.layers.length} layers, policy ${r.solver.name}, budget ${(budgetMs / 1000).toFixed(0)} s → wall ${(wall / 1000).toFixed(2)} s (worker start-up included); ` +
      `E[T] ${r.expectedTime.toFixed(4)} vs eplb ${r.baselines.eplb.toFixed(4)} (${((r.expectedTime / r.baselines.eplb - 1) * 100).toFixed(1)}%), ` +
      `bound ${r.lowerBound.toFixed(4)}; optimal proved on ${proved}; layers worse than eplb: ${worse}`,
  );
}

/** `--plans`: only the whole-plan timings; `--cases`: only the per-case tables. */
const ONLY_PLANS = process.argv.includes('--plans');
const ONLY_CASES = process.argv.includes('--cases');
/** `--evaluator`: only the exact E[T] timing (seconds instead of minutes). */
const ONLY_EVALUATOR = process.argv.includes('--evaluator');

export async function run(): Promise<void> {
  if (ONLY_EVALUATOR) return evaluatorTiming();
  if (!ONLY_PLANS) await cases();
  if (!ONLY_CASES) await plans();
}

async function cases(): Promise<void> {
  await mixtralTraces();
  const dbrx = synthetic(200_000, 16, 4, 2, 5);
  runCase({
    name: 'DBRX-like synthetic (200k tokens)',
    layers: dbrx,
    gpus: 4,
    gpusPerNode: 4,
    slots: [4, 5, 6, 8],
    policies: [...FAST, { policy: 'search', budgetMs: 2000 }, { policy: 'exact', budgetMs: 3000 }],
  });
  const ds16 = synthetic(200_000, 64, 6, 1, 6);
  runCase({
    name: 'DeepSeek-MoE-16B-like synthetic (200k tokens)',
    layers: ds16,
    gpus: 8,
    gpusPerNode: 8,
    slots: [8, 9, 10, 12],
    policies: [...FAST, { policy: 'search', budgetMs: 5000 }],
  });
  const v3 = synthetic(200_000, 256, 8, 1, 7, { count: 8, topGroups: 4 });
  runCase({
    name: 'DeepSeek-V3-like synthetic (200k tokens, group-limited routing)',
    layers: v3,
    gpus: 32,
    gpusPerNode: 8,
    groups: 8,
    slots: [8, 9, 10],
    policies: [...FAST.filter((p) => p.policy !== 'greedy'), { policy: 'greedy', budgetMs: 60_000 }, { policy: 'search', budgetMs: 10_000 }],
  });
  evaluatorTiming();
}

async function plans(): Promise<void> {
  console.log('\n## whole plans');
  await exampleInProcess('mixtral-8x7b.moeplan', 1000);
  const bundled = join(__dirname, '..', 'dist', 'server.js');
  if (existsSync(bundled)) process.env.MOEPLAN_WORKER_JS = bundled;
  console.log(`analysis on worker threads (${existsSync(bundled) ? 'bundled dist/server.js' : 'TypeScript sources via tsx'}), sweeps off:`);
  await examplePlan('mixtral-8x7b.moeplan', 1000, 'search');
  await examplePlan('deepseek-v3.moeplan', 10_000, 'search');
  if (LONG) await examplePlan('deepseek-v3.moeplan', 60_000, 'search');
  else console.log('(run with --long for the 60 s DeepSeek-V3 budget)');
}
