// Which copy serves a (token, expert) pair: the copy-choice rules of the
// serving engines, and a balanced rule an engine could implement.
//
// static    SGLang `--ep-dispatch-algorithm static` (its choice whenever an
//           expert location is loaded): per (source GPU, expert) a fixed
//           copy — the one on the same GPU, else one in the same node, else
//           the source GPUs left are spread evenly over all copies by a
//           seeded shuffle (sglang/srt/eplb/expert_location.py,
//           compute_logical_to_rank_dispatch_physical_map).
// random    vLLM's EPLB replica choice: copy number (flat position of the pair
//           in its GPU's batch) mod (copies), copies in physical-slot order;
//           no preference for a local copy (vllm/model_executor/layers/
//           fused_moe, eplb_map_to_physical_and_record).
// balanced  per step, each pair to the copy that least increases the step
//           time (greedy); at batch 1 the optimal b-matching, i.e. the
//           dynamic allocation of Beaumont et al. (Euro-Par 2025).
import { Rng, deriveSeed } from '../../workload/random';
import type { DispatchRule } from '../../plan/types';

export type { DispatchRule };

/**
 * SGLang's static map for one expert: out[o] = GPU serving expert pairs of
 * tokens that start on GPU o. `copies` ascending; `nodeOf[g]` the node of g.
 */
export function staticDispatchRow(copies: ArrayLike<number>, count: number, nodeOf: Int32Array, seed: number, out: Int32Array, offset: number): void {
  const G = nodeOf.length;
  if (count === 1) {
    out.fill(copies[0], offset, offset + G);
    return;
  }
  const left: number[] = [];
  for (let o = 0; o < G; o++) {
    let pick = -1;
    for (let c = 0; c < count && pick < 0; c++) if (copies[c] === o) pick = o;
    for (let c = 0; c < count && pick < 0; c++) if (nodeOf[copies[c]] === nodeOf[o]) pick = copies[c];
    out[offset + o] = pick;
    if (pick < 0) left.push(o);
  }
  if (left.length === 0) return;
  // Fair choice: every copy ⌊left/count⌋ times, a seeded sample of the rest, shuffled.
  const rng = new Rng(seed);
  const choices: number[] = [];
  for (let q = 0; q < Math.floor(left.length / count); q++) for (let c = 0; c < count; c++) choices.push(copies[c]);
  const pool = Array.from({ length: count }, (_, c) => copies[c]);
  for (let r = left.length % count; r > 0; r--) choices.push(pool.splice(rng.int(pool.length), 1)[0]);
  for (let i = choices.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const x = choices[i];
    choices[i] = choices[j];
    choices[j] = x;
  }
  left.forEach((o, i) => (out[offset + o] = choices[i]));
}

/** Seed of expert e's static row: fixed per layer and expert, so a row depends only on its copies. */
export function staticRowSeed(seed: number, e: number): number {
  return deriveSeed(seed, e, 0x57a7);
}
