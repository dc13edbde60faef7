// How far the figures can be trusted, as text every surface shows the same
// way: the held-out figure beside the in-sample one, and the placement on
// each workload of a mixture beside that workload's own best. Pure (no DOM,
// no Node): the lenses, the placement view, the report and the CLI read it.
import type { ObjectiveFigures, PlanResults } from '../protocol';
import type { ObjectiveName } from '../plan/types';
import * as show from '../display';
import type { KeyFigure } from './keyFigures';

/** The objective's figure: µs per layer (latency) or E[T]. */
function objectiveValue(r: PlanResults, x: ObjectiveFigures): number {
  return r.objective.name === 'latency' ? x.latencyUs : x.expectedTime;
}

/** The objective's figure first, the other unit beside it: "147 µs (E[T] 1.091)". */
export function pairOf(objective: ObjectiveName, x: ObjectiveFigures): string {
  return objective === 'latency' ? `${show.micros(x.latencyUs)} (E[T] ${show.expectedTime(x.expectedTime)})` : `E[T] ${show.expectedTime(x.expectedTime)} (${show.micros(x.latencyUs)})`;
}

export function pairText(r: PlanResults, x: ObjectiveFigures): string {
  return pairOf(r.objective.name, x);
}

/** The objective's figure alone: "147 µs" or "1.091". */
function objectiveText(r: PlanResults, x: ObjectiveFigures): string {
  return r.objective.name === 'latency' ? show.micros(x.latencyUs) : show.expectedTime(x.expectedTime);
}

/** `a` against `b` on the objective, signed: "+5.5%". */
function versus(r: PlanResults, a: ObjectiveFigures, b: ObjectiveFigures): string {
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
    { label: 'held out', figures: h, versus: `${versus(r, h, h.planning)} vs in sample` },
    { label: 'EPLB, held out', figures: h.eplb, versus: `${versus(r, h, h.eplb)} for the placement vs EPLB` },
  ];
}

/** Per-workload rows: the placement on each workload, against its own best. */
export function workloadRows(r: PlanResults): FigureRow[] {
  return (r.workloads ?? []).map((w, i) => {
    const held = r.heldOut?.workloads?.[i];
    return {
      label: `${w.name} (${show.percent(w.share)})`,
      figures: w,
      versus: `${versus(r, w, w.best)} vs its own best ${objectiveText(r, w.best)}`,
      note: held ? `held out ${objectiveText(r, held)}` : undefined,
    };
  });
}

/** The worst workload's excess over its own best, and which. */
function worstWorkload(r: PlanResults): { name: string; excess: number } | undefined {
  let out: { name: string; excess: number } | undefined;
  for (const w of r.workloads ?? []) {
    const b = objectiveValue(r, w.best);
    const excess = b > 0 ? objectiveValue(r, w) / b - 1 : NaN;
    if (!out || excess > out.excess) out = { name: w.name, excess };
  }
  return out;
}

export function robustKeyFigures(r: PlanResults): KeyFigure[] {
  const out: KeyFigure[] = [];
  const h = r.heldOut;
  if (h) {
    out.push({
      label: 'Held out',
      value: `${objectiveText(r, h)} (${versus(r, h, h.planning)} vs in sample)`,
      hint: `Planned on part of the routing, scored on the part it did not see: the honest estimate of the in-sample figures. Split ${h.split}.`,
    });
  } else if (r.heldOutMissing) {
    out.push({ label: 'Held out', value: 'no figure', hint: `The workload cannot be split: ${r.heldOutMissing}.` });
  }
  const worst = worstWorkload(r);
  if (worst) {
    out.push({
      label: `Workloads (mix ${r.mix ?? 'mean'})`,
      value: `worst ${show.signedPercent(worst.excess)} over its own best (${worst.name})`,
      hint: 'The placement on each workload against the best placement found for that workload alone.',
    });
  }
  return out;
}

/** The code lens over the workload block: the held-out figure. */
export function heldOutLensTitle(r: PlanResults): string | undefined {
  const h = r.heldOut;
  if (h) return `held out: ${objectiveText(r, h)} per layer (${versus(r, h, h.planning)} vs in sample) · EPLB held out ${objectiveText(r, h.eplb)}`;
  if (r.heldOutMissing) return `no held-out figure: ${r.heldOutMissing}`;
  return undefined;
}

/** The code lens over one source of a mixture: the placement on it against its own best. */
export function workloadLensTitle(r: PlanResults, index: number): string | undefined {
  const w = r.workloads?.[index];
  if (!w) return undefined;
  const held = r.heldOut?.workloads?.[index];
  return `${show.percent(w.share)} of the mix: ${objectiveText(r, w)} per layer, ${versus(r, w, w.best)} vs its own best ${objectiveText(r, w.best)}${held ? ` · held out ${objectiveText(r, held)}` : ''}`;
}
