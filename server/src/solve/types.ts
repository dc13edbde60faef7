// Inputs and outputs of the placement solvers.
import type { LayerDistribution } from '../workload/types';
import type { PolicyName } from '../plan/types';

/** GPU index → the expert ids it holds (one copy each). */
export type Placement = number[][];

export interface SolveConstraints {
  /** expert must have a copy on gpu */
  pins: { expert: number; gpu: number }[];
  /** expert may not be on gpu; expert undefined = gpu holds nothing */
  forbids: { gpu: number; expert?: number }[];
  maxCopies?: number;
  /** false = exactly one copy per expert (static allocation) */
  replicas: boolean;
}

export interface SolveInput {
  dist: LayerDistribution;
  gpus: number;
  slotsPerGpu: number[];
  /** GPUs per node, for hierarchical EPLB and locality; = gpus when one node. */
  gpusPerNode: number;
  /** Routing groups (DeepSeek-style), for hierarchical EPLB. */
  groups?: number;
  constraints: SolveConstraints;
  seed: number;
  timeBudgetMs: number;
  /** Set to abort early; the solver returns its best so far. */
  signal?: AbortSignal;
  onProgress?: (p: SolveProgress) => void;
}

export interface SolveProgress {
  expectedTime: number;
  elapsedMs: number;
  /** 0..1 when known */
  fraction?: number;
}

export interface SolveResult {
  policy: PolicyName;
  placement: Placement;
  /** E[T] of `placement` over the full distribution (re-evaluated exactly). */
  expectedTime: number;
  /** Whether the solver proved this placement optimal. */
  optimal: boolean;
  ms: number;
  /** The best lower bound the solver knows (>= the generic bound). */
  lowerBound?: number;
  /** What the policy had to change or could not do (e.g. bent to constraints, stopped by the time budget). */
  notes?: string[];
  /** Per-GPU and per-expert loads and P(T = t) of `placement` (from the final exact evaluation). */
  evaluation?: import('../cost/types').LayerEvaluation;
  /** Intermediate answers on the way (e.g. search's greedy start), with their E[T]. */
  stages?: { policy: PolicyName; expectedTime: number; ms: number; complete: boolean; placement?: Placement }[];
}
