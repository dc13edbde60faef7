// A SolveInput turned into flat arrays every policy shares: per-GPU capacity,
// which (expert, GPU) pairs are allowed, pinned copies, and the copy limit per
// expert. Infeasible constraints are reported here, once, with a message that
// says what to change.
import type { SolveInput, Placement } from './types';

/** The constraints cannot all be met (or a policy cannot meet them). */
export class SolveError extends Error {
  // Set, not inferred: worker failures are told apart by name, and minified bundles rename classes.
  override name = 'SolveError';
}

export interface Instance {
  experts: number;
  k: number;
  gpus: number;
  /** Expert slots per GPU (0 for a GPU that may hold nothing). */
  capacity: number[];
  /** allowed[e * gpus + g] = 1 when expert e may have a copy on GPU g. */
  allowed: Uint8Array;
  /** pinned[e * gpus + g] = 1 when expert e must have a copy on GPU g. */
  pinned: Uint8Array;
  /** Most copies expert e may have. */
  maxCopies: Int32Array;
  replicas: boolean;
  /** Total slots over GPUs. */
  totalSlots: number;
  /** Any constraint other than capacity (pins, forbids, copy limit, no replicas). */
  constrained: boolean;
}

/**
 * Instances already built for a distribution, by their inputs: a layer's
 * analysis solves several policies on the same slots and constraints, and
 * building one runs a b-matching of every expert. Instances are never
 * modified (policies copy what they change).
 */
const built = new WeakMap<object, Map<string, Instance>>();

export function instanceOf(input: SolveInput): Instance {
  const key = JSON.stringify([input.gpus, input.slotsPerGpu, input.constraints]);
  let forDist = built.get(input.dist);
  const hit = forDist?.get(key);
  if (hit) return hit;
  const inst = buildInstance(input);
  if (!forDist) built.set(input.dist, (forDist = new Map()));
  if (forDist.size >= 8) forDist.clear();
  forDist.set(key, inst);
  return inst;
}

function buildInstance(input: SolveInput): Instance {
  const { dist, gpus, slotsPerGpu, constraints } = input;
  const n = dist.experts;
  if (!Number.isInteger(gpus) || gpus < 1) throw new SolveError(`need at least one GPU (got ${gpus})`);
  if (slotsPerGpu.length !== gpus) {
    throw new SolveError(`slots are given for ${slotsPerGpu.length} GPUs but there are ${gpus}`);
  }
  const capacity = slotsPerGpu.map((s) => Math.max(0, Math.floor(s)));
  const allowed = new Uint8Array(n * gpus).fill(1);
  const pinned = new Uint8Array(n * gpus);
  for (const f of constraints.forbids) {
    if (f.gpu < 0 || f.gpu >= gpus) throw new SolveError(`forbid names GPU ${f.gpu}, but GPUs are numbered 0..${gpus - 1}`);
    if (f.expert === undefined) {
      capacity[f.gpu] = 0;
      for (let e = 0; e < n; e++) allowed[e * gpus + f.gpu] = 0;
    } else {
      if (f.expert < 0 || f.expert >= n) throw new SolveError(`forbid names expert ${f.expert}, but experts are numbered 0..${n - 1}`);
      allowed[f.expert * gpus + f.gpu] = 0;
    }
  }
  const limit = constraints.replicas ? Math.max(1, constraints.maxCopies ?? gpus) : 1;
  const maxCopies = new Int32Array(n).fill(Math.min(limit, gpus));
  const pinCount = new Int32Array(gpus);
  const pinsOf = new Int32Array(n);
  for (const p of constraints.pins) {
    if (p.gpu < 0 || p.gpu >= gpus) throw new SolveError(`pin names GPU ${p.gpu}, but GPUs are numbered 0..${gpus - 1}`);
    if (p.expert < 0 || p.expert >= n) throw new SolveError(`pin names expert ${p.expert}, but experts are numbered 0..${n - 1}`);
    if (!allowed[p.expert * gpus + p.gpu]) {
      throw new SolveError(`expert ${p.expert} is both pinned to and forbidden on GPU ${p.gpu}: drop one of the two`);
    }
    if (pinned[p.expert * gpus + p.gpu]) continue;
    pinned[p.expert * gpus + p.gpu] = 1;
    pinCount[p.gpu]++;
    pinsOf[p.expert]++;
  }
  for (let e = 0; e < n; e++) {
    if (pinsOf[e] > maxCopies[e]) {
      throw new SolveError(
        constraints.replicas
          ? `expert ${e} is pinned to ${pinsOf[e]} GPUs but may have at most ${maxCopies[e]} copies: raise the copy limit or drop a pin`
          : `expert ${e} is pinned to ${pinsOf[e]} GPUs but replicas are off (one copy per expert): turn replicas on or drop a pin`,
      );
    }
  }
  for (let g = 0; g < gpus; g++) {
    if (pinCount[g] > capacity[g]) {
      throw new SolveError(`GPU ${g} has ${capacity[g]} expert slots but ${pinCount[g]} experts are pinned to it: unpin some or give it more memory`);
    }
  }
  const totalSlots = capacity.reduce((a, b) => a + b, 0);
  if (totalSlots < n) {
    throw new SolveError(
      `${n} experts need at least ${n} expert slots, but the GPUs have ${totalSlots} (${describeSlots(capacity)}): ` +
        `add GPUs, free memory (smaller reserve) or use paging`,
    );
  }
  const inst: Instance = {
    experts: n,
    k: dist.k,
    gpus,
    capacity,
    allowed,
    pinned,
    maxCopies,
    replicas: constraints.replicas,
    totalSlots,
    constrained: constraints.pins.length > 0 || constraints.forbids.length > 0 || !constraints.replicas || constraints.maxCopies !== undefined,
  };
  // Every expert needs one copy: a b-matching of unpinned experts to the
  // slots left after pins must exist.
  const first = firstCopies(
    inst,
    Array.from({ length: n }, (_, e) => e),
  );
  if (!first) {
    throw new SolveError(`the pins and forbids leave no way to give every expert a copy within the GPUs' slots: relax a forbid or add memory`);
  }
  return inst;
}

function describeSlots(capacity: number[]): string {
  const same = capacity.every((c) => c === capacity[0]);
  return same ? `${capacity.length} × ${capacity[0]}` : capacity.join(' + ');
}

/**
 * One copy per expert (pinned copies included, so pinned experts may get
 * several), honouring capacity and forbids, or undefined when impossible.
 * `order` gives the preference order of unpinned experts; `prefer(e)` may
 * return GPUs in preference order (default: most free slots first).
 * Augmenting paths move earlier experts when a later one is stuck.
 */
export function firstCopies(
  inst: Instance,
  order: number[],
  prefer?: (e: number, placement: number[][], free: number[]) => number[],
  capacity: number[] = inst.capacity,
): Placement | undefined {
  const { gpus, experts: n, allowed, pinned } = inst;
  const placement: number[][] = Array.from({ length: gpus }, () => []);
  const free = capacity.slice();
  const has = new Uint8Array(n);
  for (let e = 0; e < n; e++) {
    for (let g = 0; g < gpus; g++) {
      if (pinned[e * gpus + g]) {
        placement[g].push(e);
        free[g]--;
        has[e] = 1;
      }
    }
  }
  for (let g = 0; g < gpus; g++) if (free[g] < 0) return undefined;
  // gpuOf for unpinned single copies (for augmenting moves).
  for (const e of order) {
    if (has[e]) continue;
    const candidates = prefer ? prefer(e, placement, free) : Array.from({ length: gpus }, (_, g) => g).sort((a, b) => free[b] - free[a] || a - b);
    let done = false;
    for (const g of candidates) {
      if (free[g] > 0 && allowed[e * gpus + g]) {
        placement[g].push(e);
        free[g]--;
        done = true;
        break;
      }
    }
    if (!done && !augmentFirstCopy(inst, e, placement, free)) return undefined;
    has[e] = 1;
  }
  return placement;
}

/** Moves unpinned copies along a path so that e gets a slot (BFS over GPUs). */
function augmentFirstCopy(inst: Instance, e: number, placement: number[][], free: number[]): boolean {
  const { gpus, allowed, pinned } = inst;
  // BFS: node = GPU; from GPU g we can move an unpinned expert x on g to any
  // allowed GPU h without x.
  const prevGpu = new Int32Array(gpus).fill(-2);
  const viaExpert = new Int32Array(gpus).fill(-1);
  const queue: number[] = [];
  for (let g = 0; g < gpus; g++) {
    if (allowed[e * gpus + g] && !placement[g].includes(e)) {
      prevGpu[g] = -1;
      queue.push(g);
    }
  }
  for (let qi = 0; qi < queue.length; qi++) {
    const g = queue[qi];
    if (free[g] > 0) {
      // Walk back: each step moves viaExpert[h] from prevGpu[h] to h.
      let h = g;
      free[g]--;
      while (prevGpu[h] !== -1) {
        const x = viaExpert[h];
        const from = prevGpu[h];
        placement[from].splice(placement[from].indexOf(x), 1);
        placement[h].push(x);
        h = from;
      }
      placement[h].push(e);
      return true;
    }
    for (const x of placement[g]) {
      if (pinned[x * gpus + g]) continue;
      for (let h = 0; h < gpus; h++) {
        if (prevGpu[h] !== -2 || !allowed[x * gpus + h] || placement[h].includes(x)) continue;
        prevGpu[h] = g;
        viaExpert[h] = x;
        queue.push(h);
      }
    }
  }
  return false;
}

/** Problems with a placement under the instance (empty when valid). */
export function placementProblems(inst: Instance, placement: Placement): string[] {
  const out: string[] = [];
  const { gpus, experts: n } = inst;
  if (placement.length !== gpus) return [`placement has ${placement.length} GPUs, expected ${gpus}`];
  const copies = new Int32Array(n);
  for (let g = 0; g < gpus; g++) {
    if (placement[g].length > inst.capacity[g]) out.push(`GPU ${g} holds ${placement[g].length} experts but has ${inst.capacity[g]} slots`);
    const seen = new Set<number>();
    for (const e of placement[g]) {
      if (!Number.isInteger(e) || e < 0 || e >= n) {
        out.push(`GPU ${g} holds unknown expert ${e}`);
        continue;
      }
      if (seen.has(e)) out.push(`GPU ${g} holds two copies of expert ${e}`);
      seen.add(e);
      copies[e]++;
      if (!inst.allowed[e * gpus + g]) out.push(`expert ${e} is forbidden on GPU ${g}`);
    }
    for (let e = 0; e < n; e++) if (inst.pinned[e * gpus + g] && !seen.has(e)) out.push(`expert ${e} is pinned to GPU ${g} but not there`);
  }
  for (let e = 0; e < n; e++) {
    if (copies[e] === 0) out.push(`expert ${e} has no copy`);
    if (copies[e] > inst.maxCopies[e]) out.push(`expert ${e} has ${copies[e]} copies, limit ${inst.maxCopies[e]}`);
  }
  return out;
}
