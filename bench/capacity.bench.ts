// `npm run bench -- capacity`: how many redundant experts, at what batch.
//
// The Mixtral example (2 × H100) and the DeepSeek-V3 example (32 × H100),
// each with a context of 4,096 tokens and a 50 ms target (what-if flags, as
// `moeplan solve --context 4096 --target 50ms` gives them): the recommended
// slots and batch, the Pareto front of throughput against latency, and the
// throughput within the target of the recommendation, of no replicas (one
// copy of every expert) and of the most replicas memory allows — with the
// time the sweep took against its share of the plan's budget. Wall-clock
// times on a shared machine are noisy; the throughput figures are the
// cost model's and do not depend on the machine beyond how far the
// searches got within their budget.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkText } from '../server/src/plan/check';
import { analyzePlan } from '../server/src/analysis/index';
import type { PlanResults } from '../server/src/protocol';
import { latencyText, pointLatencyUs, tokensPerSecond } from '../server/src/feedback/capacityText';
import * as f from '../server/src/display';
import { capacitySummary } from '../server/src/cli/capacityTable';

const EXAMPLES = join(__dirname, '..', 'examples');

async function example(file: string, title: string, decode = false): Promise<void> {
  const path = join(EXAMPLES, file);
  let text = readFileSync(path, 'utf8');
  // The KV-cache trade-off is a decode question: a prefill example is read as its decode deployment.
  if (decode && /phase prefill/.test(text)) {
    text = text.replace(/phase prefill \d+ tokens/, 'phase decode output 1000 tokens');
    title += ' (its phase line read as `phase decode output 1000 tokens`)';
  }
  const r = checkText(text, path, {});
  if (!r.plan) throw new Error(`${file} does not check`);
  const plan = r.plan;
  const started = performance.now();
  const res: PlanResults = await analyzePlan(plan, { overrides: { context: 4096, targetS: 0.05 } });
  const wall = (performance.now() - started) / 1000;
  const c = res.capacity!;
  const G = plan.hardware.count;
  console.log(
    `\n## ${title}: ${res.model.name} on ${G} × ${res.hardware.gpu}, ${plan.workload.phase.value}, context 4,096 tokens, target ${latencyText(c.target.us!, c.target.metric)}`,
  );
  console.log(
    `KV cache ${res.model.kvBytesPerToken?.toLocaleString('en-US')} B per token; per GPU: dense weights ${f.bytes(c.memory.denseBytes)}, shared experts ${f.bytes(c.memory.sharedBytes)}, activations ${f.bytes(c.memory.activationBytes)}, one slot ${f.bytes(c.memory.slotBytes)}`,
  );
  console.log(
    `sweep: ${c.sampled}; whole analysis ${wall.toFixed(1)} s against the plan's ${(plan.placement.timeBudgetMs.value / 1000).toFixed(0)} s budget (machine shared)`,
  );
  const rec = c.recommended;
  const first = c.bySlots[0];
  const last = c.bySlots[c.bySlots.length - 1];
  const within = (label: string, b: (typeof c.bySlots)[number] | undefined) =>
    b
      ? `${label} (${b.slotsPerGpu} slots, ${b.redundantExperts} redundant): ${b.best ? `${tokensPerSecond(b.best.tokensPerSecond)} at batch ${f.count(b.best.batch)}, ${latencyText(pointLatencyUs(b.best), c.target.metric)}` : 'nothing within the target'}`
      : `${label}: —`;
  console.log('throughput within the target:');
  console.log(`  ${within('recommendation', rec ? c.bySlots.find((b) => b.slotsPerGpu === rec.slotsPerGpu) : undefined)}`);
  console.log(`  ${within('no replicas', first)}`);
  console.log(`  ${within('most replicas memory allows', last)}`);
  if (rec && first?.best) console.log(`  recommendation / no replicas: ${(rec.tokensPerSecond / first.best.tokensPerSecond).toFixed(2)}×`);
  if (rec && last?.best) console.log(`  recommendation / most replicas: ${(rec.tokensPerSecond / last.best.tokensPerSecond).toFixed(2)}×`);
  // The recommendation, the best point per slot count and the Pareto front, as `moeplan solve` prints them.
  for (const line of capacitySummary(res)) console.log(line);
}

export async function run(): Promise<void> {
  await example('mixtral-8x7b.moeplan', 'Mixtral example');
  await example('deepseek-v3.moeplan', 'DeepSeek-V3 example', true);
}
