// Diagnostics about how far the figures can be trusted: a held-out figure
// far above the in-sample one (the trace is too small for the subsets it
// has), and the drift gate's verdict on a newer trace. Pure: (plan,
// results) → core diagnostics.
import type { Diagnostic } from '../language/diagnostic';
import type { Range } from '../language/ast';
import type { Plan } from '../plan/types';
import type { DriftReport, ObjectiveFigures, PlanResults } from '../protocol';
import { sourcesOf } from '../plan/workloadSources';
import { FeedbackCode } from './codes';
import * as show from '../display';
import { pairOf } from './robustFigures';

/** A held-out figure this much above the in-sample one is worth a word (MP808). */
const HELD_OUT_GAP = 0.05;

const TOP: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

function objectiveFigure(objective: 'latency' | 'expected-time', x: ObjectiveFigures): number {
  return objective === 'latency' ? x.latencyUs : x.expectedTime;
}

function workloadRange(plan: Plan): Range {
  const src = sourcesOf(plan.workload)[0];
  return (src && 'range' in src ? src.range : undefined) ?? plan.placement.range ?? TOP;
}

export function heldOutDiagnostics(plan: Plan, results: PlanResults): Diagnostic[] {
  const h = results.heldOut;
  if (!h) return [];
  const objective = results.objective.name;
  const gap = objectiveFigure(objective, h) / objectiveFigure(objective, h.planning) - 1;
  if (!(gap > HELD_OUT_GAP)) return [];
  return [
    {
      range: workloadRange(plan),
      severity: 'information',
      code: FeedbackCode.heldOutGap,
      message:
        `Held out: planned on part of the routing, the placement is ${show.percent(gap)} slower on the part it did not see ` +
        `(${pairOf(objective, h)} per layer, against ${pairOf(objective, h.planning)} in sample). ` +
        `The trace is too small for the ${show.count(Math.round(h.subsetsPerLayer))} distinct subsets it has per layer (${show.count(Math.round(h.tokensPerLayer))} tokens per layer): ` +
        'expect the in-sample figures to be optimistic. Record a longer trace, or plan on several (`trace "…" weight W`).',
    },
  ];
}

/** Where the drift gate's verdict is shown: the plan's `drift` line, else its committed placement. */
function driftRange(plan: Plan): Range {
  const first = [...plan.placement.committed.values()].sort((a, b) => a.layer - b.layer)[0];
  return plan.workload.drift?.range ?? first?.range ?? plan.placement.range ?? TOP;
}

export function driftDiagnostic(plan: Plan, r: DriftReport, range: Range = driftRange(plan)): Diagnostic {
  const verb = r.regression >= 0 ? 'slower' : 'faster';
  const uncommitted =
    r.uncommitted.length > 0 ? `; ${r.uncommitted.length} layer${r.uncommitted.length > 1 ? 's' : ''} without a committed placement left out` : '';
  return {
    range,
    severity: r.exceeded ? 'error' : 'information',
    code: FeedbackCode.driftRegression,
    message:
      `Drift: on ${r.trace} the committed placement takes ${pairOf(r.objective, r.committed)} per layer, ` +
      `${show.percent(Math.abs(r.regression))} ${verb} than a fresh solve on it (${pairOf(r.objective, r.fresh)}; ${r.layers} committed layer${r.layers > 1 ? 's' : ''}, ${show.seconds(r.budgetMs / 1000)} budget${uncommitted}): ` +
      (r.exceeded
        ? `over the ${show.percent(r.maxRegression)} limit. Solve on the newer traffic and commit the new placement (\`moeplan solve PLAN --trace ${r.trace} --write\`).`
        : `within the ${show.percent(r.maxRegression)} limit.`),
  };
}

/** One line for the CLI: both figures and the regression. */
export function driftSummary(r: DriftReport): string {
  return (
    `drift gate ${r.trace}: committed ${pairOf(r.objective, r.committed)} vs fresh solve ${pairOf(r.objective, r.fresh)} per layer: ` +
    `${show.signedPercent(r.regression)} (limit ${show.percent(r.maxRegression)}) — ${r.exceeded ? 'FAIL' : 'ok'}`
  );
}
