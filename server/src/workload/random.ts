// The one seeded PRNG of the project, and samplers: synthetic workloads,
// sampled batches, sampled token orders and the solvers' local searches are
// identical on every machine and Node version for a given seed.
//
// Generator: xoshiro128** (Blackman & Vigna), 128-bit state, 32-bit output,
// seeded by expanding the 32-bit seed through splitmix32. Fast in JS (only
// Math.imul and shifts) and far better distributed than an LCG.

export class Rng {
  /** State in a typed array: plain int32 slots, never boxed numbers. */
  private readonly s = new Int32Array(4);

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) | 0;
    };
    const s = this.s;
    s[0] = next();
    s[1] = next();
    s[2] = next();
    s[3] = next();
    if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const s1 = s[1];
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    s[2] ^= s[0];
    s[3] ^= s1;
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return r >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Shuffles `a` in place (Fisher–Yates) and returns it. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const x = a[i];
      a[i] = a[j];
      a[j] = x;
    }
    return a;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    let u = this.next();
    while (u <= 0) u = this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A derived seed for a sub-stream (layer, purpose), so streams do not overlap. */
export function deriveSeed(seed: number, ...parts: number[]): number {
  let h = (seed ^ 0x5bd1e995) >>> 0;
  for (const p of parts) {
    h = Math.imul(h ^ (p + 0x9e3779b9), 0x85ebca6b) >>> 0;
    h ^= h >>> 15;
  }
  return h >>> 0;
}

/** Scratch lists for buildAliasInto; reusable for tables of up to `n` entries. */
export class AliasWork {
  readonly scaled: Float64Array;
  readonly small: Int32Array;
  readonly large: Int32Array;
  constructor(readonly n: number) {
    this.scaled = new Float64Array(n);
    this.small = new Int32Array(n);
    this.large = new Int32Array(n);
  }
}

/**
 * Vose's alias table for weights[off .. off+n), written into prob/alias at
 * the same offsets (alias holds indices within the table, 0..n-1). Lets a
 * caller keep many small tables in two flat arrays. Returns false (and
 * writes nothing) when the total weight is not positive.
 */
export function buildAliasInto(
  weights: ArrayLike<number>,
  off: number,
  n: number,
  prob: Float64Array,
  alias: Int32Array,
  work: AliasWork = new AliasWork(n),
): boolean {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += weights[off + i];
  if (!(sum > 0)) return false;
  const { scaled, small, large } = work;
  let ns = 0;
  let nl = 0;
  for (let i = 0; i < n; i++) {
    scaled[i] = (weights[off + i] * n) / sum;
    if (scaled[i] < 1) small[ns++] = i;
    else large[nl++] = i;
  }
  while (ns > 0 && nl > 0) {
    const s = small[--ns];
    const l = large[--nl];
    prob[off + s] = scaled[s];
    alias[off + s] = l;
    scaled[l] = scaled[l] + scaled[s] - 1;
    if (scaled[l] < 1) small[ns++] = l;
    else large[nl++] = l;
  }
  while (nl > 0) {
    const i = large[--nl];
    prob[off + i] = 1;
    alias[off + i] = i;
  }
  while (ns > 0) {
    const i = small[--ns];
    prob[off + i] = 1;
    alias[off + i] = i;
  }
  return true;
}

/** Vose's alias table: O(1) draws from a fixed discrete distribution. */
export class AliasTable {
  readonly prob: Float64Array;
  readonly alias: Int32Array;
  readonly n: number;

  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    this.n = n;
    this.prob = new Float64Array(n);
    this.alias = new Int32Array(n);
    if (!buildAliasInto(weights, 0, n, this.prob, this.alias)) throw new RangeError('alias table needs a positive total weight');
  }

  draw(rng: Rng): number {
    return this.drawU(rng.next());
  }

  /** A draw from a uniform u in [0, 1) (lets a caller reuse the rest of a random number). */
  drawU(u01: number): number {
    const u = u01 * this.n;
    const i = Math.floor(u);
    return u - i < this.prob[i] ? i : this.alias[i];
  }
}
