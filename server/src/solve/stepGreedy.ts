// Greedy on the batched step-time objective: from one copy per expert, add
// the copy that lowers the step time most, as long as one does. A replica is
// placed only where it pays: at large batches a second copy makes two GPUs
// read the expert's weights every step, and the greedy leaves the slot empty.
import type { StepEvaluator } from '../cost/step';
import type { Instance } from './instance';
import { StepNeighbourhood } from './stepSearch';

/** Experts considered for a copy per round: the highest load per copy (all of them on small models). */
const CANDIDATE_EXPERTS = 24;

interface StepGreedyOutcome {
  added: number;
  probes: number;
  /** False when the deadline stopped it before no copy helped. */
  finished: boolean;
}

export function stepGreedyCopies(
  inst: Instance,
  ev: StepEvaluator,
  load: readonly number[],
  opts: { deadline: number; signal?: AbortSignal },
): StepGreedyOutcome {
  const nb = new StepNeighbourhood(inst, ev);
  const G = inst.gpus;
  let added = 0;
  let probes = 0;
  if (!inst.replicas) return { added, probes, finished: true };
  for (;;) {
    if (performance.now() > opts.deadline || opts.signal?.aborted) return { added, probes, finished: false };
    const current = ev.value();
    const experts = Array.from({ length: inst.experts }, (_, e) => e)
      .filter((e) => ev.copiesOf(e) < inst.maxCopies[e])
      .sort((a, b) => load[b] / ev.copiesOf(b) - load[a] / ev.copiesOf(a) || a - b)
      .slice(0, CANDIDATE_EXPERTS);
    let best: { e: number; g: number; value: number } | undefined;
    for (const e of experts) {
      for (let g = 0; g < G; g++) {
        const m = { kind: 'add' as const, e, g };
        if (!nb.valid(m)) continue;
        nb.apply(m);
        const v = ev.probe();
        probes++;
        nb.undo(m);
        ev.revert();
        if (v < (best?.value ?? current - 1e-12 - 1e-9 * current)) best = { e, g, value: v };
      }
    }
    if (!best) return { added, probes, finished: true };
    nb.force({ kind: 'add', e: best.e, g: best.g });
    added++;
  }
}
