// Pure figures derived from PlanResults for the charts. No DOM here, so the
// report renderer and unit tests can use them too.
import type { LayerResult, PlanResults, PolicyFigure } from '../../server/src/protocol';
import { POLICY } from '../../server/src/plan/vocabulary';

/** Copies of each expert in a placement (0 = unplaced). */
export function copiesPerExpert(placement: number[][], experts: number): number[] {
  const copies = new Array<number>(experts).fill(0);
  for (const gpu of placement) for (const e of gpu) if (e >= 0 && e < experts) copies[e]++;
  return copies;
}

export function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
}

/** Display order of policies: engine defaults first, then solvers, then references. */
const POLICY_ORDER: readonly string[] = [...POLICY.words, 'committed', 'lower-bound'];

export function orderedPolicies(layer: LayerResult): PolicyFigure[] {
  const seen = new Map<string, PolicyFigure>();
  for (const p of layer.policies ?? []) seen.set(p.policy, p);
  // Older payloads may only carry the baselines; fill in what is known.
  const add = (policy: PolicyFigure['policy'], expectedTime: number | undefined) => {
    if (!seen.has(policy) && expectedTime !== undefined && Number.isFinite(expectedTime)) {
      const scale = layer.expectedTime > 0 ? layer.latencyUs / layer.expectedTime : NaN;
      seen.set(policy, { policy, expectedTime, latencyUs: expectedTime * scale });
    }
  };
  add('contiguous', layer.baselines?.contiguous);
  add('round-robin', layer.baselines?.roundRobin);
  add('eplb', layer.baselines?.eplb);
  add('committed', layer.committedExpectedTime);
  add('lower-bound', layer.lowerBound);
  return [...seen.values()].sort((a, b) => rank(a.policy) - rank(b.policy));
}

function rank(policy: string): number {
  const i = POLICY_ORDER.indexOf(policy);
  return i < 0 ? POLICY_ORDER.length : i;
}

/** Points of the throughput/latency curve for the planner's and the engine's copy choice. */
export function batchCurves(results: PlanResults): {
  planned: { x: number; y: number; batch: number }[];
  engine: { x: number; y: number; batch: number }[];
} {
  const sweep = (results.batchSweep ?? []).filter((p) => Number.isFinite(p.latencyUsPerToken) && Number.isFinite(p.tokensPerS));
  const planned = sweep.map((p) => ({ x: p.latencyUsPerToken, y: p.tokensPerS, batch: p.batch }));
  const engine = sweep
    .filter((p) => Number.isFinite(p.engineStepUs) && p.engineStepUs > 0 && p.stepUs > 0)
    .map((p) => {
      // The engine's copy choice stretches the step; a token waits for its step.
      const stretch = p.engineStepUs / p.stepUs;
      return { x: p.latencyUsPerToken * stretch, y: p.tokensPerS / stretch, batch: p.batch };
    });
  return { planned, engine };
}

/**
 * γ over the number of tokens, scaled from the plan's one figure: only the
 * ratio N_ue/N_t depends on the token count, with N_ue = min(k·N_t, experts).
 */
export function gammaCurve(results: PlanResults): { tokens: number; gamma: number }[] {
  if (!results.offload) return [];
  const { gamma, tokens } = results.offload;
  const { topK, experts } = results.model;
  if (!(tokens > 0) || !Number.isFinite(gamma) || !(topK > 0) || !(experts > 0)) return [];
  const ratio = (n: number) => Math.min(topK * n, experts) / n;
  const base = gamma / ratio(tokens);
  const points: { tokens: number; gamma: number }[] = [];
  const hi = Math.max(tokens * 16, (experts / topK) * 16, 1024);
  for (let n = 1; n <= hi; n *= 2) points.push({ tokens: n, gamma: base * ratio(n) });
  return points;
}

/** Paging policies present in any layer, in a stable order. */
export function pagingPolicies(results: PlanResults): string[] {
  const names = new Set<string>();
  for (const l of results.layers) for (const k of Object.keys(l.paging ?? {})) names.add(k);
  for (const k of Object.keys(results.paging ?? {})) names.add(k);
  return [...names].sort();
}

/** Gain of the chosen placement over EPLB, as a fraction of EPLB's E[T]. */
export function eplbGain(results: PlanResults): number {
  const eplb = results.baselines.eplb;
  return eplb > 0 ? (eplb - results.expectedTime) / eplb : 0;
}
