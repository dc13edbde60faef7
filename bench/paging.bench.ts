// Expert paging: hit rates and µs per token of every policy on the real
// Mixtral-8x7B traces (one GPU, 4, 5 and 6 expert slots per layer, all 32
// layers sharing them), on a DeepSeek-V3-scale synthetic case, and how fast
// the replay runs (token-layer steps per second; target ≥ 1 M).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildSteps,
  compareWithFormula,
  distributionsFromSequence,
  replay,
  simulatePaging,
  PAGING_POLICIES,
  STATIC_POLICY,
  type PagingHardware,
} from '../server/src/cost/paging';
import type { Plan } from '../server/src/plan/types';
import type { TokenSequence, Workload } from '../server/src/workload/types';
import { readTrace } from '../server/src/workload/readers';
import { H100, pagingPlan, type PagingPlanOptions } from '../test/unit/paging-fixtures';
import { BENCH_DATA } from './data';

const DATA = BENCH_DATA;

// PCIe Gen5 64 GB/s one way (NVIDIA H100 datasheet: 128 GB/s both ways); 10 µs per transfer is our assumption.
const PCIE = { bytesPerS: 64e9, latencyS: 10e-6 };

type BenchPlanOptions = Omit<PagingPlanOptions, 'source' | 'pcie'>;
const benchPlan = (o: BenchPlanOptions): Plan => pagingPlan({ ...o, source: 'bench', pcie: PCIE });

/** Replay-only hardware of one H100 for experts of hidden × ffn (FP8: one byte per weight). */
const h100Hardware = (hidden: number, ffn: number): PagingHardware => ({
  bytesPerExpert: 3 * hidden * ffn,
  flopsPerTokenPerExpert: 6 * hidden * ffn,
  hbmBytesPerS: H100.hbmBytesPerS,
  flops: H100.flops,
  pcieBytesPerS: PCIE.bytesPerS,
  pcieLatencyS: PCIE.latencyS,
});

const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(6);
const num = (x: number, w = 8) => (x < 100 ? x.toFixed(1) : x.toFixed(0)).padStart(w);

function table(plan: Plan, workload: Workload, label: string, prefetchBoth = true): void {
  for (const prefetch of prefetchBoth ? [false, true] : [true]) {
    const sim = simulatePaging(plan, workload, { prefetch });
    const parts = [...PAGING_POLICIES, STATIC_POLICY].map((p) => {
      const f = sim.overall[p];
      const d = sim.details[p];
      return `${p} ${pct(f.hitRate)} ${num(f.usPerToken)} µs (pin ${d.pinned.reduce((a, b) => a + b, 0)})`;
    });
    console.log(
      `${label.padEnd(26)} prefetch ${prefetch ? 'on ' : 'off'} | ${parts.join(' | ')} | resident ${num(sim.residentUsPerToken, 0)} µs | ${sim.ms.toFixed(0)} ms`,
    );
    if (prefetch) console.log(`${''.padEnd(26)} formula: ${compareWithFormula(plan, sim, 'layer-lru').message}`);
  }
}

/** Replay speed: token-layer steps per second, each policy, no pinning, prefetch on. */
function speed(seq: TokenSequence, experts: number, slots: number, hw: PagingHardware, label: string, repeat: number): void {
  const ids = new Int32Array(seq.ids.length * repeat);
  for (let r = 0; r < repeat; r++) ids.set(seq.ids, r * seq.ids.length);
  const long: TokenSequence = { ...seq, tokens: seq.tokens * repeat, ids };
  const t0 = performance.now();
  const stream = buildSteps(long, experts, 1);
  const buildMs = performance.now() - t0;
  const tokenLayers = long.tokens * long.layers;
  // CPU time, not wall time: the machine may be shared. Each policy runs
  // three times: the first run includes compiling the replay for this
  // policy; the best of the three is the steady rate.
  const parts = PAGING_POLICIES.map((policy) => {
    const rates: number[] = [];
    let wall = 0;
    for (let run = 0; run < 3; run++) {
      const c0 = process.cpuUsage();
      const r = replay(stream, { policy, capacity: [slots * seq.layers], prefetch: true, hardware: hw });
      const c = process.cpuUsage(c0);
      rates.push(tokenLayers / ((c.user + c.system) / 1e3) / 1e3);
      wall = Math.max(wall, tokenLayers / r.ms / 1e3);
    }
    return `${policy} ${rates[0].toFixed(2)} M/s first, ${Math.max(...rates).toFixed(2)} best (wall best ${wall.toFixed(2)})`;
  });
  console.log(
    `speed (CPU time) ${label}: ${tokenLayers.toLocaleString('en-US')} token-layer steps (k=${seq.k}); ` +
      `step stream ${(((tokenLayers / buildMs) * 1e3) / 1e6).toFixed(1)} M/s; replay ${parts.join(', ')}`,
  );
}

/** DeepSeek-V3-scale tokens: each token-layer draws 8 distinct experts by popularity. */
function deepseekSequence(tokens: number, popularity: Float64Array[], seed: number): TokenSequence {
  const L = popularity.length;
  const E = popularity[0].length;
  const k = 8;
  let x = seed >>> 0;
  const rnd = () => {
    x = (x + 0x6d2b79f5) >>> 0;
    let t = Math.imul(x ^ (x >>> 15), x | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const cum = popularity.map((p) => {
    const c = new Float64Array(E);
    let a = 0;
    for (let e = 0; e < E; e++) c[e] = a += p[e];
    return c;
  });
  const ids = new Int32Array(tokens * L * k);
  const chosen = new Int32Array(k);
  for (let t = 0; t < tokens; t++) {
    for (let l = 0; l < L; l++) {
      const c = cum[l];
      let n = 0;
      while (n < k) {
        const u = rnd() * c[E - 1];
        let lo = 0;
        let hi = E - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (c[mid] > u) hi = mid;
          else lo = mid + 1;
        }
        let dup = false;
        for (let j = 0; j < n; j++) if (chosen[j] === lo) dup = true;
        if (!dup) chosen[n++] = lo;
      }
      ids.set(chosen, (t * L + l) * k);
    }
  }
  return { tokens, layers: L, k, ids };
}

export async function run(): Promise<void> {
  const mixtralDir = join(DATA, 'mixtral-8x7b-routing');
  if (!existsSync(mixtralDir)) {
    console.log(`skipped Mixtral traces: no routing data in ${DATA} (set MOEPLAN_BENCH_DATA)`);
  } else {
    console.log('Mixtral-8x7B (FP8 experts, 176 MB each), one H100, PCIe 64 GB/s + 10 µs, batch 1 (decode).');
    console.log('Columns: policy, hit rate, µs per token over the 32 MoE layers (pinned expert-layers).');
    for (const name of ['gsm8k_2_routing.jsonl', 'humaneval_2_routing.jsonl']) {
      const file = join(mixtralDir, name);
      if (!existsSync(file)) continue;
      // The workload module's JSONL reader: distributions and the token order.
      const workload = await readTrace(file, { model: { layers: 32, experts: 8, topK: 2, name: 'Mixtral-8x7B' } });
      const seq = workload.sequence;
      if (!seq) {
        console.log(`${name}: skipped, the reader kept no token order (${workload.notes.join('; ')})`);
        continue;
      }
      console.log(`\n${name}: ${seq.tokens} tokens × 32 layers`);
      for (const slots of [4, 5, 6]) {
        const plan = benchPlan({
          name: 'Mixtral-8x7B',
          layers: 32,
          experts: 8,
          topK: 2,
          hidden: 4096,
          ffn: 14336,
          bytesPerWeight: 1,
          slotsPerGpu: [slots],
          batch: 1,
          tokens: seq.tokens,
        });
        table(plan, workload, `${slots} slots/layer (${slots * 32})`);
        if (slots === 4) {
          const any = simulatePaging(plan, workload, { prefetch: true, prefetchMinShare: 0, policies: ['layer-lru'] });
          const f = any.overall['layer-lru'];
          console.log(
            `${''.padEnd(26)} prefetch of any expert (no threshold): layer-lru ${pct(f.hitRate)} ${num(f.usPerToken)} µs ` +
              `(${any.details['layer-lru'].prefetches} prefetches, ${any.details['layer-lru'].prefetchHits} used)`,
          );
        }
      }
      if (name.startsWith('gsm8k')) {
        speed(seq, 8, 4, h100Hardware(4096, 14336), 'Mixtral ×100', 100);
      }
    }
  }

  // DeepSeek-V3 scale: 58 MoE layers × 256 experts, top-8, FP8 experts of 44 MB.
  const countsFile = join(DATA, 'deepseek-v3-sglang-expert-counts', 'decode_in1000out1000.json');
  const L = 58;
  const E = 256;
  let popularity: Float64Array[];
  let from: string;
  if (existsSync(countsFile)) {
    const counts = (JSON.parse(readFileSync(countsFile, 'utf8')) as { logical_count: number[][] }).logical_count;
    popularity = counts.slice(3, 3 + L).map((c) => Float64Array.from(c, (v) => v + 1));
    from = 'expert popularity from SGLang decode_in1000out1000 counts';
  } else {
    let x = 12345;
    const rnd = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 4294967296;
    popularity = Array.from({ length: L }, () =>
      Float64Array.from({ length: E }, () => Math.exp(Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd()))),
    );
    from = 'lognormal(σ=1) popularity (no routing data; set MOEPLAN_BENCH_DATA)';
  }
  const tokens = 1000;
  const seq = deepseekSequence(tokens, popularity, 7);
  const workload: Workload = {
    layers: distributionsFromSequence(seq, E),
    description: 'synthetic DeepSeek-V3',
    notes: [],
    sequence: seq,
  };
  console.log(`\nDeepSeek-V3 scale, synthetic: ${tokens} tokens × ${L} layers × top-8 of ${E}, ${from}, draws independent per token.`);
  for (const [slots, batch] of [
    [[32], 1],
    [[64], 1],
    [[32], 16],
    [Array(8).fill(16), 1],
  ] as [number[], number][]) {
    const plan = benchPlan({
      name: 'DeepSeek-V3',
      layers: L,
      experts: E,
      topK: 8,
      hidden: 7168,
      ffn: 2048,
      bytesPerWeight: 1,
      slotsPerGpu: slots,
      batch,
      tokens,
    });
    table(plan, workload, `${slots.length}×${slots[0]} slots, B=${batch}`, false);
  }
  speed(seq, E, 32, h100Hardware(7168, 2048), 'DeepSeek-V3 ×2', 2);
}
