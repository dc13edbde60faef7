// Messages between the analysis coordinator (calling thread) and its workers.
import type { Plan, PolicyName, SyntheticSpec } from '../plan/types';
import type { SyntheticPart } from '../workload/syntheticParts';
import type { ReadProgress, Workload } from '../workload/types';
import type { LayerJob } from './layer';
import type { SweepJob } from './sweep';
import type { CapacityLayerJob } from './capacityLayer';

export type WorkerJob =
  | { kind: 'load'; plan: Plan; maxTraceBytes?: number; readProgressEveryMs?: number; syntheticParts?: SyntheticPart[] }
  | { kind: 'synthetic-part'; plan: Plan; spec: SyntheticSpec; from: number; to: number }
  | ({ kind: 'layer' } & LayerJob)
  | ({ kind: 'sweep' } & SweepJob)
  | ({ kind: 'capacity' } & CapacityLayerJob)
  | {
      kind: 'extras';
      plan: Plan;
      workload: Workload;
      placements: number[][][];
      policy: PolicyName;
      batchSweep: boolean;
      planPoint?: { batch: number; stepUs: number };
    }
  | { kind: 'paging'; plan: Plan; workload: Workload; placements: number[][][] };

export interface WorkerRequest {
  id: number;
  job: WorkerJob;
}

export type WorkerReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { name: string; message: string } }
  /** A running job's progress (trace reads); the job goes on. */
  | { id: number; progress: ReadProgress };
