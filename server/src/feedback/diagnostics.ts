// Diagnostics that come from analysis results: a committed placement slower
// than the solver's, offload advice from γ, paging, capacity and held-out
// figures. Pure: (plan, results) → core diagnostics; the LSP and the CLI
// translate them.
import { objectiveLabel, objectiveName, primaryText, secondaryText, slowerBy } from './objective';
import type { Diagnostic } from '../language/diagnostic';
import type { Range } from '../language/ast';
import type { Plan } from '../plan/types';
import type { PlanResults, SolveErrorKind } from '../protocol';
import { FeedbackCode } from './codes';
import { committedFigure, resultsMatchPlan, solverFigure } from './figures';
import * as f from '../display';
import { pagingDiagnostics } from './paging';
import { capacityDiagnostics } from './capacity';
import { driftDiagnostic, heldOutDiagnostics } from './robustness';

interface FeedbackOptions {
  /** Warn when a committed placement is slower than the solver's by more than this, percent. */
  slowerThresholdPct: number;
}

const TOP: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/**
 * Diagnostics from results. Memory that cannot hold every expert is reported
 * by the plan checker (MP208) before any solve, so it is not repeated here.
 */
export function solverDiagnostics(plan: Plan, results: PlanResults, options: FeedbackOptions): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (!resultsMatchPlan(plan, results)) return out;
  const threshold = options.slowerThresholdPct / 100;
  const objective = objectiveName(results);
  for (const layer of results.layers) {
    const committed = plan.placement.committed.get(layer.layer);
    const mine = committedFigure(layer, plan);
    const solver = solverFigure(layer, results);
    if (!committed || !mine || !solver) continue;
    // Compared by the plan's objective, as every other surface compares them.
    const slower = slowerBy(mine, solver, objective);
    if (!(slower > threshold)) continue;
    out.push({
      range: committed.range ?? plan.placement.range ?? TOP,
      severity: 'warning',
      code: FeedbackCode.committedSlower,
      message:
        `Layer ${layer.layer}: the committed placement takes ${primaryText(mine, objective)}, ${f.percent(slower)} slower than ` +
        `${solver.policy}'s ${primaryText(solver, objective)} (${objectiveLabel(results.objective)}; ${secondaryText(mine, objective)} vs ${secondaryText(solver, objective)}). ` +
        `Threshold: ${options.slowerThresholdPct}% (setting moeplan.slowerThreshold). Use "Write the solver's placement" to replace it.`,
      related: plan.placement.policy.range ? [{ message: `policy ${plan.placement.policy.value}`, range: plan.placement.policy.range }] : undefined,
    });
  }
  const o = results.offload;
  const offloading = plan.offload?.enabled === true;
  if (o.advice === 'offload' && !offloading) {
    out.push({
      range: plan.workload.phase.range ?? plan.hardware.range ?? TOP,
      severity: 'information',
      code: FeedbackCode.offloadAdvice,
      message:
        `γ = ${f.ratio(o.gamma)} < 1: offloading experts over PCIe (${f.micros(o.offloadUs)}) would beat expert parallelism ` +
        `(${f.micros(o.expertParallelUs)}) for ${o.phase} with ${f.count(o.tokens)} tokens. Consider an \`offload\` block.`,
    });
  } else if (o.advice === 'expert-parallel' && offloading) {
    out.push({
      range: plan.offload?.range ?? TOP,
      severity: 'information',
      code: FeedbackCode.offloadAdvice,
      message:
        `γ = ${f.ratio(o.gamma)} > 1: expert parallelism over the network (${f.micros(o.expertParallelUs)}) beats PCIe offload ` +
        `(${f.micros(o.offloadUs)}) for ${o.phase} with ${f.count(o.tokens)} tokens.`,
    });
  }
  out.push(...pagingDiagnostics(plan, results));
  out.push(...capacityDiagnostics(plan, results));
  out.push(...heldOutDiagnostics(plan, results));
  if (results.drift) out.push(driftDiagnostic(plan, results.drift));
  return out;
}

/** A failed or refused analysis as a diagnostic at the workload (or the top). */
export function analysisErrorDiagnostic(plan: Plan | undefined, kind: SolveErrorKind, message: string): Diagnostic {
  const src = plan?.workload.source;
  const range = (src && 'range' in src ? src.range : undefined) ?? plan?.placement.range ?? TOP;
  const traceNotRead = kind === 'refused' || kind === 'untrusted';
  const code = kind === 'timeout' ? FeedbackCode.analysisTimeout : traceNotRead ? FeedbackCode.traceNotRead : FeedbackCode.analysisFailed;
  return {
    range,
    severity: kind === 'untrusted' ? 'warning' : 'error',
    code,
    message: traceNotRead ? message : `Analysis ${kind === 'timeout' ? 'timed out' : 'failed'}: ${message}`,
  };
}
