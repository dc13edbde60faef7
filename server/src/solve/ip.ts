// The paper's integer program, solved with javascript-lp-solver, for tiny
// layers only (the measured limit: a few dozen subsets; beyond that neither
// this solver nor HiGHS finishes — docs/solvers.md).
//
//   min Σ_S p(S)·t_S
//   x[e,g] ∈ {0,1}            copy of expert e on GPU g (pins fix it to 1,
//                              forbids leave the variable out)
//   y[S,e,g] ≥ 0              share of expert e of S served on GPU g
//   Σ_g y[S,e,g] = 1,  y[S,e,g] ≤ x[e,g]
//   Σ_{e∈S} y[S,e,g] ≤ t_S,   t_S integer
//   Σ_e x[e,g] ≤ slots_g,  1 ≤ Σ_g x[e,g] ≤ maxCopies_e
//
// y may stay continuous: with x fixed and t_S integer the per-subset system
// is an integral transportation polytope, so a fractional y always rounds to
// a matching with the same t_S. The returned placement is re-evaluated
// exactly by the caller anyway.
import solver from 'javascript-lp-solver';
import type { LayerDistribution } from '../workload/types';
import type { Instance } from './instance';
import type { Placement } from './types';

/** Largest model (y variables) handed to the solver. */
const IP_MAX_VARIABLES = 1500;

interface IpOutcome {
  placement: Placement;
  /** Objective value reported by the solver (E[T] when proved). */
  value: number;
  /** The solver finished before its time limit, so its answer is optimal. */
  proved: boolean;
}

function ipSize(inst: Instance, dist: LayerDistribution): number {
  return dist.count * dist.k * inst.gpus + inst.experts * inst.gpus + dist.count;
}

export function integerProgram(inst: Instance, dist: LayerDistribution, timeoutMs: number): IpOutcome | undefined {
  if (ipSize(inst, dist) > IP_MAX_VARIABLES) return undefined;
  const { gpus: G, experts: n, allowed, pinned, capacity, maxCopies } = inst;
  const { ids, weights, k, count, total } = dist;
  const t0 = Math.max(1, Math.ceil(k / Math.max(1, capacity.filter((c) => c > 0).length)));
  const constraints: Record<string, { min?: number; max?: number; equal?: number }> = {};
  const variables: Record<string, Record<string, number>> = {};
  const ints: Record<string, 1> = {};
  const x = (e: number, g: number) => `x_${e}_${g}`;
  for (let g = 0; g < G; g++) constraints[`cap_${g}`] = { max: capacity[g] };
  for (let e = 0; e < n; e++) {
    constraints[`cov_${e}`] = { min: 1, max: maxCopies[e] };
    for (let g = 0; g < G; g++) {
      if (!allowed[e * G + g]) continue;
      const v: Record<string, number> = { [`cap_${g}`]: 1, [`cov_${e}`]: 1, [`ub_${e}_${g}`]: 1 };
      constraints[`ub_${e}_${g}`] = { max: 1 };
      if (pinned[e * G + g]) constraints[`pin_${e}_${g}`] = { min: 1 };
      if (pinned[e * G + g]) v[`pin_${e}_${g}`] = 1;
      variables[x(e, g)] = v;
      ints[x(e, g)] = 1;
    }
  }
  for (let s = 0; s < count; s++) {
    const t = `t_${s}`;
    variables[t] = { cost: weights[s] / total, [`tmin_${s}`]: 1 };
    constraints[`tmin_${s}`] = { min: t0 };
    ints[t] = 1;
    for (let g = 0; g < G; g++) {
      constraints[`load_${s}_${g}`] = { max: 0 };
      variables[t][`load_${s}_${g}`] = -1;
    }
    for (let j = 0; j < k; j++) {
      const e = ids[s * k + j];
      constraints[`serve_${s}_${j}`] = { equal: 1 };
      for (let g = 0; g < G; g++) {
        if (!allowed[e * G + g]) continue;
        // y ≤ x  ⇔  y − x ≤ 0
        const link = `link_${s}_${j}_${g}`;
        constraints[link] = { max: 0 };
        variables[x(e, g)][link] = -1;
        variables[`y_${s}_${j}_${g}`] = { [`serve_${s}_${j}`]: 1, [`load_${s}_${g}`]: 1, [link]: 1 };
      }
    }
  }
  const started = performance.now();
  const res = solver.Solve({ optimize: 'cost', opType: 'min', constraints, variables, ints, options: { timeout: timeoutMs } }) as {
    feasible: boolean;
    result: number;
    isIntegral?: boolean;
    [name: string]: number | boolean | undefined;
  };
  const elapsed = performance.now() - started;
  if (!res.feasible) return undefined;
  const placement: Placement = Array.from({ length: G }, () => []);
  for (let e = 0; e < n; e++) {
    for (let g = 0; g < G; g++) {
      const v = res[x(e, g)];
      if (typeof v === 'number' && v > 0.5) placement[g].push(e);
    }
  }
  return { placement, value: res.result, proved: elapsed < timeoutMs * 0.95 && res.isIntegral !== false };
}
