// Shared steps of the baseline policies: filling spare slots with copies of
// the hottest experts, and bending a formula placement to the constraints.
import type { Instance } from './instance';
import { firstCopies, SolveError } from './instance';
import type { Placement } from './types';

/**
 * Fills free slots with extra copies, one at a time: the expert with the
 * largest load per copy (DeepSeek EPLB's replication rule) goes to the GPU
 * with the most free slots that may hold it and does not yet (ties: the
 * lighter GPU by expected load, then the lower index).
 */
export function fillWithHotCopies(inst: Instance, placement: Placement, load: number[]): void {
  const { gpus, experts: n, allowed, maxCopies, capacity } = inst;
  if (!inst.replicas) return;
  const copies = new Int32Array(n);
  const on = new Uint8Array(n * gpus);
  const gpuLoad = new Float64Array(gpus);
  for (let g = 0; g < gpus; g++)
    for (const e of placement[g]) {
      copies[e]++;
      on[e * gpus + g] = 1;
    }
  for (let g = 0; g < gpus; g++) for (const e of placement[g]) gpuLoad[g] += load[e] / copies[e];
  const free = capacity.map((c, g) => c - placement[g].length);
  let remaining = free.reduce((a, b) => a + Math.max(0, b), 0);
  const blocked = new Uint8Array(n);
  while (remaining > 0) {
    let best = -1;
    let bestPer = -1;
    for (let e = 0; e < n; e++) {
      if (blocked[e] || copies[e] >= maxCopies[e]) continue;
      const per = load[e] / copies[e];
      if (per > bestPer) {
        bestPer = per;
        best = e;
      }
    }
    if (best < 0) break;
    let target = -1;
    for (let g = 0; g < gpus; g++) {
      if (free[g] <= 0 || on[best * gpus + g] || !allowed[best * gpus + g]) continue;
      if (target < 0 || free[g] > free[target] || (free[g] === free[target] && gpuLoad[g] < gpuLoad[target])) target = g;
    }
    if (target < 0) {
      blocked[best] = 1;
      continue;
    }
    placement[target].push(best);
    on[best * gpus + target] = 1;
    copies[best]++;
    free[target]--;
    gpuLoad[target] += load[best] / copies[best];
    remaining--;
  }
}

/**
 * Makes a placement honour pins, forbids and copy limits with as few changes
 * as possible: drops forbidden and surplus copies, adds pinned copies (evicting
 * a replica, else re-homing a single copy), re-homes experts left without a
 * copy, then refills spare slots. Returns what it changed, for the report.
 */
export function bendToConstraints(inst: Instance, placement: Placement, load: number[]): string[] {
  const { gpus, experts: n, allowed, pinned, maxCopies } = inst;
  const notes: string[] = [];
  let dropped = 0;
  for (let g = 0; g < gpus; g++) {
    const before = placement[g].length;
    placement[g] = placement[g].filter((e, i, a) => allowed[e * gpus + g] && a.indexOf(e) === i);
    dropped += before - placement[g].length;
  }
  const copies = new Int32Array(n);
  for (let g = 0; g < gpus; g++) for (const e of placement[g]) copies[e]++;
  // Surplus copies beyond the limit: drop unpinned ones from the highest GPU.
  for (let e = 0; e < n; e++) {
    for (let g = gpus - 1; g >= 0 && copies[e] > maxCopies[e]; g--) {
      if (!pinned[e * gpus + g] && placement[g].includes(e)) {
        placement[g].splice(placement[g].indexOf(e), 1);
        copies[e]--;
        dropped++;
      }
    }
  }
  let pinnedAdded = 0;
  for (let e = 0; e < n; e++) {
    for (let g = 0; g < gpus; g++) {
      if (!pinned[e * gpus + g] || placement[g].includes(e)) continue;
      if (copies[e] >= maxCopies[e]) {
        // Move an unpinned copy of e here instead.
        for (let h = 0; h < gpus; h++) {
          if (h !== g && !pinned[e * gpus + h] && placement[h].includes(e)) {
            placement[h].splice(placement[h].indexOf(e), 1);
            copies[e]--;
            break;
          }
        }
      }
      if (placement[g].length >= inst.capacity[g]) {
        // Evict the unpinned copy whose expert has the most copies (a replica if any), lightest first.
        let victim = -1;
        for (const x of placement[g]) {
          if (pinned[x * gpus + g]) continue;
          if (victim < 0 || copies[x] > copies[victim] || (copies[x] === copies[victim] && load[x] < load[victim])) victim = x;
        }
        if (victim < 0) throw new SolveError(`GPU ${g} is full of pinned experts`);
        placement[g].splice(placement[g].indexOf(victim), 1);
        copies[victim]--;
      }
      placement[g].push(e);
      copies[e]++;
      pinnedAdded++;
    }
  }
  // Experts left without a copy: re-home through the first-copy matcher,
  // keeping every other copy where it is.
  const homeless: number[] = [];
  for (let e = 0; e < n; e++) if (copies[e] === 0) homeless.push(e);
  if (homeless.length > 0) {
    const free = inst.capacity.map((c, g) => c - placement[g].length);
    for (const e of homeless) {
      let g = -1;
      for (let h = 0; h < gpus; h++) if (free[h] > 0 && allowed[e * gpus + h] && (g < 0 || free[h] > free[g])) g = h;
      if (g < 0) {
        // Evict a replica somewhere allowed for e.
        for (let h = 0; h < gpus && g < 0; h++) {
          if (!allowed[e * gpus + h]) continue;
          const x = placement[h].find((y) => copies[y] > 1 && !pinned[y * gpus + h]);
          if (x !== undefined) {
            placement[h].splice(placement[h].indexOf(x), 1);
            copies[x]--;
            free[h]++;
            g = h;
          }
        }
      }
      if (g < 0) {
        // Fall back to a fresh single-copy assignment that honours everything.
        const fresh = firstCopies(
          inst,
          Array.from({ length: n }, (_, i) => i).sort((a, b) => load[b] - load[a] || a - b),
        );
        if (!fresh) throw new SolveError('constraints leave no feasible placement');
        for (let h = 0; h < gpus; h++) placement[h] = fresh[h];
        notes.push('constraints forced a fresh one-copy-per-expert layout');
        fillWithHotCopies(inst, placement, load);
        return notes;
      }
      placement[g].push(e);
      copies[e]++;
      free[g]--;
    }
  }
  fillWithHotCopies(inst, placement, load);
  if (dropped > 0) notes.push(`dropped ${dropped} cop${dropped === 1 ? 'y' : 'ies'} that the constraints forbid`);
  if (pinnedAdded > 0) notes.push(`added ${pinnedAdded} pinned cop${pinnedAdded === 1 ? 'y' : 'ies'}`);
  if (homeless.length > 0) notes.push(`re-homed ${homeless.length} expert${homeless.length === 1 ? '' : 's'} left without a copy`);
  return notes;
}
