// Where the benchmarks find real routing traces, which are never copied into
// the repository: the folder MOEPLAN_BENCH_DATA names, else a `shared/data`
// folder beside the checkout. A benchmark without them says so and goes on.
import { join } from 'node:path';

export const BENCH_DATA = process.env.MOEPLAN_BENCH_DATA ?? join(__dirname, '..', '..', 'shared', 'data');
