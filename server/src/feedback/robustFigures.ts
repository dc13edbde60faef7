// How far the figures can be trusted, as text every surface shows the same
// way: the held-out figure beside the in-sample one, and the placement on
// each workload of a mixture beside that workload's own best. Pure (no DOM,
// no Node): the lenses, the placement view, the report and the CLI read it.
import type { ObjectiveFigures, PlanResults } from '../protocol';
import type { ObjectiveName } from '../plan/types';
import * as show from '../display';

/** The objective's figure: µs per layer (latency) or E[T]. */
export function objectiveValue(r: PlanResults, x: ObjectiveFigures): number {
  return r.objective.name === 'latency' ? x.latencyUs : x.expectedTime;
}

/** The objective's figure first, the other unit beside it: "147 µs (E[T] 1.091)". */
export function pairOf(objective: ObjectiveName, x: ObjectiveFigures): string {
  return objective === 'latency'
    ? `${show.micros(x.latencyUs)} (E[T] ${show.expectedTime(x.expectedTime)})`
    : `E[T] ${show.expectedTime(x.expectedTime)} (${show.micros(x.latencyUs)})`;
}

export function pairText(r: PlanResults, x: ObjectiveFigures): string {
  return pairOf(r.objective.name, x);
}

/** The objective's figure alone: "147 µs" or "1.091". */
export function objectiveText(r: PlanResults, x: ObjectiveFigures): string {
  return r.objective.name === 'latency' ? show.micros(x.latencyUs) : show.expectedTime(x.expectedTime);
}

/** `a` against `b` on the objective, signed: "+5.5%". */
export function versusOnObjective(r: PlanResults, a: ObjectiveFigures, b: ObjectiveFigures): string {
  const base = objectiveValue(r, b);
  return base > 0 ? show.signedPercent(objectiveValue(r, a) / base - 1) : show.MISSING;
}

export interface FigureRow {
  label: string;
  figures: ObjectiveFigures;
  /** Against the row it is compared with (in sample, own best). */
  versus?: string;
  note?: string;
}

/** Held-out rows: in sample on the planning part, held out, EPLB held out. */
export function heldOutRows(r: PlanResults): FigureRow[] {
  const h = r.heldOut;
  if (!h) return [];
  return [
    { label: 'in sample (planning part)', figures: h.planning },
    { label: 'held out', figures: h, versus: `${versusOnObjective(r, h, h.planning)} vs in sample` },
    { label: 'EPLB, held out', figures: h.eplb, versus: `${versusOnObjective(r, h, h.eplb)} for the placement vs EPLB` },
  ];
}

/** Per-workload rows: the placement on each workload, against its own best. */
export function workloadRows(r: PlanResults): FigureRow[] {
  return (r.workloads ?? []).map((w, i) => {
    const held = r.heldOut?.workloads?.[i];
    return {
      label: `${w.name} (${show.percent(w.share)})`,
      figures: w,
      versus: `${versusOnObjective(r, w, w.best)} vs its own best ${objectiveText(r, w.best)}`,
      note: held ? `held out ${objectiveText(r, held)}` : undefined,
    };
  });
}

/** The code lens over the workload block: the held-out figure. */
export function heldOutLensTitle(r: PlanResults): string | undefined {
  const h = r.heldOut;
  if (h) return `held out: ${objectiveText(r, h)} per layer (${versusOnObjective(r, h, h.planning)} vs in sample) · EPLB held out ${objectiveText(r, h.eplb)}`;
  if (r.heldOutMissing) return `no held-out figure: ${r.heldOutMissing}`;
  return undefined;
}

/** The code lens over one source of a mixture: the placement on it against its own best. */
export function workloadLensTitle(r: PlanResults, index: number): string | undefined {
  const w = r.workloads?.[index];
  if (!w) return undefined;
  const held = r.heldOut?.workloads?.[index];
  return `${show.percent(w.share)} of the mix: ${objectiveText(r, w)} per layer, ${versusOnObjective(r, w, w.best)} vs its own best ${objectiveText(r, w.best)}${held ? ` · held out ${objectiveText(r, held)}` : ''}`;
}
