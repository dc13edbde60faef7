// Paging as the analysis pipeline uses it: which slots the placement solver
// gets when experts are paged, and the figures that go into PlanResults.
import type { Plan } from '../../plan/types';
import type { PagingFigures } from '../../protocol';
import type { Workload } from '../../workload/types';
import { compareWithFormula } from './formula';
import { needsPaging, simulatePaging, STATIC_POLICY } from './simulate';
import * as show from '../../display';

/** The replay in an analysis stops after this many token-layers (a prefix of the trace). */
const ANALYSIS_MAX_TOKEN_LAYERS = 200_000;

/**
 * Slots per GPU for the placement solver when the GPUs cannot hold one copy
 * of every expert: each GPU owns ⌈E/G⌉ experts per layer (the solver balances
 * who owns what), and paging decides which owned experts are resident.
 * Undefined when the plan's own slots do.
 */
export function ownerSlotsForPaging(plan: Plan): number[] | undefined {
  if (!needsPaging(plan)) return undefined;
  const E = plan.model.experts.value;
  const G = plan.hardware.count;
  const total = plan.hardware.slotsPerGpu.reduce((a, b) => a + b, 0);
  if (total >= E || G < 1) return undefined;
  return Array.from({ length: G }, () => Math.ceil(E / G));
}

export interface PagingForResults {
  /** Index = MoE layer. */
  perLayer: Record<string, PagingFigures>[];
  overall: Record<string, PagingFigures>;
  notes: string[];
  ms: number;
}

/**
 * Replay the workload through every paging policy for PlanResults. With
 * several GPUs, `placements` ([layer][gpu] = experts) decides which GPU owns
 * (and pages) each expert.
 */
export function pagingForResults(plan: Plan, workload: Workload, placements?: number[][][], maxTokenLayers = ANALYSIS_MAX_TOKEN_LAYERS): PagingForResults {
  const L = plan.model.layers.value;
  const maxTokens = Math.max(1, Math.floor(maxTokenLayers / Math.max(1, L)));
  const notes: string[] = [];
  let w = workload;
  const seq = workload.sequence;
  if (seq && seq.tokens > maxTokens) {
    w = { ...workload, sequence: { ...seq, tokens: maxTokens, ids: seq.ids.subarray(0, maxTokens * seq.layers * seq.k) } };
    notes.push(`paging: replayed the first ${maxTokens.toLocaleString('en-US')} of ${seq.tokens.toLocaleString('en-US')} tokens`);
  }
  const sim = simulatePaging(plan, w, {
    owners: plan.hardware.count > 1 ? placements : undefined,
    sampleTokens: Math.min(2000, maxTokens),
  });
  notes.push(...sim.notes);
  const chosen = sim.overall[sim.chosen];
  const bound = sim.overall.belady;
  const fixed = sim.overall[STATIC_POLICY];
  const pct = show.percent;
  const time = show.micros;
  if (chosen) {
    notes.push(
      `paging (${sim.chosen}, prefetch ${sim.prefetch ? 'on' : 'off'}, batch ${sim.batch}): ${pct(chosen.hitRate)} hits, ` +
        `${time(chosen.usPerToken)} per token against ${time(sim.residentUsPerToken)} with every expert resident` +
        (bound ? `; Belady's bound ${pct(bound.hitRate)}, ${time(bound.usPerToken)}` : '') +
        (fixed ? `; static pinning ${pct(fixed.hitRate)}, ${time(fixed.usPerToken)}` : ''),
    );
    notes.push(`paging vs formula: ${compareWithFormula(plan, sim).message}`);
  }
  for (const [policy, d] of Object.entries(sim.details)) {
    const o = sim.overall[policy];
    o.pinned = d.pinned.reduce((a, b) => a + b, 0);
    o.prefetches = d.prefetches;
    o.residentUsPerToken = sim.residentUsPerToken;
  }
  return { perLayer: sim.perLayer, overall: sim.overall, notes, ms: sim.ms };
}
