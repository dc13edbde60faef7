// `npm run bench -- examples [--runs N]`: each bundled example solved the
// way a user or CI runs it — `moeplan solve PLAN --json` in a fresh process
// (worker start-up, the workload, every layer, the sweeps) — against the
// plan's own `time` budget. Prints the wall time of each run and its median,
// the ratio to the budget, and the objective's mean against EPLB's on the
// same fresh batches, in sample and held out. Wall times are of this machine
// at this moment: read them beside its load, printed first.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { checkText } from '../server/src/plan/check';

interface SolveJson {
  latencyUs: number;
  baselinesUs: { eplb: number };
  expectedTime: number;
  objective: { name: string; dispatch: string; batch: number };
  heldOut?: { latencyUs: number; eplb: { latencyUs: number } };
  layers: unknown[];
}

const root = join(__dirname, '..');
const cli = join(root, 'bin', 'moeplan.js');

function runsWanted(): number {
  const i = process.argv.indexOf('--runs');
  const n = i >= 0 ? Number(process.argv[i + 1]) : 3;
  return Number.isInteger(n) && n > 0 ? n : 3;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function pct(a: number, b: number): string {
  const x = (a / b - 1) * 100;
  return `${x > 0 ? '+' : ''}${x.toFixed(1)}%`;
}

export async function run(): Promise<void> {
  if (!existsSync(join(root, 'dist', 'cli.js'))) {
    console.log('dist/cli.js is missing: run `npm run build` first');
    return;
  }
  const runs = runsWanted();
  console.log(
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}; ${runs} run(s) per example`,
  );
  const files = readdirSync(join(root, 'examples'))
    .filter((f) => f.endsWith('.moeplan'))
    .sort();
  for (const f of files) {
    const abs = join(root, 'examples', f);
    const plan = checkText(readFileSync(abs, 'utf8'), abs).plan;
    if (!plan) {
      console.log(`${f}: has errors, skipped`);
      continue;
    }
    const budgetS = plan.placement.timeBudgetMs.value / 1000;
    const walls: number[] = [];
    let last: SolveJson | undefined;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const out = spawnSync(process.execPath, [cli, 'solve', abs, '--json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
      walls.push((performance.now() - t0) / 1000);
      if (out.status !== 0) {
        console.log(`${f}: moeplan solve exited ${out.status}: ${out.stderr.split('\n')[0]}`);
        break;
      }
      last = JSON.parse(out.stdout) as SolveJson;
    }
    if (!last) continue;
    const o = last.objective;
    const held = last.heldOut
      ? `; held out ${last.heldOut.latencyUs.toFixed(0)} µs vs EPLB ${last.heldOut.eplb.latencyUs.toFixed(0)} (${pct(last.heldOut.latencyUs, last.heldOut.eplb.latencyUs)})`
      : '';
    console.log(
      `${f}: ${last.layers.length} layers, batch ${o.batch}, ${o.dispatch} dispatch — wall ${walls.map((w) => w.toFixed(2)).join(' / ')} s, ` +
        `median ${median(walls).toFixed(2)} s = ${(median(walls) / budgetS).toFixed(2)}× its ${budgetS} s budget; ` +
        `${last.latencyUs.toFixed(0)} µs per layer vs EPLB ${last.baselinesUs.eplb.toFixed(0)} (${pct(last.latencyUs, last.baselinesUs.eplb)})${held}`,
    );
  }
}
