// The placements serving engines use today, reimplemented so that moeplan can
// say how much better its own policies are on the same slots.
//
// contiguous  vLLM's default `linear` expert map: expert i on rank
//             i // (n / ranks), the first n mod ranks ranks taking one more.
// round-robin vLLM's `round_robin`: expert i on rank i mod ranks.
// eplb        DeepSeek's EPLB (deepseek-ai/EPLB), from loads only.
//
// Engines that allow spare slots fill them by EPLB's replication rule; the
// static maps do not replicate, so for them spare slots get copies of the
// hottest experts by load per copy (fillWithHotCopies) — documented in
// docs/solvers.md. Constraints are honoured by bending the formula placement
// (bendToConstraints), and the result says what changed.
import type { Instance } from './instance';
import { SolveError } from './instance';
import { bendToConstraints, fillWithHotCopies } from './fill';
import type { Placement } from './types';

interface BaselineOutput {
  placement: Placement;
  notes: string[];
}

/** First-copy counts per GPU for n experts: balanced, capped by capacity. */
function blockSizes(n: number, capacity: number[]): number[] {
  const G = capacity.length;
  const sizes = new Array<number>(G).fill(0);
  const open = capacity.map((c) => c > 0);
  let left = n;
  // vLLM: base = n // G, the first n % G ranks one more; redistribute what
  // capacity clips to the next GPUs with room.
  const live = open.filter(Boolean).length;
  const base = Math.floor(n / live);
  let extra = n % live;
  for (let g = 0; g < G; g++) {
    if (!open[g]) continue;
    const want = base + (extra > 0 ? 1 : 0);
    if (extra > 0) extra--;
    sizes[g] = Math.min(want, capacity[g]);
    left -= sizes[g];
  }
  for (let g = 0; left > 0 && g < G; g++) {
    const add = Math.min(left, capacity[g] - sizes[g]);
    sizes[g] += add;
    left -= add;
  }
  if (left > 0) throw new SolveError(`${n} experts do not fit in ${capacity.reduce((a, b) => a + b, 0)} slots`);
  return sizes;
}

export function contiguous(inst: Instance, load: number[]): BaselineOutput {
  const sizes = blockSizes(inst.experts, inst.capacity);
  const placement: Placement = [];
  let next = 0;
  for (let g = 0; g < inst.gpus; g++) {
    placement.push(Array.from({ length: sizes[g] }, () => next++));
  }
  return finish(inst, placement, load);
}

export function roundRobin(inst: Instance, load: number[]): BaselineOutput {
  const placement: Placement = Array.from({ length: inst.gpus }, () => []);
  let g = 0;
  for (let e = 0; e < inst.experts; e++) {
    let tries = 0;
    while (placement[g].length >= inst.capacity[g]) {
      g = (g + 1) % inst.gpus;
      if (++tries > inst.gpus) throw new SolveError('no free slot');
    }
    placement[g].push(e);
    g = (g + 1) % inst.gpus;
  }
  return finish(inst, placement, load);
}

function finish(inst: Instance, placement: Placement, load: number[]): BaselineOutput {
  fillWithHotCopies(inst, placement, load);
  const notes = inst.constrained ? bendToConstraints(inst, placement, load) : [];
  return { placement, notes };
}

// --- DeepSeek EPLB --------------------------------------------------------

/**
 * EPLB's balanced packing: items heaviest first, each onto the lightest pack
 * that still has room (packs have the given capacities). `conflict(item,
 * pack)` excludes a pack (used to keep copies of one expert apart). When every
 * pack with room conflicts, the item is swapped with an earlier one so both fit.
 */
function balancedPacking(weights: number[], capacities: number[], conflict: (item: number, pack: number, packs: number[][]) => boolean): number[][] {
  const packs: number[][] = capacities.map(() => []);
  const packWeight = new Float64Array(capacities.length);
  const order = weights.map((_, i) => i).sort((a, b) => weights[b] - weights[a] || a - b);
  // Packs with room in a min-heap by (weight, index): the lightest first, in
  // O(log packs) per item (a scan over every pack made 512 GPUs quadratic).
  const heap = new PackHeap(packWeight);
  for (let p = 0; p < packs.length; p++) if (capacities[p] > 0) heap.push(p);
  const skipped: number[] = [];
  for (const item of order) {
    let best = -1;
    while (heap.size > 0) {
      const p = heap.pop();
      if (conflict(item, p, packs)) {
        skipped.push(p);
        continue;
      }
      best = p;
      break;
    }
    for (const p of skipped) heap.push(p);
    skipped.length = 0;
    if (best < 0) {
      // Swap: put `item` in some pack q (no conflict) in place of `other`, and
      // move `other` to a pack p with room where it does not conflict.
      let done = false;
      for (let p = 0; p < packs.length && !done; p++) {
        if (packs[p].length >= capacities[p]) continue;
        for (let q = 0; q < packs.length && !done; q++) {
          if (q === p || conflict(item, q, packs)) continue;
          for (let i = 0; i < packs[q].length; i++) {
            const other = packs[q][i];
            packs[q].splice(i, 1);
            const ok = !conflict(other, p, packs) && !conflict(item, q, packs);
            if (ok) {
              packs[p].push(other);
              packWeight[p] += weights[other];
              packWeight[q] -= weights[other];
              packs[q].push(item);
              packWeight[q] += weights[item];
              done = true;
              break;
            }
            packs[q].splice(i, 0, other);
          }
        }
      }
      if (!done) throw new SolveError('EPLB packing could not keep copies of one expert on distinct GPUs');
      // Weights changed under the heap: rebuild it.
      heap.clear();
      for (let p = 0; p < packs.length; p++) if (packs[p].length < capacities[p]) heap.push(p);
      continue;
    }
    packs[best].push(item);
    packWeight[best] += weights[item];
    if (packs[best].length < capacities[best]) heap.push(best);
  }
  return packs;
}

/** A binary min-heap of pack indices by (weight, index). */
class PackHeap {
  private readonly items: number[] = [];
  constructor(private readonly weight: Float64Array) {}
  get size(): number {
    return this.items.length;
  }
  clear(): void {
    this.items.length = 0;
  }
  private less(a: number, b: number): boolean {
    return this.weight[a] < this.weight[b] || (this.weight[a] === this.weight[b] && a < b);
  }
  push(p: number): void {
    const h = this.items;
    h.push(p);
    for (let i = h.length - 1; i > 0;) {
      const up = (i - 1) >> 1;
      if (!this.less(h[i], h[up])) break;
      [h[i], h[up]] = [h[up], h[i]];
      i = up;
    }
  }
  pop(): number {
    const h = this.items;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

/** EPLB's replication: one copy each, then repeatedly the largest load per copy. */
function replicate(load: number[], slots: number, maxCopies: (e: number) => number): number[] {
  const count = load.map(() => 1);
  for (let s = load.length; s < slots; s++) {
    let best = -1;
    for (let e = 0; e < load.length; e++) {
      if (count[e] >= maxCopies(e)) continue;
      if (best < 0 || load[e] / count[e] > load[best] / count[best]) best = e;
    }
    if (best < 0) break;
    count[best]++;
  }
  return count;
}

/**
 * DeepSeek EPLB: hierarchical when routing groups divide evenly over nodes
 * (groups packed onto nodes by load, replication within each node, copies
 * packed onto the node's GPUs), global otherwise. Unlike the original, two
 * copies of one expert never share a GPU.
 */
export function eplb(inst: Instance, load: number[], gpusPerNode: number, groups?: number): BaselineOutput {
  const { gpus, experts: n, capacity } = inst;
  const notes: string[] = [];
  const nodes = gpusPerNode > 0 && gpus % gpusPerNode === 0 ? gpus / gpusPerNode : 1;
  const g = groups ?? 1;
  const equalSlots = capacity.every((c) => c === capacity[0]);
  const hierarchical = nodes > 1 && g % nodes === 0 && n % g === 0 && equalSlots && capacity[0] * gpusPerNode >= n / nodes;
  let placement: Placement;
  if (hierarchical) {
    placement = eplbHierarchical(inst, load, nodes, gpusPerNode, g);
  } else {
    placement = eplbWithin(
      inst,
      load,
      Array.from({ length: n }, (_, e) => e),
      Array.from({ length: gpus }, (_, i) => i),
    );
  }
  if (inst.constrained) notes.push(...bendToConstraints(inst, placement, load));
  return { placement, notes };
}

/** Replicate `experts` into the slots of `gpuIds`, then pack copies onto them. */
function eplbWithin(inst: Instance, load: number[], experts: number[], gpuIds: number[]): Placement {
  const { gpus, capacity } = inst;
  const slots = gpuIds.reduce((a, gi) => a + capacity[gi], 0);
  const localLoad = experts.map((e) => load[e]);
  // Counted once: replicate() asks for every expert at every slot (4,352 × 256 times with 512 GPUs).
  const usableGpus = gpuIds.filter((gi) => capacity[gi] > 0).length;
  const limit = (i: number) => Math.min(inst.maxCopies[experts[i]], usableGpus);
  const count = inst.replicas ? replicate(localLoad, slots, limit) : experts.map(() => 1);
  const items: number[] = [];
  const weights: number[] = [];
  experts.forEach((e, i) => {
    for (let c = 0; c < count[i]; c++) {
      items.push(e);
      weights.push(localLoad[i] / count[i]);
    }
  });
  const packs = balancedPacking(
    weights,
    gpuIds.map((gi) => capacity[gi]),
    (item, p, ps) => ps[p].some((other) => items[other] === items[item]),
  );
  const placement: Placement = Array.from({ length: gpus }, () => []);
  packs.forEach((pack, p) => {
    placement[gpuIds[p]] = pack.map((i) => items[i]).sort((a, b) => a - b);
  });
  return placement;
}

function eplbHierarchical(inst: Instance, load: number[], nodes: number, gpusPerNode: number, groups: number): Placement {
  const n = inst.experts;
  const groupSize = n / groups;
  const groupLoad = Array.from({ length: groups }, (_, gi) => {
    let s = 0;
    for (let j = 0; j < groupSize; j++) s += load[gi * groupSize + j];
    return s;
  });
  const perNode = groups / nodes;
  const nodeGroups = balancedPacking(groupLoad, new Array(nodes).fill(perNode), () => false);
  const placement: Placement = Array.from({ length: inst.gpus }, () => []);
  for (let node = 0; node < nodes; node++) {
    const experts: number[] = [];
    for (const gi of nodeGroups[node].sort((a, b) => a - b)) {
      for (let j = 0; j < groupSize; j++) experts.push(gi * groupSize + j);
    }
    const gpuIds = Array.from({ length: gpusPerNode }, (_, i) => node * gpusPerNode + i);
    const part = eplbWithin(inst, load, experts, gpuIds);
    for (const gi of gpuIds) placement[gi] = part[gi];
  }
  return placement;
}

/**
 * One copy per expert, packed by load as EPLB packs (hierarchically where it
 * would be): no replicas, spare slots left empty. The placement that buys no
 * redundancy; at large batches often the faster one.
 */
export function oneCopyPerExpert(inst: Instance, load: number[], gpusPerNode: number, groups?: number): BaselineOutput {
  return eplb({ ...inst, replicas: false }, load, gpusPerNode, groups);
}
