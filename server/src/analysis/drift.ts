// The drift gate: the committed placement on a newer trace against a fresh
// solve on that trace with the same budget, in the objective's units. A
// regression over the limit fails `moeplan check` and is an error in the
// editor (docs/language.md, "drift"; docs/diagnostics.md, MP809).
import type { DriftSpec, Plan } from '../plan/types';
import type { DriftReport, LayerResult, ObjectiveFigures } from '../protocol';

/** Thrown when there is nothing to gate: the plan commits no placement. */
class DriftError extends Error {}

export function committedLayerCount(plan: Plan): number {
  return plan.placement.committed.size;
}

/** The report from the fresh solve's layers on the newer trace (each carries the committed placement's figures). */
export function driftReport(plan: Plan, drift: DriftSpec, budgetMs: number, layers: readonly LayerResult[], description: string): DriftReport {
  const committed: ObjectiveFigures = { expectedTime: 0, latencyUs: 0 };
  const fresh: ObjectiveFigures = { expectedTime: 0, latencyUs: 0 };
  const uncommitted: number[] = [];
  let n = 0;
  for (const l of layers) {
    const c = l.policies.find((p) => p.policy === 'committed');
    if (!c) {
      uncommitted.push(l.layer);
      continue;
    }
    committed.expectedTime += c.expectedTime;
    committed.latencyUs += c.latencyUs;
    fresh.expectedTime += l.expectedTime;
    fresh.latencyUs += l.latencyUs;
    n++;
  }
  if (n === 0) throw new DriftError(noCommittedPlacement(plan));
  for (const f of [committed, fresh]) {
    f.expectedTime /= n;
    f.latencyUs /= n;
  }
  const objective = plan.placement.objective.value;
  const of = (f: ObjectiveFigures) => (objective === 'latency' ? f.latencyUs : f.expectedTime);
  const regression = of(committed) / of(fresh) - 1;
  const maxRegression = drift.maxRegression.value;
  return {
    trace: drift.path,
    objective,
    committed,
    fresh,
    regression,
    maxRegression,
    exceeded: regression > maxRegression + 1e-12,
    layers: n,
    uncommitted,
    budgetMs,
    description,
  };
}

export function noCommittedPlacement(plan: Plan): string {
  return `${plan.file} commits no placement to check: write one with \`moeplan solve ${plan.file} --write\` (or the editor's "Write the Solver's Placement"), then commit it`;
}
