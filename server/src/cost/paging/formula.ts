// The back-of-the-envelope offload model (product brief, idea 3) checked
// against the paging replay.
//   T_P  = T_B + L · N_ue · (lat_pcie + S_E·f_E / B_pcie)
//   T_EP = T_B + 2 · L · (lat_net + N_t · d · f_a / B_net)
//   γ    = (T_P − T_B) / (T_EP − T_B)   (without latencies: ½ · S_E f_E/(d f_a) · B_net/B_pcie · N_ue/N_t)
// with N_ue = min(k · N_t, experts). The formula moves every used expert
// over PCIe once per N_t tokens and knows no cache; the replay knows the
// cache, the trace's order and the slots. Both are reported, with a verdict.
import type { DType, Plan } from '../../plan/types';
import type { PagingSimulation } from './simulate';
import type { PagingPolicy } from './types';

export interface FormulaInputs {
  layers: number;
  experts: number;
  topK: number;
  /** N_t: prompt tokens (prefill) or output length (decode). */
  tokens: number;
  bytesPerExpert: number;
  hidden: number;
  activationBytes: number;
  pcieBytesPerS: number;
  pcieLatencyS: number;
  netBytesPerS: number;
  netLatencyS: number;
}

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

const DTYPE_BYTES: Record<DType, number> = { fp32: 4, bf16: 2, fp16: 2, fp8: 1, int8: 1, int4: 0.5, fp4: 0.5 };

export function formulaInputs(plan: Plan): FormulaInputs {
  const m = plan.model;
  const hw = plan.hardware;
  return {
    layers: m.layers.value,
    experts: m.experts.value,
    topK: m.topK.value,
    tokens: plan.workload.tokens.value,
    bytesPerExpert: m.bytesPerExpert.value,
    hidden: m.hidden.value,
    activationBytes: DTYPE_BYTES[m.activationDtype.value] ?? 2,
    pcieBytesPerS: hw.pcie.bytesPerS.value,
    pcieLatencyS: hw.pcie.latencyS.value,
    netBytesPerS: hw.network.bytesPerS.value,
    netLatencyS: hw.network.latencyS.value,
  };
}

export function offloadFormula(i: FormulaInputs): FormulaFigures {
  const usedExperts = Math.min(i.topK * i.tokens, i.experts);
  const offloadS = i.layers * usedExperts * (i.pcieLatencyS + i.bytesPerExpert / i.pcieBytesPerS);
  const epS = 2 * i.layers * (i.netLatencyS + (i.tokens * i.hidden * i.activationBytes) / i.netBytesPerS);
  const gamma = offloadS / epS;
  return {
    offloadUs: offloadS * 1e6,
    expertParallelUs: epS * 1e6,
    gamma,
    advice: gamma < 1 ? 'offload' : 'expert-parallel',
    usedExperts,
    tokens: i.tokens,
  };
}

export interface FormulaCheck {
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
  formula: FormulaFigures = offloadFormula(formulaInputs(plan)),
): FormulaCheck {
  const fig = sim.overall[policy] ?? Object.values(sim.overall)[0];
  const usedPolicy = (sim.overall[policy] ? policy : Object.keys(sim.overall)[0]) as PagingPolicy;
  const perToken = (us: number) => us / Math.max(1, formula.tokens);
  const fOff = perToken(formula.offloadUs);
  const fEp = perToken(formula.expertParallelUs);
  const stall = Math.max(0, fig.usPerToken - sim.residentUsPerToken);
  const replayAdvice = stall < fEp ? 'offload' : 'expert-parallel';
  const agree = replayAdvice === formula.advice;
  const g = formula.gamma.toFixed(2);
  const hit = `${(fig.hitRate * 100).toFixed(1)}%`;
  const us = (x: number) => `${x < 10 ? x.toFixed(2) : x.toFixed(0)} µs`;
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
  message +=
    `. PCIe per token: formula ${us(fOff)} (each used expert once per ${formula.tokens} tokens), ` +
    `replay ${us(stall)}`;
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
