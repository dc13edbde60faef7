// Local search on the batched step-time objective (µs per MoE layer at the
// plan's batch, under its dispatch rule), with the step evaluator's exact
// incremental probes. Moves: move a copy to a free slot, swap two copies,
// add a copy to a free slot, remove a surplus copy (replicas are a decision:
// a slot may stay empty), replace a surplus copy by another expert.
//
// Small neighbourhoods are scanned whole in a seeded random order (first
// improvement) until none improves, then kicked (iterated local search) and
// stopped after a fixed number of fruitless kicks, so the answer is
// reproducible. Large ones are sampled, guided towards the GPU that is most
// often the slowest of a batch. Both stop at the deadline or when aborted.
import type { StepEvaluator } from '../cost/step';
import type { Instance } from './instance';
import { Rng } from '../workload/random';

type StepMove =
  | { kind: 'move'; e: number; from: number; to: number }
  | { kind: 'swap'; a: number; ga: number; b: number; gb: number }
  | { kind: 'add'; e: number; g: number }
  | { kind: 'remove'; e: number; g: number }
  | { kind: 'replace'; out: number; g: number; in: number };

/** Moves of a whole neighbourhood at or below which it is scanned whole. */
const FULL_SCAN_MOVES = 6000;

interface StepSearchOptions {
  deadline: number;
  signal?: AbortSignal;
  seed: number;
  /** Fruitless kicks before a scanned neighbourhood stops (default 12). */
  maxKicks?: number;
  /**
   * Further starting placements (the other candidates): when the search from
   * one converges, it goes on from the next, keeping the best of all.
   */
  restarts?: readonly (readonly (readonly number[])[])[];
}

interface StepSearchOutcome {
  improvingMoves: number;
  probes: number;
  /** Stopped because no move improves (and kicks ran out), not by time. */
  converged: boolean;
}

/** Copy bookkeeping and move validity under the instance's constraints. */
export class StepNeighbourhood {
  readonly used: Int32Array;
  constructor(
    readonly inst: Instance,
    readonly ev: StepEvaluator,
  ) {
    this.used = new Int32Array(inst.gpus);
    this.recount();
  }

  recount(): void {
    this.used.fill(0);
    const { copies, copyCount } = this.ev.table;
    for (let e = 0; e < this.inst.experts; e++) for (let c = 0; c < copyCount[e]; c++) this.used[copies[e * this.inst.gpus + c]]++;
  }

  private canRemove(e: number, g: number): boolean {
    return this.ev.has(e, g) && !this.inst.pinned[e * this.inst.gpus + g];
  }

  private canAdd(e: number, g: number): boolean {
    return this.inst.allowed[e * this.inst.gpus + g] === 1 && !this.ev.has(e, g);
  }

  private free(g: number): boolean {
    return this.used[g] < this.inst.capacity[g];
  }

  valid(m: StepMove): boolean {
    const { inst, ev } = this;
    switch (m.kind) {
      case 'move':
        return m.from !== m.to && this.canRemove(m.e, m.from) && this.canAdd(m.e, m.to) && this.free(m.to);
      case 'swap':
        return m.a !== m.b && m.ga !== m.gb && this.canRemove(m.a, m.ga) && this.canRemove(m.b, m.gb) && this.canAdd(m.a, m.gb) && this.canAdd(m.b, m.ga);
      case 'add':
        return inst.replicas && this.free(m.g) && this.canAdd(m.e, m.g) && ev.copiesOf(m.e) < inst.maxCopies[m.e];
      case 'remove':
        return ev.copiesOf(m.e) >= 2 && this.canRemove(m.e, m.g);
      case 'replace':
        return m.out !== m.in && ev.copiesOf(m.out) >= 2 && this.canRemove(m.out, m.g) && this.canAdd(m.in, m.g) && ev.copiesOf(m.in) < inst.maxCopies[m.in];
    }
  }

  apply(m: StepMove): void {
    const ev = this.ev;
    switch (m.kind) {
      case 'move':
        ev.removeCopy(m.e, m.from);
        ev.addCopy(m.e, m.to);
        this.used[m.from]--;
        this.used[m.to]++;
        return;
      case 'swap':
        ev.removeCopy(m.a, m.ga);
        ev.removeCopy(m.b, m.gb);
        ev.addCopy(m.a, m.gb);
        ev.addCopy(m.b, m.ga);
        return;
      case 'add':
        ev.addCopy(m.e, m.g);
        this.used[m.g]++;
        return;
      case 'remove':
        ev.removeCopy(m.e, m.g);
        this.used[m.g]--;
        return;
      case 'replace':
        ev.removeCopy(m.out, m.g);
        ev.addCopy(m.in, m.g);
        return;
    }
  }

  undo(m: StepMove): void {
    const ev = this.ev;
    switch (m.kind) {
      case 'move':
        ev.removeCopy(m.e, m.to);
        ev.addCopy(m.e, m.from);
        this.used[m.from]++;
        this.used[m.to]--;
        return;
      case 'swap':
        ev.removeCopy(m.a, m.gb);
        ev.removeCopy(m.b, m.ga);
        ev.addCopy(m.a, m.ga);
        ev.addCopy(m.b, m.gb);
        return;
      case 'add':
        ev.removeCopy(m.e, m.g);
        this.used[m.g]--;
        return;
      case 'remove':
        ev.addCopy(m.e, m.g);
        this.used[m.g]++;
        return;
      case 'replace':
        ev.removeCopy(m.in, m.g);
        ev.addCopy(m.out, m.g);
        return;
    }
  }

  /** Applies m and keeps it when it lowers the objective by more than eps; else restores. */
  tryMove(m: StepMove, eps: number): boolean {
    if (!this.valid(m)) return false;
    const before = this.ev.value();
    this.apply(m);
    const v = this.ev.probe();
    if (v < before - eps) {
      this.ev.commit();
      return true;
    }
    this.undo(m);
    this.ev.revert();
    return false;
  }

  /** Applies m whatever it costs (kicks). */
  force(m: StepMove): void {
    this.apply(m);
    this.ev.probe();
    this.ev.commit();
  }

  /** Every move from the current placement, in a seeded random order. */
  allMoves(rng: Rng): StepMove[] {
    const { inst, ev } = this;
    const G = inst.gpus;
    const copies: [number, number][] = [];
    ev.placement().forEach((es, g) => es.forEach((e) => copies.push([e, g])));
    const moves: StepMove[] = [];
    for (let i = 0; i < copies.length; i++) {
      const [a, ga] = copies[i];
      for (let j = i + 1; j < copies.length; j++) {
        const [b, gb] = copies[j];
        if (ga !== gb && a !== b) moves.push({ kind: 'swap', a, ga, b, gb });
      }
      for (let g = 0; g < G; g++) if (g !== ga && this.free(g)) moves.push({ kind: 'move', e: a, from: ga, to: g });
      if (ev.copiesOf(a) >= 2) {
        moves.push({ kind: 'remove', e: a, g: ga });
        for (let e = 0; e < inst.experts; e++) if (e !== a) moves.push({ kind: 'replace', out: a, g: ga, in: e });
      }
    }
    if (inst.replicas) for (let g = 0; g < G; g++) if (this.free(g)) for (let e = 0; e < inst.experts; e++) moves.push({ kind: 'add', e, g });
    return rng.shuffle(moves.filter((m) => this.valid(m)));
  }

  /** Size of the whole neighbourhood (an estimate good enough to choose scan or sampling). */
  size(): number {
    const copies = this.used.reduce((a, b) => a + b, 0);
    return (copies * (copies - 1)) / 2 + copies * this.inst.gpus + (copies * this.inst.experts) / 4;
  }

  expertsOn(g: number): number[] {
    const out: number[] = [];
    const { copies, copyCount } = this.ev.table;
    for (let e = 0; e < this.inst.experts; e++) for (let c = 0; c < copyCount[e]; c++) if (copies[e * this.inst.gpus + c] === g) out.push(e);
    return out;
  }
}

export function stepLocalSearch(inst: Instance, ev: StepEvaluator, opts: StepSearchOptions): StepSearchOutcome {
  const rng = new Rng(opts.seed);
  const nb = new StepNeighbourhood(inst, ev);
  const eps = 1e-12 + 1e-9 * ev.value();
  const stop = () => opts.signal?.aborted === true || performance.now() > opts.deadline;
  let improvingMoves = 0;
  let probes = 0;
  const best = { value: ev.value(), placement: ev.placement() };
  const keepBest = () => {
    if (ev.value() < best.value - eps) {
      best.value = ev.value();
      best.placement = ev.placement();
      return true;
    }
    return false;
  };
  const restoreBest = () => {
    ev.setPlacement(best.placement);
    nb.recount();
  };
  const attempt = (m: StepMove): boolean => {
    if (!nb.valid(m)) return false;
    probes++;
    if (nb.tryMove(m, eps)) {
      improvingMoves++;
      return true;
    }
    return false;
  };
  let converged = false;
  if (nb.size() <= FULL_SCAN_MOVES) {
    const maxKicks = opts.maxKicks ?? 12;
    const restarts = [...(opts.restarts ?? [])];
    let fruitless = 0;
    // The local optimum of the current run (kicks restart from it; restarts from the next candidate).
    let runBest = { value: ev.value(), placement: ev.placement() };
    // Local optima already reached: a restart that descends into one of them
    // would only repeat that run's kicks, so the next restart begins at once.
    const seen = new Set<string>();
    let freshRun = true;
    outer: for (;;) {
      for (;;) {
        let improved = false;
        for (const m of nb.allMoves(rng)) {
          if (stop()) break outer;
          if (attempt(m)) improved = true;
        }
        if (!improved) break;
      }
      keepBest();
      const key = placementKey(ev.placement());
      const repeated = freshRun && seen.has(key);
      seen.add(key);
      freshRun = false;
      if (ev.value() < runBest.value - eps) {
        runBest = { value: ev.value(), placement: ev.placement() };
        fruitless = 0;
      } else fruitless++;
      if (repeated || fruitless > maxKicks) {
        const next = restarts.shift();
        if (!next) {
          converged = true;
          break;
        }
        ev.setPlacement(next);
        nb.recount();
        runBest = { value: ev.value(), placement: ev.placement() };
        fruitless = 0;
        freshRun = true;
        continue;
      }
      ev.setPlacement(runBest.placement);
      nb.recount();
      kick(nb, rng, 1 + rng.int(3));
    }
  } else {
    const G = inst.gpus;
    let share = ev.bottleneckShare();
    let sinceShare = 0;
    let fruitless = 0;
    while (!stop()) {
      if (++sinceShare >= 64) {
        share = ev.bottleneckShare();
        sinceShare = 0;
      }
      const g1 = rng.next() < 0.7 ? pickWeighted(share, rng) : rng.int(G);
      const on1 = nb.expertsOn(g1);
      if (on1.length === 0) continue;
      const a = on1[rng.int(on1.length)];
      let g2 = rng.int(G);
      if (g2 === g1) g2 = (g2 + 1) % G;
      const r = rng.next();
      let m: StepMove;
      if (r < 0.3) m = { kind: 'move', e: a, from: g1, to: g2 };
      else if (r < 0.45) m = { kind: 'add', e: a, g: g2 };
      else if (r < 0.6) m = { kind: 'remove', e: a, g: g1 };
      else if (r < 0.7) {
        const on2 = nb.expertsOn(g2).filter((x) => ev.copiesOf(x) >= 2);
        if (on2.length === 0) continue;
        m = { kind: 'replace', out: on2[rng.int(on2.length)], g: g2, in: a };
      } else {
        const on2 = nb.expertsOn(g2);
        if (on2.length === 0) continue;
        m = { kind: 'swap', a, ga: g1, b: on2[rng.int(on2.length)], gb: g2 };
      }
      if (attempt(m)) {
        keepBest();
        fruitless = 0;
      } else if (++fruitless > 4000) {
        // Long without progress: a kick from the best so far.
        restoreBest();
        kick(nb, rng, 1 + rng.int(2));
        fruitless = 0;
      }
    }
    keepBest();
  }
  if (ev.value() > best.value + eps) restoreBest();
  return { improvingMoves, probes, converged };
}

/** A placement as exact text (copies sorted per GPU). */
function placementKey(placement: readonly (readonly number[])[]): string {
  return placement.map((g) => [...g].sort((a, b) => a - b).join(',')).join('|');
}

function pickWeighted(w: Float64Array, rng: Rng): number {
  let total = 0;
  for (let i = 0; i < w.length; i++) total += w[i];
  let r = rng.next() * total;
  for (let i = 0; i < w.length; i++) {
    r -= w[i];
    if (r < 0) return i;
  }
  return w.length - 1;
}

/** A few random valid swaps, moves, removals or additions, kept whatever they cost (diversification). */
function kick(nb: StepNeighbourhood, rng: Rng, count: number): void {
  const G = nb.inst.gpus;
  for (let i = 0, tries = 0; i < count && tries < 200; tries++) {
    const ga = rng.int(G);
    const gb = rng.int(G);
    const pa = nb.expertsOn(ga);
    const pb = nb.expertsOn(gb);
    if (pa.length === 0) continue;
    const a = pa[rng.int(pa.length)];
    const r = rng.next();
    const m: StepMove =
      r < 0.5 && pb.length > 0
        ? { kind: 'swap', a, ga, b: pb[rng.int(pb.length)], gb }
        : r < 0.7
          ? { kind: 'move', e: a, from: ga, to: gb }
          : r < 0.85
            ? { kind: 'remove', e: a, g: ga }
            : { kind: 'add', e: rng.int(nb.inst.experts), g: gb };
    if (!nb.valid(m)) continue;
    nb.force(m);
    i++;
  }
}
