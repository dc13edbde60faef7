// Brute force, the tests' oracle: T(S) by trying every copy
// choice, and the optimal placement by trying every copy set per expert.
import type { LayerDistribution } from '../../server/src/workload/types';
import type { Instance } from '../../server/src/solve/instance';
import type { Placement } from '../../server/src/solve/types';

/** A LayerDistribution from explicit subsets (each sorted internally) and weights. */
export function distributionOf(experts: number, k: number, subsets: number[][], weights?: number[], layer = 0): LayerDistribution {
  const merged = new Map<string, { ids: number[]; w: number }>();
  subsets.forEach((s, i) => {
    if (s.length !== k) throw new Error(`subset ${i} has ${s.length} experts, expected ${k}`);
    const ids = s.slice().sort((a, b) => a - b);
    const key = ids.join(',');
    const w = weights ? weights[i] : 1;
    const cur = merged.get(key);
    if (cur) cur.w += w;
    else merged.set(key, { ids, w });
  });
  const list = [...merged.values()];
  const ids = new Int32Array(list.length * k);
  const ws = new Float64Array(list.length);
  list.forEach((x, i) => {
    ids.set(x.ids, i * k);
    ws[i] = x.w;
  });
  return {
    layer,
    experts,
    k,
    ids,
    weights: ws,
    count: list.length,
    total: ws.reduce((a, b) => a + b, 0),
    coactivationKnown: true,
  };
}

/** T(S) by enumerating every choice of serving copy. */
export function bruteForceTime(subset: number[], placement: Placement): number {
  const holders = subset.map((e) => placement.flatMap((es, g) => (es.includes(e) ? [g] : [])));
  if (holders.some((h) => h.length === 0)) return Infinity;
  const load = new Array<number>(placement.length).fill(0);
  let best = Infinity;
  const rec = (i: number, max: number) => {
    if (max >= best) return;
    if (i === subset.length) {
      best = max;
      return;
    }
    for (const g of holders[i]) {
      load[g]++;
      rec(i + 1, Math.max(max, load[g]));
      load[g]--;
    }
  };
  rec(0, 0);
  return best;
}

export function bruteForceExpectedTime(dist: LayerDistribution, placement: Placement): number {
  let sum = 0;
  for (let s = 0; s < dist.count; s++) {
    const subset = Array.from(dist.ids.subarray(s * dist.k, s * dist.k + dist.k));
    sum += dist.weights[s] * bruteForceTime(subset, placement);
  }
  return sum / dist.total;
}

/** Every valid placement under the instance (small instances only). */
function* allPlacements(inst: Instance): Generator<Placement> {
  const { gpus: G, experts: n } = inst;
  const used = new Array<number>(G).fill(0);
  const sets: number[][] = Array.from({ length: n }, () => []);
  function* rec(e: number): Generator<Placement> {
    if (e === n) {
      const p: Placement = Array.from({ length: G }, () => []);
      sets.forEach((gs, x) => gs.forEach((g) => p[g].push(x)));
      yield p;
      return;
    }
    for (let mask = 1; mask < 1 << G; mask++) {
      const gs: number[] = [];
      let ok = true;
      for (let g = 0; g < G && ok; g++) {
        const inSet = (mask >> g) & 1;
        if (inst.pinned[e * G + g] && !inSet) ok = false;
        if (!inSet) continue;
        if (!inst.allowed[e * G + g] || used[g] >= inst.capacity[g]) ok = false;
        gs.push(g);
      }
      if (!ok || gs.length > inst.maxCopies[e]) continue;
      gs.forEach((g) => used[g]++);
      sets[e] = gs;
      yield* rec(e + 1);
      gs.forEach((g) => used[g]--);
    }
  }
  yield* rec(0);
}

/** The optimum by enumeration (small instances only). */
export function bruteForceOptimum(inst: Instance, dist: LayerDistribution, evaluate: (p: Placement) => number): { value: number; placement: Placement } {
  let best = { value: Infinity, placement: [] as Placement };
  for (const p of allPlacements(inst)) {
    const v = evaluate(p);
    if (v < best.value - 1e-12) best = { value: v, placement: p };
  }
  return best;
}
