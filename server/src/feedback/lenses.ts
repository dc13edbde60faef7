// Code lens titles: the objective's figure per layer and overall (µs per MoE
// layer at the plan's batch, or E[T]), the other beside it, the gain over EPLB.
import type { LayerResult, PlanResults } from '../protocol';
import type { Plan } from '../plan/types';
import { committedEdited, committedFigure, solverFigure } from './figures';
import * as f from '../display';
import { eplbFigure, figureText, objectiveName, overallFigure, primaryText, versus } from './objective';
import { pagingLensText } from './paging';

export function overallLensTitle(results: PlanResults): string {
  const o = objectiveName(results);
  const fig = overallFigure(results);
  const bound = { expectedTime: results.lowerBound, latencyUs: results.lowerBoundUs };
  const perStep = o === 'latency' && Number.isFinite(results.latencyUsPerToken) ? ` (${f.micros(results.latencyUsPerToken)} per step)` : '';
  const at = results.objective ? ` at batch ${f.count(results.objective.batch)}, ${results.objective.dispatch} dispatch` : '';
  return (
    `${results.solver.name}${results.solver.optimal ? ' (optimal)' : ''}: ${primaryText(fig, o)} per layer${o === 'latency' ? at : ''}${perStep} · ` +
    `${versus(fig, eplbFigure(results), o, 'EPLB')} · bound ${primaryText(bound, o)} · ` +
    `${o === 'latency' ? `E[T] ${f.expectedTime(results.expectedTime)}` : `${f.micros(results.latencyUs)} per layer${at}`} · ${results.layers.length} layers in ${f.millis(results.solver.ms)}` +
    pagingLensText(results)
  );
}

export function layerLensTitle(layer: LayerResult, results: PlanResults, plan?: Plan): string {
  const o = objectiveName(results);
  const solver = solverFigure(layer, results);
  if (plan && committedEdited(layer, plan)) {
    return (
      `layer ${layer.layer}: committed placement edited since the last solve (save to evaluate it)` +
      (solver ? ` · ${solver.policy} ${figureText(solver, o)}` : '')
    );
  }
  const mine = committedFigure(layer, plan);
  const eplb = { expectedTime: layer.baselines.eplb, latencyUs: layer.baselinesUs?.eplb ?? NaN };
  const parts = [`layer ${layer.layer}:`];
  if (mine) {
    parts.push(`committed ${figureText(mine, o)}`);
    if (solver) parts.push(`· ${solver.policy} ${primaryText(solver, o)}`);
  } else {
    parts.push(figureText(layer, o));
  }
  const g = versus(mine ?? layer, eplb, o, 'EPLB');
  if (g) parts.push(`· ${g}`);
  return parts.join(' ') + pagingLensText(results, layer.paging);
}
