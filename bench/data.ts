// Where the benchmarks find real routing traces, which are never copied into
// the repository: the folder MOEPLAN_BENCH_DATA names, else a `shared/data`
// folder beside the checkout. A benchmark without them says so and goes on.
import { join } from 'node:path';
import type { LayerDistribution } from '../server/src/workload/types';
import type { SolveInput } from '../server/src/solve/types';

export const BENCH_DATA = process.env.MOEPLAN_BENCH_DATA ?? join(__dirname, '..', '..', 'shared', 'data');

/**
 * The DeepSeek-V3 example's solver input for one layer: 32 GPUs in nodes of
 * 8, 9 slots each, 8 routing groups, replicas allowed.
 */
export function deepseekV3Input(dist: LayerDistribution, timeBudgetMs: number): SolveInput {
  return {
    dist,
    gpus: 32,
    slotsPerGpu: new Array<number>(32).fill(9),
    gpusPerNode: 8,
    groups: 8,
    constraints: { pins: [], forbids: [], replicas: true },
    seed: 1,
    timeBudgetMs,
  };
}
