// The plan's objective on every surface: which figure placements are
// compared by (µs per MoE layer under `latency`, E[T] under `expected-time`),
// which comes first, and which of two placements is faster. Lenses, hovers,
// MP802, the status item, the placement view, the report and the CLI all ask
// here, so no two of them can disagree about which placement is faster.
// Pure (no DOM, no Node): the webview bundles it too.
import type { ObjectiveName } from '../plan/types';
import type { ObjectiveInfo, PlanResults, PolicyFigure } from '../protocol';
import * as show from '../display';

type Figure = Pick<PolicyFigure, 'expectedTime' | 'latencyUs'>;

/** The objective of results (older payloads without one were E[T]). */
export function objectiveName(results: Pick<PlanResults, 'objective'>): ObjectiveName {
  return results.objective?.name ?? 'expected-time';
}

/** The value placements are compared by. */
export function objectiveValue(fig: Figure, objective: ObjectiveName): number {
  return objective === 'latency' ? fig.latencyUs : fig.expectedTime;
}

/** The objective's figure as surfaces write it: "414 µs" or "E[T] 1.327". */
export function primaryText(fig: Figure, objective: ObjectiveName): string {
  return objective === 'latency' ? show.micros(fig.latencyUs) : `E[T] ${show.expectedTime(fig.expectedTime)}`;
}

/** The other figure, shown beside it: "E[T] 1.327" or "414 µs". */
export function secondaryText(fig: Figure, objective: ObjectiveName): string {
  return objective === 'latency' ? `E[T] ${show.expectedTime(fig.expectedTime)}` : show.micros(fig.latencyUs);
}

/** Both, the objective's first: "414 µs · E[T] 1.327". */
export function figureText(fig: Figure, objective: ObjectiveName): string {
  const second = secondaryText(fig, objective);
  return second === show.MISSING || second.endsWith(show.MISSING) ? primaryText(fig, objective) : `${primaryText(fig, objective)} · ${second}`;
}

/** How much slower `a` is than `b` by the objective, as a fraction of `b` (negative: faster). */
export function slowerBy(a: Figure, b: Figure, objective: ObjectiveName): number {
  const x = objectiveValue(a, objective);
  const y = objectiveValue(b, objective);
  return y > 0 && Number.isFinite(x) ? (x - y) / y : NaN;
}

/** "18.8% faster than EPLB" / "2.1% slower than EPLB" / "as fast as EPLB". */
export function versus(a: Figure, b: Figure, objective: ObjectiveName, name: string): string {
  const d = slowerBy(a, b, objective);
  if (!Number.isFinite(d)) return '';
  if (Math.abs(d) < 0.0005) return `as fast as ${name}`;
  return d < 0 ? `${show.percent(-d)} faster than ${name}` : `${show.percent(d)} slower than ${name}`;
}

/** What the objective's figures are: "µs per MoE layer at batch 32, static dispatch". */
export function objectiveLabel(o: ObjectiveInfo | undefined): string {
  if (!o) return 'E[T] (batch 1, ideal copy choice)';
  return o.name === 'latency'
    ? `µs per MoE layer at batch ${show.count(o.batch)}, ${o.dispatch} dispatch`
    : `E[T] (batch 1, ideal copy choice); µs at batch ${show.count(o.batch)}, ${o.dispatch} dispatch beside it`;
}

/** The overall figures of results as one figure (means per layer). */
export function overallFigure(results: PlanResults): Figure {
  return { expectedTime: results.expectedTime, latencyUs: results.latencyUs };
}

/** EPLB's overall figures (means per layer). */
export function eplbFigure(results: PlanResults): Figure {
  return { expectedTime: results.baselines.eplb, latencyUs: results.baselinesUs?.eplb ?? NaN };
}
