// Code lens titles: E[T] and predicted µs per layer and overall, the gain over eplb.
import type { LayerResult, PlanResults } from '../protocol';
import type { Plan } from '../plan/types';
import { committedEdited, committedFigure, gain, solverFigure } from './figures';
import * as f from '../display';
import { pagingLensText } from './paging';

export function overallLensTitle(results: PlanResults): string {
  const g = gain(results.expectedTime, results.baselines.eplb);
  const latency = Number.isFinite(results.latencyUsPerToken) ? ` · ${f.micros(results.latencyUsPerToken)}/token` : '';
  return (
    `E[T] ${f.expectedTime(results.expectedTime)} (bound ${f.expectedTime(results.lowerBound)})${latency} over ${results.layers.length} layers · ` +
    `${g >= 0 ? `${f.percent(g)} faster` : `${f.percent(-g)} slower`} than eplb · ${results.solver.name}${results.solver.optimal ? ' (optimal)' : ''} ${f.millis(results.solver.ms)}` +
    pagingLensText(results)
  );
}

export function layerLensTitle(layer: LayerResult, results: PlanResults, plan?: Plan): string {
  const solver = solverFigure(layer, results);
  if (plan && committedEdited(layer, plan)) {
    return `layer ${layer.layer}: committed placement edited since the last solve (save to evaluate it)` + (solver ? ` · ${solver.policy} ${f.expectedTime(solver.expectedTime)}${us(solver.latencyUs)}` : '');
  }
  const mine = committedFigure(layer, plan);
  const parts = [`layer ${layer.layer}:`];
  if (mine) {
    parts.push(`committed E[T] ${f.expectedTime(mine.expectedTime)}${us(mine.latencyUs)}`);
    if (solver) parts.push(`· ${solver.policy} ${f.expectedTime(solver.expectedTime)}`);
  } else {
    parts.push(`E[T] ${f.expectedTime(layer.expectedTime)}${us(layer.latencyUs)}`);
  }
  const ref = mine?.expectedTime ?? layer.expectedTime;
  const g = gain(ref, layer.baselines.eplb);
  parts.push(`· ${g >= 0 ? `${f.percent(g)} faster` : `${f.percent(-g)} slower`} than eplb`);
  return parts.join(' ') + pagingLensText(results, layer.paging);
}

/** ` · 123 µs` when the latency model gave a figure, else nothing. */
function us(x: number): string {
  return Number.isFinite(x) ? ` · ${f.micros(x)}` : '';
}
