// A lower bound on the step time of every placement, on the same batches the
// objective is averaged over (docs/solvers.md, "Bounds"):
//
// - compute: the B·k pairs of a batch are processed somewhere, and every
//   distinct expert of the batch is read at least once, so the slowest GPU
//   takes at least max(⌈distinct/G⌉·read, ⌈B·k/G⌉·math); at batch 1 on an
//   enumerated distribution, E[T]'s own lower bound × one expert's time;
// - communication: a GPU holding s experts serves at most the s most frequent
//   experts of its own tokens locally; every other pair leaves it, over
//   NVLink and the network at best in parallel, and combine returns them.
import type { StepCosts } from './costs';
import type { StepSamples } from './samples';

interface StepBound {
  /** Weighted mean over batches, seconds. */
  stepS: number;
  computeS: number;
  communicationS: number;
}

export function stepLowerBound(samples: StepSamples, costs: StepCosts, slotsPerGpu: readonly number[], expectedTimeBound?: number): StepBound {
  const { batch: B, k, experts: n, batches: S, ids, origin, weight } = samples;
  const G = costs.gpus;
  const unit = Math.max(costs.readS, costs.mathS);
  const count = new Int32Array(n);
  const seen = new Int32Array(n);
  const touched = new Int32Array(n);
  // Histogram of counts: the s largest counts summed without sorting.
  let histogram = new Int32Array(Math.max(2, B + 1));
  const singleNode = costs.gpusPerNode >= G;
  const perMessage = singleNode
    ? costs.messageBytes * costs.nvlink.secondsPerByte
    : costs.messageBytes / (1 / costs.nvlink.secondsPerByte + 1 / costs.network.secondsPerByte);
  const latency = singleNode ? costs.nvlink.latencyS : Math.min(costs.nvlink.latencyS, costs.network.latencyS);
  let compute = 0;
  let comm = 0;
  const byOrigin = new Int32Array(B);
  for (let b = 0; b < S; b++) {
    let distinct = 0;
    const t0 = b * B;
    for (let p = t0 * k; p < (t0 + B) * k; p++) {
      if (seen[ids[p]] !== b + 1) {
        seen[ids[p]] = b + 1;
        distinct++;
      }
    }
    compute += weight[b] * Math.max(Math.ceil(distinct / G) * costs.readS, Math.ceil((B * k) / G) * costs.mathS);
    // Tokens grouped by their GPU: sorted by origin (a batch has at most B distinct origins).
    for (let i = 0; i < B; i++) byOrigin[i] = t0 + i;
    if (B > 1) byOrigin.subarray(0, B).sort((x, y) => origin[x] - origin[y] || x - y);
    let worst = 0;
    for (let from = 0; from < B;) {
      const o = origin[byOrigin[from]];
      let to = from + 1;
      while (to < B && origin[byOrigin[to]] === o) to++;
      let nTouched = 0;
      let most = 0;
      for (let i = from; i < to; i++) {
        const t = byOrigin[i];
        for (let j = 0; j < k; j++) {
          const e = ids[t * k + j];
          if (count[e] === 0) touched[nTouched++] = e;
          const c = ++count[e];
          if (c > most) most = c;
        }
      }
      if (histogram.length <= most) histogram = new Int32Array(most + 1);
      for (let i = 0; i < nTouched; i++) {
        histogram[count[touched[i]]]++;
        count[touched[i]] = 0;
      }
      // Local pairs at most: the s_o largest counts.
      let slots = slotsPerGpu[o] ?? 0;
      let local = 0;
      for (let c = most; c > 0; c--) {
        const h = histogram[c];
        if (h > 0 && slots > 0) {
          const take = Math.min(h, slots);
          local += take * c;
          slots -= take;
        }
        histogram[c] = 0;
      }
      const remote = (to - from) * k - local;
      if (remote > 0) worst = Math.max(worst, latency + remote * perMessage);
      from = to;
    }
    comm += weight[b] * 2 * worst;
  }
  if (samples.exact && B === 1 && expectedTimeBound !== undefined) compute = Math.max(compute, expectedTimeBound * unit);
  const shared = costs.sharedS(B);
  return { stepS: compute + shared + comm, computeS: compute + shared, communicationS: comm };
}
