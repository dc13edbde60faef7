// Every placement of a tiny layer on the step-time objective: a depth-first
// walk that sets one expert's copies per level (incremental probes, so a
// level costs one expert's pairs), pruned by slot capacity. Exact for the
// batches it is evaluated on; used by the `exact` policy where the count of
// placements is small (Mixtral on 2 GPUs: 3^8 copy sets at most).
import type { StepEvaluator } from '../cost/step';
import type { Instance } from './instance';
import type { Placement } from './types';

interface ExhaustiveOutcome {
  placement?: Placement;
  value: number;
  /** Every placement was seen. */
  complete: boolean;
  leaves: number;
}

/** Copy sets (GPU lists) an expert may take under the instance. */
function copySets(inst: Instance, e: number): number[][] {
  const G = inst.gpus;
  const sets: number[][] = [];
  const limit = Math.min(inst.maxCopies[e], inst.replicas ? G : 1);
  for (let mask = 1; mask < 1 << G; mask++) {
    const gpus: number[] = [];
    let ok = true;
    for (let g = 0; g < G && ok; g++) {
      const on = (mask >> g) & 1;
      if (on && !inst.allowed[e * G + g]) ok = false;
      if (!on && inst.pinned[e * G + g]) ok = false;
      if (on) gpus.push(g);
    }
    if (ok && gpus.length <= limit) sets.push(gpus);
  }
  return sets;
}

/** Number of leaves before capacity pruning (product of copy-set counts), capped. */
export function exhaustiveSize(inst: Instance, cap = 1e9): number {
  if (inst.gpus > 8) return Infinity;
  let n = 1;
  for (let e = 0; e < inst.experts && n <= cap; e++) n *= copySets(inst, e).length;
  return n;
}

export function stepExhaustive(inst: Instance, ev: StepEvaluator, opts: { deadline: number; signal?: AbortSignal }): ExhaustiveOutcome {
  const G = inst.gpus;
  const sets = Array.from({ length: inst.experts }, (_, e) => copySets(inst, e));
  const used = new Int32Array(G);
  const current: number[][] = Array.from({ length: inst.experts }, (_, e) => {
    const out: number[] = [];
    for (let g = 0; g < G; g++) if (ev.has(e, g)) out.push(g);
    return out;
  });
  let best: ExhaustiveOutcome = { value: Infinity, complete: false, leaves: 0 };
  let leaves = 0;
  let stopped = false;
  const setCopies = (e: number, gpus: readonly number[]) => {
    for (const g of current[e]) if (!gpus.includes(g)) ev.removeCopy(e, g);
    for (const g of gpus) if (!current[e].includes(g)) ev.addCopy(e, g);
    current[e] = gpus.slice();
    ev.probe();
    ev.commit();
  };
  const walk = (e: number): void => {
    if (stopped) return;
    if (e === inst.experts) {
      leaves++;
      if ((leaves & 255) === 0 && (performance.now() > opts.deadline || opts.signal?.aborted)) stopped = true;
      const v = ev.value();
      if (v < best.value - 1e-15) best = { value: v, placement: ev.placement(), complete: false, leaves };
      return;
    }
    for (const s of sets[e]) {
      let fits = true;
      for (const g of s) if (used[g] + 1 > inst.capacity[g]) fits = false;
      if (!fits) continue;
      for (const g of s) used[g]++;
      setCopies(e, s);
      walk(e + 1);
      for (const g of s) used[g]--;
      if (stopped) return;
    }
  };
  walk(0);
  return { ...best, complete: !stopped, leaves };
}
