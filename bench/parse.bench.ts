// Parse + resolve + check time for a generated 5,000-line plan (target:
// ≤ 50 ms for checkText). Prints median and p95 over repeated runs, and the
// ratio to JSON.parse of the same placement as JSON, measured in the same run;
// also the editor's re-check after a one-line edit (incremental).
import { parse } from '../server/src/language/parser';
import { resolvePlan } from '../server/src/plan/resolve';
import { checkText } from '../server/src/plan/check';
import { formatText } from '../server/src/language/formatter';
import { cpus, loadavg } from 'node:os';

const LAYERS = 75;
const GPUS = 64;
const EXPERTS = 256;
const SLOTS = 5;

/** A DeepSeek-like plan committing every layer: about 5,000 lines. */
export function generatePlan(): { text: string; json: string } {
  const lines: string[] = [
    '# Generated for the parse benchmark: DeepSeek-V3 geometry, 75 MoE layers, 64 GPUs.',
    'model deepseek-v3 {',
    `  layers ${LAYERS}`,
    `  total-layers ${LAYERS + 3}`,
    '}',
    `gpu h100-sxm x ${GPUS} in 8 nodes`,
    `slots ${SLOTS} per gpu`,
    'link nvlink 450 GB/s 1 us, network 50 GB/s 3 us',
    'workload {',
    '  synthetic tokens 20000 seed 1 skew 1.2 concentration 0.6 topics 32',
    '  batch 128 tokens',
    '}',
    'placement {',
    '  policy eplb',
  ];
  const layers: number[][][] = [];
  for (let l = 0; l < LAYERS; l++) {
    lines.push(`  # layer ${l}: contiguous plus one rotating replica per GPU`);
    lines.push(`  layer ${l} {`);
    const gpus: number[][] = [];
    for (let g = 0; g < GPUS; g++) {
      const own = [0, 1, 2, 3].map((i) => g * 4 + i);
      const extra = (g * 4 + 4 + l * 7) % EXPERTS;
      const experts = own.includes(extra) ? own : [...own, extra];
      gpus.push(experts);
      lines.push(`    gpu ${g}: ${experts.join(' ')}${g % 8 === 0 ? `  # node ${g / 8}` : ''}`);
    }
    layers.push(gpus);
    lines.push('  }');
  }
  lines.push('}');
  return { text: lines.join('\n') + '\n', json: JSON.stringify({ layers }) };
}

interface Timing {
  median: number;
  p95: number;
  min: number;
  /** Median CPU time of this thread (user + system), less sensitive to other processes on a shared machine. */
  cpuMedian: number;
}

/** Times fn(input) over `runs` runs; `setup` (untimed) makes a fresh input for each run. */
function time<T = void>(fn: (input: T) => void, runs: number, setup?: () => T): Timing {
  for (let i = 0; i < 3; i++) fn(setup?.() as T); // warm up the JIT
  const t: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const input = setup?.() as T;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn(input);
    t.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  t.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return {
    median: t[Math.floor(t.length / 2)],
    p95: t[Math.min(t.length - 1, Math.ceil(t.length * 0.95) - 1)],
    min: t[0],
    cpuMedian: cpu[Math.floor(cpu.length / 2)],
  };
}

export async function run(): Promise<void> {
  const { text, json } = generatePlan();
  const lineCount = text.split('\n').length - 1;
  const check = checkText(text, '/bench/generated.moeplan');
  const errors = check.diagnostics.filter((d) => d.severity === 'error');
  if (!check.plan || errors.length > 0) {
    console.log(`generated plan does not check clean: ${errors[0]?.message ?? 'no plan'}`);
    return;
  }
  const runs = 30;
  const base = time(() => JSON.parse(json), runs);
  // A second baseline that allocates like a parser does: one token-shaped object
  // (with a range and two positions) per token of the plan. On a loaded machine
  // allocation and GC slow down most; this ratio stays meaningful.
  const tokenCount = parse(text).tokens.length;
  const allocBase = time(() => {
    const out: unknown[] = [];
    for (let i = 0; i < tokenCount; i++)
      out.push({ kind: 'number', text: text.slice(i, i + 2), range: { start: { line: i, character: 1 }, end: { line: i, character: 3 } } });
    return out;
  }, runs);
  // The editor's path: after a one-line edit, the previous parse is re-used where the text did not change.
  const edited = text.replace('    gpu 5: 20 21 22 23', '    gpu 5: 20 21 23 22');
  if (edited === text) throw new Error('bench: the edited line is missing from the generated plan');
  let cur = { text, result: parse(text) };
  const rows: [string, Timing][] = [
    ['parse', time(() => parse(text), runs)],
    // A freshly parsed tree each run: a tree the resolver has seen before would be replayed.
    [
      'resolve + semantic checks',
      time(
        (doc) => resolvePlan(doc, { file: '/bench/generated.moeplan' }),
        runs,
        () => parse(text).document,
      ),
    ],
    ['checkText (parse + resolve + check)', time(() => checkText(text, '/bench/generated.moeplan'), runs)],
    [
      'checkText after a one-line edit',
      time(() => {
        const next = cur.text === text ? edited : text;
        const r = checkText(next, '/bench/generated.moeplan', {}, cur);
        cur = { text: next, result: r.parse };
      }, runs),
    ],
    ['formatText', time(() => formatText(text), runs)],
  ];
  console.log(
    `machine load average: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} on ${cpus().length} cores (wall times inflate under load)`,
  );
  console.log(`plan: ${lineCount} lines, ${(text.length / 1024).toFixed(0)} KiB, ${LAYERS} committed layers × ${GPUS} GPUs; ${runs} runs each`);
  console.log(`baseline JSON.parse of the same placement: median ${base.median.toFixed(2)} ms`);
  console.log(`baseline allocating ${tokenCount} token-shaped objects: median ${allocBase.median.toFixed(2)} ms`);
  for (const [name, r] of rows) {
    console.log(
      `${name.padEnd(36)} median ${r.median.toFixed(1).padStart(6)} ms  p95 ${r.p95.toFixed(1).padStart(6)} ms  min ${r.min.toFixed(1).padStart(6)} ms  cpu ${r.cpuMedian.toFixed(1).padStart(6)} ms  (${(r.median / base.median).toFixed(0)}× JSON.parse, ${(r.median / allocBase.median).toFixed(1)}× token allocation)`,
    );
  }
  const total = rows[2][1];
  console.log(
    `target ≤ 50 ms for checkText: median ${total.median <= 50 ? 'met' : 'NOT met'} (${total.median.toFixed(1)} ms), p95 ${total.p95 <= 50 ? 'met' : 'NOT met'} (${total.p95.toFixed(1)} ms)`,
  );
}
