// The back-of-the-envelope offload model (docs/cost-model.md §4; computed by
// cost/offload.ts) checked against the paging replay. The formula moves every
// used expert over PCIe once per N_t tokens (N_ue = min(k·N_t, experts) per
// layer) and knows no cache; the replay knows the cache, the trace's order
// and the slots. Both are reported, with a verdict.
import type { Plan } from '../../plan/types';
import { planOffload } from '../offload';
import type { PagingSimulation } from './simulate';
import type { PagingPolicy } from './types';
import * as show from '../../display';

/** What the check needs from the formula (cost/offload.ts's OffloadDetail has it). */
export interface FormulaFigures {
  /** T_P − T_B, µs for the N_t tokens. */
  offloadUs: number;
  /** T_EP − T_B, µs for the N_t tokens. */
  expertParallelUs: number;
  gamma: number;
  advice: 'offload' | 'expert-parallel';
  usedExperts: number;
  tokens: number;
}

interface FormulaCheck {
  formula: FormulaFigures;
  /** The formula's PCIe and network costs spread over its N_t tokens. */
  formulaOffloadUsPerToken: number;
  formulaExpertParallelUsPerToken: number;
  policy: PagingPolicy;
  /** The replay's µs per token, and what it adds to the all-resident time (the PCIe stall). */
  replayUsPerToken: number;
  replayStallUsPerToken: number;
  replayHitRate: number;
  /** Offload wins in the replay when its stall is below expert parallelism's cost. */
  replayAdvice: 'offload' | 'expert-parallel';
  agree: boolean;
  message: string;
}

/** Set the formula against a replay (default: the plan's chosen policy). */
export function compareWithFormula(
  plan: Plan,
  sim: PagingSimulation,
  policy: PagingPolicy = sim.chosen,
  formula: FormulaFigures = planOffload(plan),
): FormulaCheck {
  const usedPolicy = (sim.overall[policy] ? policy : Object.keys(sim.overall)[0]) as PagingPolicy;
  const fig = sim.overall[usedPolicy];
  const perToken = (us: number) => us / Math.max(1, formula.tokens);
  const fOff = perToken(formula.offloadUs);
  const fEp = perToken(formula.expertParallelUs);
  const stall = Math.max(0, fig.usPerToken - sim.residentUsPerToken);
  const replayAdvice = stall < fEp ? 'offload' : 'expert-parallel';
  const agree = replayAdvice === formula.advice;
  const g = show.ratio(formula.gamma);
  const hit = show.percent(fig.hitRate);
  const us = show.micros;
  let message: string;
  if (agree && replayAdvice === 'offload') {
    message =
      `offload wins in both: formula γ = ${g} (PCIe ${us(fOff)}/token vs expert parallelism ${us(fEp)}/token); ` +
      `${usedPolicy} replay stalls ${us(stall)}/token at ${hit} hits`;
  } else if (agree) {
    message =
      `expert parallelism wins in both: formula γ = ${g}; ${usedPolicy} replay stalls ${us(stall)}/token ` +
      `at ${hit} hits against ${us(fEp)}/token of network`;
  } else if (formula.advice === 'offload') {
    message =
      `the formula says offload wins (γ = ${g}), but the ${usedPolicy} replay's misses stall ${us(stall)}/token ` +
      `at ${hit} hits, more than expert parallelism's ${us(fEp)}/token: the slots are too few for this traffic`;
  } else {
    message =
      `the formula says expert parallelism wins (γ = ${g}), but the ${usedPolicy} cache serves ${hit} of accesses, ` +
      `so the replay stalls only ${us(stall)}/token, less than expert parallelism's ${us(fEp)}/token`;
  }
  message += `. PCIe per token: formula ${us(fOff)} (each used expert once per ${formula.tokens} tokens), ` + `replay ${us(stall)}`;
  return {
    formula,
    formulaOffloadUsPerToken: fOff,
    formulaExpertParallelUsPerToken: fEp,
    policy: usedPolicy,
    replayUsPerToken: fig.usPerToken,
    replayStallUsPerToken: stall,
    replayHitRate: fig.hitRate,
    replayAdvice,
    agree,
    message,
  };
}
