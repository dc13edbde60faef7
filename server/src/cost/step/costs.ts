// The hardware and model figures one batched step is timed with, in seconds
// and bytes, taken once from the plan's cost model (docs/cost-model.md §2–3).
import type { CostHardware, CostModel } from '../latency';
import { expertReadS, messageBytes, sharedExpertS, tokenExpertMathS } from '../latency';

export interface StepCosts {
  gpus: number;
  gpusPerNode: number;
  /** Seconds to read one expert's weights from HBM. */
  readS: number;
  /** Seconds of dense math for one (token, expert) pair. */
  mathS: number;
  /** Bytes of one dispatch (or combine) message: one token's activations. */
  messageBytes: number;
  nvlink: { latencyS: number; secondsPerByte: number };
  network: { latencyS: number; secondsPerByte: number };
  /** Shared experts' seconds for a step of `batch` tokens (each GPU runs its own B/G tokens). */
  sharedS(batch: number): number;
}

export function stepCostsOf(model: CostModel, hw: CostHardware): StepCosts {
  return {
    gpus: hw.gpus,
    gpusPerNode: Math.max(1, Math.min(hw.gpusPerNode, hw.gpus)),
    readS: expertReadS(model, hw),
    mathS: tokenExpertMathS(model, hw),
    messageBytes: messageBytes(model),
    nvlink: { latencyS: hw.nvlink.latencyS, secondsPerByte: 1 / hw.nvlink.bytesPerS },
    network: { latencyS: hw.network.latencyS, secondsPerByte: 1 / hw.network.bytesPerS },
    sharedS: (batch: number) => sharedExpertS(model, hw, batch / hw.gpus),
  };
}
