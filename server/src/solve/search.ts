// Local search over placements with exact deltas: swap two copies between
// GPUs, move a copy to a free slot, replace a surplus copy (an expert with
// several copies gives one slot to another expert), add a copy to a free slot.
//
// Small instances scan the whole neighbourhood in a seeded random order
// (first improvement) until no move improves, then kick (a few random swaps)
// and search again, keeping the best (iterated local search); they stop after
// a fixed number of fruitless kicks, so the answer is reproducible. Large
// instances sample moves guided by the tokens that wait longest: a heavy
// subset with T above ⌈k/G⌉, an expert on its busiest GPU, a GPU where that
// subset has room. Both stop at the deadline or when aborted.
import type { LayerEvaluator } from '../cost/evaluate';
import type { Instance } from './instance';
import { Rng } from '../workload/random';
import type { SolveProgress } from './types';

interface SearchOptions {
  deadline: number;
  signal?: AbortSignal;
  seed: number;
  startMs: number;
  budgetMs: number;
  onProgress?: (p: SolveProgress) => void;
  /** Fruitless kicks before a small instance stops (default 30). */
  maxKicks?: number;
}

interface SearchOutcome {
  improvingMoves: number;
  /** Stopped because no move improves (and kicks are exhausted), not by time. */
  converged: boolean;
}

/** Copies (slots used) below which the whole neighbourhood is scanned. */
const FULL_SCAN_COPIES = 160;

type Move =
  | { kind: 'swap'; a: number; ga: number; b: number; gb: number }
  | { kind: 'move'; a: number; from: number; to: number }
  | { kind: 'replace'; out: number; g: number; in: number }
  | { kind: 'add'; e: number; g: number };

class Neighbourhood {
  readonly used: Int32Array;
  constructor(
    readonly inst: Instance,
    readonly ev: LayerEvaluator,
  ) {
    this.used = new Int32Array(inst.gpus);
    for (let e = 0; e < inst.experts; e++) {
      for (let c = 0; c < ev.table.copyCount[e]; c++) this.used[ev.table.copies[e * inst.gpus + c]]++;
    }
  }

  canRemove(e: number, g: number): boolean {
    return !this.inst.pinned[e * this.inst.gpus + g];
  }

  canAdd(e: number, g: number): boolean {
    return this.inst.allowed[e * this.inst.gpus + g] === 1 && !this.ev.has(e, g);
  }

  valid(m: Move): boolean {
    const { inst, ev } = this;
    switch (m.kind) {
      case 'swap':
        return (
          m.a !== m.b &&
          m.ga !== m.gb &&
          ev.has(m.a, m.ga) &&
          ev.has(m.b, m.gb) &&
          this.canRemove(m.a, m.ga) &&
          this.canRemove(m.b, m.gb) &&
          this.canAdd(m.a, m.gb) &&
          this.canAdd(m.b, m.ga)
        );
      case 'move':
        return m.from !== m.to && ev.has(m.a, m.from) && this.canRemove(m.a, m.from) && this.canAdd(m.a, m.to) && this.used[m.to] < inst.capacity[m.to];
      case 'replace':
        return (
          m.out !== m.in &&
          ev.has(m.out, m.g) &&
          ev.copiesOf(m.out) >= 2 &&
          this.canRemove(m.out, m.g) &&
          this.canAdd(m.in, m.g) &&
          ev.copiesOf(m.in) < inst.maxCopies[m.in]
        );
      case 'add':
        return this.used[m.g] < inst.capacity[m.g] && this.canAdd(m.e, m.g) && ev.copiesOf(m.e) < inst.maxCopies[m.e];
    }
  }

  apply(m: Move): number[] {
    const ev = this.ev;
    switch (m.kind) {
      case 'swap':
        ev.removeCopy(m.a, m.ga);
        ev.removeCopy(m.b, m.gb);
        ev.addCopy(m.a, m.gb);
        ev.addCopy(m.b, m.ga);
        return [m.a, m.b];
      case 'move':
        ev.removeCopy(m.a, m.from);
        ev.addCopy(m.a, m.to);
        this.used[m.from]--;
        this.used[m.to]++;
        return [m.a];
      case 'replace':
        ev.removeCopy(m.out, m.g);
        ev.addCopy(m.in, m.g);
        return [m.out, m.in];
      case 'add':
        ev.addCopy(m.e, m.g);
        this.used[m.g]++;
        return [m.e];
    }
  }

  undo(m: Move): void {
    const ev = this.ev;
    switch (m.kind) {
      case 'swap':
        ev.removeCopy(m.a, m.gb);
        ev.removeCopy(m.b, m.ga);
        ev.addCopy(m.a, m.ga);
        ev.addCopy(m.b, m.gb);
        return;
      case 'move':
        ev.removeCopy(m.a, m.to);
        ev.addCopy(m.a, m.from);
        this.used[m.from]++;
        this.used[m.to]--;
        return;
      case 'replace':
        ev.removeCopy(m.in, m.g);
        ev.addCopy(m.out, m.g);
        return;
      case 'add':
        ev.removeCopy(m.e, m.g);
        this.used[m.g]--;
        return;
    }
  }

  /** Applies m, keeps it if it lowers Σ w·T by more than eps, else undoes it. */
  tryMove(m: Move, eps: number): boolean {
    if (!this.valid(m)) return false;
    const changed = this.apply(m);
    const delta = this.ev.probe(changed);
    if (delta < -eps) {
      this.ev.commit();
      return true;
    }
    this.undo(m);
    return false;
  }

  /** Every move from the current placement, in a seeded random order. */
  allMoves(rng: Rng): Move[] {
    const { inst, ev } = this;
    const G = inst.gpus;
    const copies: [number, number][] = [];
    const pl = ev.placement();
    for (let g = 0; g < G; g++) for (const e of pl[g]) copies.push([e, g]);
    const moves: Move[] = [];
    for (let i = 0; i < copies.length; i++) {
      const [a, ga] = copies[i];
      for (let j = i + 1; j < copies.length; j++) {
        const [b, gb] = copies[j];
        if (ga !== gb && a !== b) moves.push({ kind: 'swap', a, ga, b, gb });
      }
      for (let g = 0; g < G; g++) if (g !== ga && this.used[g] < inst.capacity[g]) moves.push({ kind: 'move', a, from: ga, to: g });
      if (ev.copiesOf(a) >= 2) {
        for (let e = 0; e < inst.experts; e++) if (e !== a) moves.push({ kind: 'replace', out: a, g: ga, in: e });
      }
    }
    for (let g = 0; g < G; g++) {
      if (this.used[g] < inst.capacity[g]) for (let e = 0; e < inst.experts; e++) moves.push({ kind: 'add', e, g });
    }
    return rng.shuffle(moves);
  }
}

export function localSearch(inst: Instance, ev: LayerEvaluator, opts: SearchOptions): SearchOutcome {
  const rng = new Rng(opts.seed);
  const nb = new Neighbourhood(inst, ev);
  const eps = 1e-9 * Math.max(1, ev.dist.total);
  let improvingMoves = 0;
  let lastReport = performance.now();
  const stop = () => opts.signal?.aborted === true || performance.now() > opts.deadline;
  const report = (force = false) => {
    const now = performance.now();
    if (!opts.onProgress || (!force && now - lastReport < 100)) return;
    lastReport = now;
    const elapsedMs = now - opts.startMs;
    opts.onProgress({ expectedTime: best.value, elapsedMs, fraction: Math.min(1, elapsedMs / Math.max(1, opts.budgetMs)) });
  };
  const best = { value: ev.expectedTime(), placement: ev.placement() };
  const keepBest = () => {
    if (ev.expectedTime() < best.value - 1e-12) {
      best.value = ev.expectedTime();
      best.placement = ev.placement();
      return true;
    }
    return false;
  };
  const restoreBest = () => {
    ev.setPlacement(best.placement);
    nb.used.fill(0);
    best.placement.forEach((es, g) => (nb.used[g] = es.length));
  };
  const copies = nb.used.reduce((a, b) => a + b, 0);
  let converged = false;

  if (copies <= FULL_SCAN_COPIES) {
    const maxKicks = opts.maxKicks ?? 30;
    let fruitless = 0;
    outer: for (;;) {
      // Descend to a local optimum.
      for (;;) {
        let improved = false;
        for (const m of nb.allMoves(rng)) {
          if (stop()) break outer;
          if (nb.tryMove(m, eps)) {
            improvingMoves++;
            improved = true;
            report();
          }
        }
        if (!improved) break;
      }
      if (keepBest()) fruitless = 0;
      else fruitless++;
      report();
      if (fruitless > maxKicks || ev.expectedTime() <= ev.floorT + 1e-12) {
        converged = true;
        break;
      }
      restoreBest();
      kick(nb, rng, 2 + rng.int(2));
    }
  } else {
    // Guided sampling.
    const { weights, count, k, ids } = ev.dist;
    const cum = new Float64Array(count);
    let acc = 0;
    for (let s = 0; s < count; s++) cum[s] = acc += weights[s];
    const pick = (): number => {
      for (let tries = 0; tries < 64; tries++) {
        const r = rng.next() * acc;
        let lo = 0;
        let hi = count - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cum[mid] > r) hi = mid;
          else lo = mid + 1;
        }
        if (ev.times[lo] > ev.floorT) return lo;
      }
      return -1;
    };
    const G = inst.gpus;
    let misses = 0;
    while (!stop()) {
      const s = pick();
      if (s < 0) {
        if (++misses > 8) {
          converged = true;
          break;
        }
        continue;
      }
      const m = ev.matcher;
      const T = m.time(ids, s * k, k, ev.table, -1, ev.floorT);
      // Busiest GPU of this subset and an expert served there.
      let g1 = 0;
      for (let g = 1; g < G; g++) if (m.load[g] > m.load[g1]) g1 = g;
      const onG1: number[] = [];
      for (let j = 0; j < m.size; j++) if (m.gpuOf[j] === g1) onG1.push(m.expertAt(j));
      const lowGpus: number[] = [];
      for (let g = 0; g < G; g++) if (g !== g1 && m.load[g] < T - 1) lowGpus.push(g);
      const inS = new Set<number>();
      for (let j = 0; j < k; j++) inS.add(ids[s * k + j]);
      m.clear();
      const a = onG1[rng.int(onG1.length)];
      const g2 = lowGpus.length > 0 && rng.next() < 0.8 ? lowGpus[rng.int(lowGpus.length)] : rng.int(G);
      if (g2 === g1) continue;
      const pl2 = placementOf(ev, g2);
      const r = rng.next();
      let move: Move | undefined;
      if (nb.used[g2] < inst.capacity[g2]) {
        move = ev.copiesOf(a) < inst.maxCopies[a] && r < 0.5 ? { kind: 'add', e: a, g: g2 } : { kind: 'move', a, from: g1, to: g2 };
      } else if (r < 0.35) {
        const surplus = pl2.filter((x) => ev.copiesOf(x) >= 2 && !inS.has(x));
        if (surplus.length > 0) move = { kind: 'replace', out: surplus[rng.int(surplus.length)], g: g2, in: a };
      }
      if (!move && pl2.length > 0) {
        const others = pl2.filter((x) => !inS.has(x));
        const pool = others.length > 0 ? others : pl2;
        move = { kind: 'swap', a, ga: g1, b: pool[rng.int(pool.length)], gb: g2 };
      }
      if (move && nb.tryMove(move, eps)) {
        improvingMoves++;
        keepBest();
      }
      report();
    }
    keepBest();
  }
  if (ev.expectedTime() > best.value + 1e-12) restoreBest();
  report(true);
  return { improvingMoves, converged };
}

function placementOf(ev: LayerEvaluator, g: number): number[] {
  const out: number[] = [];
  const { copies, copyCount, gpus } = ev.table;
  for (let e = 0; e < ev.experts; e++) {
    for (let c = 0; c < copyCount[e]; c++) if (copies[e * gpus + c] === g) out.push(e);
  }
  return out;
}

/** A few random valid swaps, kept whatever they cost (diversification). */
function kick(nb: Neighbourhood, rng: Rng, swaps: number): void {
  const G = nb.inst.gpus;
  for (let i = 0, tries = 0; i < swaps && tries < 200; tries++) {
    const ga = rng.int(G);
    const gb = rng.int(G);
    const pa = placementOf(nb.ev, ga);
    const pb = placementOf(nb.ev, gb);
    if (pa.length === 0 || pb.length === 0) continue;
    const m: Move = { kind: 'swap', a: pa[rng.int(pa.length)], ga, b: pb[rng.int(pb.length)], gb };
    if (!nb.valid(m)) continue;
    nb.apply(m);
    nb.ev.probe([m.a, m.b]);
    nb.ev.commit();
    i++;
  }
}
