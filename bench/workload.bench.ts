// Workload ingestion and generation speed: the real Mixtral JSONL traces and
// SGLang DeepSeek-V3 counts in the benchmark data folder (bench/data.ts) (records/s, against a bare
// line-split + JSON.parse baseline in the same run), and the synthetic
// generator at DeepSeek-V3 scale (200k tokens, 256 experts, top-8, 58
// layers, group-limited). Times are wall clock and CPU (the machine is shared).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readTrace } from '../server/src/workload/readers/index';
import { generateSynthetic } from '../server/src/workload/synthetic';
import { BENCH_DATA } from './data';

const DATA = BENCH_DATA;

async function timed<T>(f: () => Promise<T> | T): Promise<{ value: T; ms: number; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await f();
  const c = process.cpuUsage(c0);
  return { value, ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export async function run(): Promise<void> {
  if (!existsSync(DATA)) {
    console.log(`skipped: no routing data in ${DATA} (set MOEPLAN_BENCH_DATA)`);
  } else {
    const mixtral = { layers: 32, experts: 8, topK: 2, name: 'Mixtral-8x7B' };
    for (const name of ['gsm8k_2_routing.jsonl', 'humaneval_2_routing.jsonl']) {
      const file = join(DATA, 'mixtral-8x7b-routing', name);
      if (!existsSync(file)) {
        console.log(`skipped: ${file} not found`);
        continue;
      }
      const text = readFileSync(file, 'utf8');
      const lines = text.split('\n').filter((l) => l.trim() !== '');
      // warm up once, then measure
      await readTrace(file, { model: mixtral });
      const base = await timed(() => {
        let n = 0;
        for (const l of readFileSync(file, 'utf8').split('\n')) if (l.trim() !== '') n += (JSON.parse(l) as { layer: number }).layer >= 0 ? 1 : 0;
        return n;
      });
      const r = await timed(() => readTrace(file, { model: mixtral }));
      const w = r.value;
      console.log(
        `mixtral ${name}: ${fmt(lines.length)} records in ${fmt(r.ms, 1)} ms (cpu ${fmt(r.cpuMs, 1)} ms) = ` +
          `${fmt(lines.length / (r.ms / 1000))} records/s; ${fmt(base.ms / r.ms, 2)}× the speed of bare split+JSON.parse (${fmt(base.ms, 1)} ms); ` +
          `layer 0: ${w.layers[0].count} distinct pairs of ${w.layers[0].total} tokens; sequence ${w.sequence?.tokens ?? 0} tokens`,
      );
    }
    const ds = { layers: 58, experts: 256, topK: 8, firstMoeLayer: 3, name: 'DeepSeek-V3' };
    const dir = join(DATA, 'deepseek-v3-sglang-expert-counts');
    for (const name of ['decode_in1000out1000.json', 'prefill_in4096.json']) {
      const file = join(dir, name);
      if (!existsSync(file)) {
        console.log(`skipped: ${file} not found`);
        continue;
      }
      const size = statSync(file).size;
      const base = await timed(() => (JSON.parse(readFileSync(file, 'utf8')) as { logical_count: number[][] }).logical_count.length);
      const r = await timed(() => readTrace(file, { model: ds }));
      console.log(
        `sglang ${name}: ${fmt(size / 1024)} KiB, 61 × 256 counts → 58 layers × 20,000 sampled tokens in ${fmt(r.ms)} ms (cpu ${fmt(r.cpuMs)} ms); ` +
          `parse alone ${fmt(base.ms, 1)} ms; sampling ${fmt((58 * 20000) / ((r.ms - base.ms) / 1000))} tokens·layers/s; ` +
          `layer 0: ${fmt(r.value.layers[0].count)} distinct subsets`,
      );
    }
  }

  const spec = { kind: 'synthetic' as const, tokens: 200_000, seed: 3, skew: 1.2, concentration: 0.6, topics: 32 };
  const dsv3 = { layers: 58, experts: 256, topK: 8, groups: { count: 8, topGroups: 4 } };
  const small = await timed(() => generateSynthetic({ ...spec, tokens: 20_000 }, dsv3, { maxSequenceIds: 0 }));
  console.log(`synthetic DeepSeek-V3 scale, 20k tokens × 58 layers: ${fmt(small.ms)} ms (cpu ${fmt(small.cpuMs)} ms) — baseline for the 10× run below`);
  const big = await timed(() => generateSynthetic(spec, dsv3));
  const w = big.value;
  const distinct = w.layers.reduce((a, d) => a + d.count, 0) / w.layers.length;
  console.log(
    `synthetic DeepSeek-V3 scale, 200k tokens × 58 layers × top-8 (group-limited 4 of 8): ${fmt(big.ms)} ms (cpu ${fmt(big.cpuMs)} ms), ` +
      `${fmt(big.ms / small.ms, 1)}× the 20k run; ${fmt((200_000 * 58) / (big.ms / 1000))} token·layers/s; ` +
      `${fmt(distinct)} distinct subsets per layer on average; sequence kept for ${fmt(w.sequence?.tokens ?? 0)} tokens`,
  );
  const dbrx = await timed(() => generateSynthetic({ ...spec, skew: 1.3, concentration: 0.5, topics: 24 }, { layers: 40, experts: 16, topK: 4 }));
  console.log(
    `synthetic DBRX scale, 200k tokens × 40 layers × top-4: ${fmt(dbrx.ms)} ms (cpu ${fmt(dbrx.cpuMs)} ms), ${fmt(dbrx.value.layers[0].count)} distinct subsets in layer 0`,
  );
}
