// Lower bounds on E[T] that hold for every placement on the given slots.
//
// trivial     ⌈k / G⌉, G = GPUs with at least one slot: k experts on G GPUs.
// colocation  With M slots for n experts, at most M − n experts can have a
//             second copy, so at least n₁ = n − (M − n) experts (n without
//             replicas) have exactly one. Those n₁ single copies sit on GPUs
//             with at most m_g each, so at least N = min Σ_g C(c_g, r) sets of
//             r = t₀ + 1 single-copy experts share a GPU (t₀ = ⌈k/G⌉; the
//             minimum is reached by spreading n₁ as evenly as capacities
//             allow, since C(c, r) is convex in c). A token whose subset
//             contains such a set needs T ≥ t₀ + 1. One subset contains at
//             most C(k, r) r-sets, so the mass of those tokens is at least
//             Σ q(R) / C(k, r) over the co-located sets R, q(R) = P(S ⊇ R),
//             which is at least the sum of the N smallest q(R) over all
//             r-sets. Hence E[T] ≥ t₀ + (sum of the N smallest q) / C(k, r).
//             Proof sketch and measured strength in docs/solvers.md.
import type { LayerDistribution } from '../workload/types';
import { pairMass } from '../workload/distribution';

interface BoundInput {
  dist: LayerDistribution;
  /** Slots per GPU (0 where a GPU may hold nothing). */
  capacity: number[];
  /** false = one copy per expert. */
  replicas: boolean;
}

interface LowerBound {
  value: number;
  trivial: number;
  colocation: number;
}

function trivialBound(k: number, capacity: number[]): number {
  const live = capacity.filter((c) => c > 0).length;
  return Math.max(1, Math.ceil(k / Math.max(1, live)));
}

function binom(n: number, r: number): number {
  if (r < 0 || r > n) return 0;
  let x = 1;
  for (let i = 0; i < r; i++) x = (x * (n - i)) / (i + 1);
  return Math.round(x);
}

/** Largest r-set enumeration we attempt (per subset combinations × subsets). */
const MAX_SET_WORK = 4_000_000;

function colocationBound(input: BoundInput): number {
  const { dist, capacity, replicas } = input;
  const { k, experts: n } = dist;
  const t0 = trivialBound(k, capacity);
  if (dist.total <= 0 || dist.count === 0) return 0;
  const r = t0 + 1;
  if (r > k) return t0;
  const slots = capacity.reduce((a, b) => a + b, 0);
  const single = replicas ? Math.max(0, n - Math.max(0, slots - n)) : n;
  // N: fewest co-located r-sets when `single` copies are spread over GPUs.
  const c = new Array<number>(capacity.length).fill(0);
  let left = single;
  let forced = 0;
  while (left > 0) {
    let best = -1;
    for (let g = 0; g < c.length; g++) if (c[g] < capacity[g] && (best < 0 || c[g] < c[best])) best = g;
    if (best < 0) break;
    forced += binom(c[best], r - 1);
    c[best]++;
    left--;
  }
  if (forced <= 0) return t0;
  const perSubset = binom(k, r);
  if (perSubset * dist.count > MAX_SET_WORK || Math.pow(n, r) > 2 ** 52) return t0;
  // Masses of the r-sets that occur; all others have mass 0.
  const { ids, weights } = dist;
  let values: number[];
  if (r === 2 && n <= 2048) {
    // Pairs: the layer's (memoised) pair mass, upper triangle, instead of a map.
    const co = pairMass(dist);
    values = [];
    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++) {
        const v = co[a * n + b];
        if (v > 0) values.push(v);
      }
    }
  } else {
    const mass = new Map<number, number>();
    const idx = new Int32Array(r);
    for (let s = 0, off = 0; s < dist.count; s++, off += k) {
      for (let i = 0; i < r; i++) idx[i] = i;
      for (;;) {
        let key = 0;
        for (let i = 0; i < r; i++) key = key * n + ids[off + idx[i]];
        mass.set(key, (mass.get(key) ?? 0) + weights[s]);
        let i = r - 1;
        while (i >= 0 && idx[i] === k - r + i) i--;
        if (i < 0) break;
        idx[i]++;
        for (let j = i + 1; j < r; j++) idx[j] = idx[j - 1] + 1;
      }
    }
    values = Array.from(mass.values());
  }
  const zero = binom(n, r) - values.length;
  if (forced <= zero) return t0;
  const sorted = values.sort((a, b) => a - b);
  let sum = 0;
  for (let i = 0; i < forced - zero && i < sorted.length; i++) sum += sorted[i];
  return t0 + sum / perSubset / dist.total;
}

const cache = new WeakMap<LayerDistribution, Map<string, LowerBound>>();

/** The best of the bounds above (memoised per distribution and slots). */
export function lowerBound(input: BoundInput): LowerBound {
  const key = `${input.replicas ? 'r' : 's'}:${input.capacity.join(',')}`;
  let byKey = cache.get(input.dist);
  const hit = byKey?.get(key);
  if (hit) return hit;
  const trivial = trivialBound(input.dist.k, input.capacity);
  const colocation = colocationBound(input);
  const out = { value: Math.max(trivial, colocation), trivial, colocation };
  if (!byKey) cache.set(input.dist, (byKey = new Map()));
  byKey.set(key, out);
  return out;
}
