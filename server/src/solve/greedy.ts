// The paper's greedy: a co-activation-aware first placement (one copy per
// expert), then repeatedly the extra copy with the largest exact decrease of
// E[T] until memory is full.
//
// Exact gains for every GPU at once come from LayerEvaluator.additionGains;
// experts are examined in decreasing order of a valid upper bound on their
// gain (the mass of their subsets above ⌈k/G⌉), stopping as soon as that bound
// cannot beat the best gain found — so the chosen copy is exactly the best.
import type { LayerDistribution } from '../workload/types';
import { LayerEvaluator, expertLoads } from '../cost/evaluate';
import type { Instance } from './instance';
import { firstCopies, SolveError } from './instance';
import type { Placement } from './types';
import { pairMass } from '../workload/distribution';

/**
 * One copy per expert, hottest first, each on the GPU (with room in its share
 * of first copies) whose experts it is least co-activated with; ties go to the
 * GPU with the least load so far. Shares are proportional to slots so that
 * every GPU keeps room for replicas.
 */
export function coactivationPlacement(inst: Instance, dist: LayerDistribution, load: number[]): Placement {
  const { gpus, experts: n } = inst;
  const co = pairMass(dist);
  const share = inst.replicas ? inst.capacity.map((c) => Math.min(c, Math.ceil((n * c) / inst.totalSlots))) : inst.capacity.slice();
  const order = Array.from({ length: n }, (_, e) => e).sort((a, b) => load[b] - load[a] || a - b);
  const gpuLoad = new Float64Array(gpus);
  const prefer = (e: number, placement: number[][], free: number[]): number[] => {
    const cost = new Float64Array(gpus);
    for (let g = 0; g < gpus; g++) {
      let c = 0;
      let l = 0;
      for (const x of placement[g]) {
        c += co[e * n + x];
        l += load[x];
      }
      cost[g] = c;
      gpuLoad[g] = l;
    }
    const out = Array.from({ length: gpus }, (_, g) => g).filter((g) => free[g] > 0);
    out.sort((a, b) => cost[a] - cost[b] || gpuLoad[a] - gpuLoad[b] || a - b);
    return out;
  };
  const placement = firstCopies(inst, order, prefer, share) ?? firstCopies(inst, order, prefer);
  if (!placement) throw new SolveError('no placement gives every expert a copy under the constraints');
  return placement;
}

interface GreedyOptions {
  deadline: number;
  signal?: AbortSignal;
}

/**
 * Exact gains of every possible extra copy, kept up to date incrementally:
 * gains[e * G + g] = decrease of Σ w·T if expert e got a copy on GPU g. A
 * subset's contribution depends only on the copies of its own experts, so a
 * new copy of e* changes only the contributions of subsets containing e*:
 * those are withdrawn before the copy is added and re-added after.
 */
class GainTable {
  readonly gains: Float64Array;
  private readonly scratch: Uint8Array;
  constructor(private readonly ev: LayerEvaluator) {
    this.gains = new Float64Array(ev.experts * ev.gpus);
    this.scratch = new Uint8Array(ev.gpus);
  }

  /** Adds (sign +1) or withdraws (−1) subset s's contributions. */
  contribute(s: number, sign: number): void {
    const ev = this.ev;
    const T = ev.times[s];
    if (T <= ev.floorT || T === 255) return;
    const { ids, weights, k } = ev.dist;
    const off = s * k;
    const w = sign * weights[s];
    const G = ev.gpus;
    const m = ev.matcher;
    for (let j = 0; j < k; j++) {
      const t = m.time(ids, off, k, ev.table, j, 1, false, T - 1);
      if (t <= T - 1) {
        m.relievableGpus(T - 1, this.scratch);
        const base = ids[off + j] * G;
        for (let g = 0; g < G; g++) if (this.scratch[g]) this.gains[base + g] += w;
      }
      m.clear();
    }
  }

  /** Fills the table; false when the deadline passed first (the table is then unusable). */
  computeAll(deadline: number, signal?: AbortSignal): boolean {
    this.gains.fill(0);
    for (let s = 0; s < this.ev.dist.count; s++) {
      if ((s & 1023) === 0 && (performance.now() > deadline || signal?.aborted)) return false;
      this.contribute(s, 1);
    }
    return true;
  }

  /** Adds a copy of e on g to the evaluator, keeping gains exact. */
  addCopy(e: number, g: number): void {
    const ev = this.ev;
    for (let p = ev.subStart[e]; p < ev.subStart[e + 1]; p++) this.contribute(ev.subList[p], -1);
    ev.addCopy(e, g);
    ev.probe([e]);
    ev.commit();
    for (let p = ev.subStart[e]; p < ev.subStart[e + 1]; p++) this.contribute(ev.subList[p], 1);
  }
}

/**
 * Adds copies by largest exact gain into `ev` (which holds a valid placement)
 * until every slot is used or no copy may be added. When the deadline passes,
 * the remaining slots are filled by load per copy. Returns whether it finished.
 */
/** Experts × GPUs up to which a stale gain table is still scanned per copy. */
const STALE_SCAN_LIMIT = 16_384;

export function insertCopies(inst: Instance, ev: LayerEvaluator, load: number[], opts: GreedyOptions): boolean {
  const { gpus, experts: n, allowed, maxCopies } = inst;
  if (!inst.replicas) return true;
  const used = new Int32Array(gpus);
  for (let e = 0; e < n; e++) {
    for (let c = 0; c < ev.table.copyCount[e]; c++) used[ev.table.copies[e * gpus + c]]++;
  }
  let free = 0;
  for (let g = 0; g < gpus; g++) free += Math.max(0, inst.capacity[g] - used[g]);
  if (free === 0) return true;
  const addable = (e: number, g: number) => used[g] < inst.capacity[g] && allowed[e * gpus + g] === 1 && ev.copiesOf(e) < maxCopies[e] && !ev.has(e, g);
  const timeUp = () => performance.now() > opts.deadline || opts.signal?.aborted === true;
  let table: GainTable | undefined;
  let finished = true;
  if (!timeUp()) {
    table = new GainTable(ev);
    if (!table.computeAll(opts.deadline, opts.signal)) table = undefined;
  }
  // When time runs out with a complete table, keep choosing from the last
  // exact gains without updating them (cheap), halving an expert's row once it
  // got a copy — an estimate, noted by `finished = false`.
  let stale = false;
  let unevaluated = false;
  const blocked = new Uint8Array(n);
  for (; free > 0; free--) {
    let bestE = -1;
    let bestG = -1;
    if (table && !stale && timeUp()) {
      stale = true;
      finished = false;
    }
    if (!table) finished = false;
    // Past the deadline, a scan of every (expert, GPU) gain per copy is what
    // took the time at scale (512 GPUs: 4,352 copies × 131,072 gains); there
    // the fill goes by load per copy instead.
    if (table && (!stale || n * gpus <= STALE_SCAN_LIMIT)) {
      let bestGain = 1e-12;
      const gains = table.gains;
      for (let e = 0; e < n; e++) {
        for (let g = 0; g < gpus; g++) {
          const v = gains[e * gpus + g];
          if (v > bestGain && addable(e, g)) {
            bestGain = v;
            bestE = e;
            bestG = g;
          }
        }
      }
    }
    if (bestE < 0) {
      // No single copy helps (or no table): the largest load per copy, on
      // the GPU with the most room.
      // Experts by load per copy, best first; an expert with no GPU left to
      // take a copy never gets one again (GPUs only fill), so it is dropped.
      for (;;) {
        let e = -1;
        for (let x = 0; x < n; x++) {
          if (blocked[x] || ev.copiesOf(x) >= maxCopies[x]) continue;
          if (e < 0 || load[x] / ev.copiesOf(x) > load[e] / ev.copiesOf(e)) e = x;
        }
        if (e < 0) break;
        let gg = -1;
        for (let g = 0; g < gpus; g++) {
          if (addable(e, g) && (gg < 0 || inst.capacity[g] - used[g] > inst.capacity[gg] - used[gg])) gg = g;
        }
        if (gg >= 0) {
          bestE = e;
          bestG = gg;
          break;
        }
        blocked[e] = 1;
      }
      if (bestE < 0) break;
    }
    if (table && !stale) table.addCopy(bestE, bestG);
    else {
      // Past the deadline: place the copy now, evaluate once at the end
      // (re-matching after every copy cost more than the whole budget at scale).
      ev.addCopy(bestE, bestG);
      unevaluated = true;
      if (table) for (let g = 0; g < gpus; g++) table.gains[bestE * gpus + g] *= 0.5;
    }
    used[bestG]++;
  }
  if (unevaluated) ev.recomputeAll();
  return finished;
}

/** Greedy placement: co-activation-aware first copies, then gain insertion. */
export function greedyPlacement(inst: Instance, dist: LayerDistribution, opts: GreedyOptions): { ev: LayerEvaluator; finished: boolean } {
  const load = expertLoads(dist);
  const first = coactivationPlacement(inst, dist, load);
  const ev = new LayerEvaluator(dist, inst.gpus);
  ev.setPlacement(first);
  const finished = insertCopies(inst, ev, load, opts);
  return { ev, finished };
}
