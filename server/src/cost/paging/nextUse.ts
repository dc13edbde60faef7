// Next uses for Belady: for each access, the step of the next access to the
// same expert-layer id (NEVER when there is none), and for each id the step
// of its first use. One backward pass.
import type { StepStream } from './steps';

/** "Never used again": larger than any step index. */
const NEVER = 0x7fffffff;

export interface NextUses {
  /** Per access: the step of the next use of its id, or NEVER. */
  next: Int32Array;
  /** Per id: the step of its first use, or NEVER. */
  first: Int32Array;
}

const CHUNK_STEPS = 4096;

export function nextUses(stream: StepStream): NextUses {
  const { steps, offsets, ids } = stream;
  const first = new Int32Array(stream.layers * stream.experts).fill(NEVER);
  const next = new Int32Array(ids.length);
  // In chunks: a long loop run once is compiled on the stack and runs slower.
  for (let s = steps; s > 0; s -= CHUNK_STEPS) linkBack(offsets, ids, next, first, Math.max(0, s - CHUNK_STEPS), s);
  return { next, first };
}

function linkBack(offsets: Int32Array, ids: Int32Array, next: Int32Array, first: Int32Array, s0: number, s1: number): void {
  for (let s = s1 - 1; s >= s0; s--) {
    for (let i = offsets[s]; i < offsets[s + 1]; i++) {
      const id = ids[i];
      next[i] = first[id];
      first[id] = s;
    }
  }
}
