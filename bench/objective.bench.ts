// `npm run bench -- objective [--quick]`: the latency objective (µs per MoE
// layer at a batch, under a dispatch rule) across batches and rules.
//
// For the real Mixtral traces (2 GPUs, 5 and 6 slots) and a DeepSeek-V3-like
// synthetic case (256 experts, top-8 in 4 of 8 groups, 32 GPUs in 4 nodes, 9
// slots), at batch 1, 8, 32, 128, 512 and 4,096 and under each dispatch rule:
// the µs per layer of every baseline, one copy per expert, the E[T] optimum
// and the default policy (search), its ratio to the best of them, the lower
// bound, and the solve time per layer. Every figure is on the fresh batches
// the analysis reports (not the ones the search optimised on). Times are on a
// shared machine: read ratios.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LayerDistribution } from '../server/src/workload/types';
import { readTrace } from '../server/src/workload/readers/index';
import { generateSynthetic } from '../server/src/workload/synthetic';
import { checkText } from '../server/src/plan/check';
import { analyzeLayer } from '../server/src/analysis/layer';
import type { Plan } from '../server/src/plan/types';
import { BENCH_DATA } from './data';

const DATA = BENCH_DATA;
const QUICK = process.argv.includes('--quick');
const BATCHES = [1, 8, 32, 128, 512, 4096];
const RULES = ['static', 'random', 'balanced'] as const;
const SHOWN = ['contiguous', 'round-robin', 'eplb', 'one-copy', 'expected-time-optimum', 'search'] as const;

interface Case {
  name: string;
  model: string;
  gpus: string;
  slots: number;
  layers: LayerDistribution[];
  budgetMs: number;
}

function planFor(c: Case, batch: number, rule: string): Plan {
  const text = `${c.model}\n${c.gpus}\nslots ${c.slots} per gpu\nworkload {\n  batch ${batch} tokens\n}\nplacement {\n  policy search\n  dispatch ${rule}\n}\n`;
  const r = checkText(text, '/tmp/objective-bench.moeplan');
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || !r.plan) throw new Error(errors.map((d) => d.message).join('; '));
  return r.plan;
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
}

function runCase(c: Case): void {
  console.log(`\n## ${c.name}: ${c.layers.length} layer(s), ${c.slots} slots per GPU, ${c.budgetMs} ms per layer`);
  const widths = [6, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9];
  console.log(pad(['batch', 'dispatch', 'contig', 'rr', 'eplb', 'one-copy', 'E[T]-opt', 'search', 'vs best', 'bound', 'ms/layer'], widths));
  let worst = -Infinity;
  for (const batch of BATCHES) {
    for (const rule of RULES) {
      const plan = planFor(c, batch, rule);
      const sums = new Map<string, number>();
      let bound = 0;
      let ms = 0;
      for (const dist of c.layers) {
        const out = analyzeLayer({ plan, dist, policy: 'search', budgetMs: c.budgetMs, slotsPerGpu: plan.hardware.slotsPerGpu });
        for (const f of out.result.policies) sums.set(f.policy, (sums.get(f.policy) ?? 0) + f.latencyUs);
        // The reported figure of the layer is the policy's (after the guarantee).
        sums.set('search', (sums.get('search') ?? 0) - (out.result.policies.find((f) => f.policy === 'search')?.latencyUs ?? 0) + out.result.latencyUs);
        bound += out.result.lowerBoundUs;
        ms += out.solver.ms;
      }
      const L = c.layers.length;
      const mean = (name: string) => (sums.has(name) ? sums.get(name)! / L : NaN);
      const best = Math.min(
        ...SHOWN.filter((n) => n !== 'search')
          .map(mean)
          .filter(Number.isFinite),
      );
      const ratio = mean('search') / best;
      worst = Math.max(worst, ratio);
      const us = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '—');
      console.log(
        pad([String(batch), rule, ...SHOWN.map((n) => us(mean(n))), `${((ratio - 1) * 100).toFixed(1)}%`, us(bound / L), (ms / L).toFixed(0)], widths),
      );
    }
  }
  console.log(`worst ratio of search to the best baseline: ${worst.toFixed(4)} (≤ 1 means never slower)`);
}

export async function run(): Promise<void> {
  const mixtral = join(DATA, 'mixtral-8x7b-routing');
  if (existsSync(mixtral)) {
    const model = { layers: 32, experts: 8, topK: 2, firstMoeLayer: 0, name: 'Mixtral-8x7B' };
    for (const file of ['gsm8k_2_routing.jsonl', 'humaneval_2_routing.jsonl']) {
      const w = await readTrace(join(mixtral, file), { model, maxSequenceIds: 0 });
      const layers = QUICK ? w.layers.slice(0, 8) : w.layers;
      for (const slots of [5, 6])
        runCase({ name: `Mixtral-8x7B, real trace ${file}`, model: 'model mixtral-8x7b', gpus: 'gpu h100-sxm x 2', slots, layers, budgetMs: 80 });
      if (QUICK) break;
    }
  } else console.log(`\nskipped the real Mixtral traces: no routing data at ${mixtral} (set MOEPLAN_BENCH_DATA)`);
  const v3 = generateSynthetic(
    { kind: 'synthetic', tokens: 20_000, seed: 3, skew: 1.2, concentration: 0.6, topics: 32 },
    { layers: QUICK ? 2 : 4, experts: 256, topK: 8, groups: { count: 8, topGroups: 4 } },
  );
  runCase({
    name: 'DeepSeek-V3-like synthetic (our generator: skew 1.2, concentration 0.6, 32 topics, 20,000 tokens)',
    model: 'model deepseek-v3 {\n  groups 8 top 4\n}',
    gpus: 'gpu h100-sxm x 32 in 4 nodes',
    slots: 9,
    layers: v3.layers,
    budgetMs: 300,
  });
}
