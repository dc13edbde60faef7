// Pure figures derived from PlanResults for the charts. No DOM here, so the
// report renderer and unit tests can use them too.
import type { LayerResult, PlanResults, PolicyFigure } from '../../server/src/protocol';
import { DISPATCH, type DispatchRule } from '../../server/src/plan/vocabulary';

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
const POLICY_ORDER: readonly string[] = [
  'contiguous',
  'round-robin',
  'eplb',
  'one-copy',
  'expected-time-optimum',
  'greedy',
  'search',
  'exact',
  'committed',
  'lower-bound',
];

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

/**
 * Throughput against per-token latency as the batch grows, one curve per
 * dispatch rule, the plan's own rule first.
 */
export function batchCurves(results: PlanResults): { rule: DispatchRule; planned: boolean; points: { x: number; y: number; batch: number }[] }[] {
  const sweep = (results.batchSweep ?? []).filter((p) => p.batch > 0);
  const own = results.objective?.dispatch ?? 'static';
  const rules: DispatchRule[] = [own, ...DISPATCH.words.filter((r) => r !== own)];
  return rules
    .map((rule) => ({
      rule,
      planned: rule === own,
      points: sweep
        .map((p) => {
          const us = p.byDispatch?.[rule] ?? (rule === own ? p.stepUs : NaN);
          return { x: us, y: us > 0 ? (p.batch / us) * 1e6 : NaN, batch: p.batch };
        })
        .filter((q) => Number.isFinite(q.x) && q.x > 0 && Number.isFinite(q.y)),
    }))
    .filter((c) => c.points.length > 0);
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
