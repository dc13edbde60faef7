// Expert parallelism versus PCIe offload (a back-of-the-envelope model from
// the llm-d project, llm-d.ai; docs/cost-model.md §4). With L MoE layers, experts of S_E
// parameters at f_E bytes, activations of d elements at f_a bytes, N_t tokens,
// top-k routing and N_ue = min(k·N_t, experts) experts used per layer:
//   T_P  = T_B + L·S_E·f_E·N_ue / B_pcie          (fetch the used experts over PCIe)
//   T_EP = T_B + 2·L·N_t·d·f_a / B_net            (dispatch + combine the tokens)
//   γ    = ½ · (S_E·f_E)/(d·f_a) · B_net/B_pcie · N_ue/N_t   ( = bandwidth terms' ratio)
// T_B (the shared base) cancels. Each transfer also pays its link latency:
// L PCIe transfers for offload, 2·L network exchanges for expert parallelism.
// For prefill N_t is the prompt length; for decode, the output length.
import type { Plan } from '../plan/types';
import type { OffloadComparison } from './types';
import type { CostHardware, CostLink, CostModel } from './latency';
import { costHardwareOf, costModelOf } from './latency';

interface OffloadInput {
  layers: number;
  /** S_E·f_E: bytes of one expert's weights in one layer. */
  bytesPerExpert: number;
  /** d·f_a: bytes of one token's activation vector. */
  activationBytesPerToken: number;
  experts: number;
  topK: number;
  tokens: number;
  phase: 'prefill' | 'decode';
  pcie: CostLink;
  /** The link expert parallelism uses: the network between nodes (NVLink when one node). */
  net: CostLink;
}

interface OffloadDetail extends OffloadComparison {
  /** N_ue. */
  usedExperts: number;
  /** offloadUs / expertParallelUs (latency included); advice follows it. */
  ratioWithLatency: number;
  netLink: 'network' | 'nvlink';
}

export function compareOffload(x: OffloadInput, netLink: 'network' | 'nvlink' = 'network'): OffloadDetail {
  const Nt = Math.max(1, x.tokens);
  const Nue = Math.min(x.topK * Nt, x.experts);
  const L = x.layers;
  const offloadS = L * (x.pcie.latencyS + (x.bytesPerExpert * Nue) / x.pcie.bytesPerS);
  const epS = 2 * L * (x.net.latencyS + (Nt * x.activationBytesPerToken) / x.net.bytesPerS);
  const gamma = 0.5 * (x.bytesPerExpert / x.activationBytesPerToken) * (x.net.bytesPerS / x.pcie.bytesPerS) * (Nue / Nt);
  const ratio = epS > 0 ? offloadS / epS : Infinity;
  return {
    offloadUs: offloadS * 1e6,
    expertParallelUs: epS * 1e6,
    gamma,
    advice: ratio < 1 ? 'offload' : 'expert-parallel',
    phase: x.phase,
    tokens: Nt,
    usedExperts: Nue,
    ratioWithLatency: ratio,
    netLink,
  };
}

function offloadInputOf(
  model: CostModel,
  hw: CostHardware,
  phase: 'prefill' | 'decode',
  tokens: number,
): { input: OffloadInput; netLink: 'network' | 'nvlink' } {
  const multiNode = hw.gpus > hw.gpusPerNode;
  return {
    input: {
      layers: model.layers,
      bytesPerExpert: model.bytesPerExpert,
      activationBytesPerToken: model.hidden * model.activationBytes,
      experts: model.experts,
      topK: model.topK,
      tokens,
      phase,
      pcie: hw.pcie,
      net: multiNode ? hw.network : hw.nvlink,
    },
    netLink: multiNode ? 'network' : 'nvlink',
  };
}

/** The comparison for a plan's phase and token count (N_t, or the output length for decode). */
export function planOffload(plan: Plan): OffloadDetail {
  const { input, netLink } = offloadInputOf(costModelOf(plan.model), costHardwareOf(plan.hardware), plan.workload.phase.value, plan.workload.tokens.value);
  return compareOffload(input, netLink);
}
