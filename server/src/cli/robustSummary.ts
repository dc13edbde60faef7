// The lines of `moeplan solve`'s summary that say how far its figures can be
// trusted: the held-out estimate beside the in-sample figure, and the
// placement on each workload of a mixture beside that workload's own best.
import type { PlanResults } from '../protocol';
import { heldOutRows, pairText, workloadRows } from '../feedback/robustFigures';

export function robustLines(r: PlanResults): string[] {
  const lines: string[] = [];
  const held = heldOutRows(r);
  if (held.length > 0) {
    lines.push(`held out (planned on part of the routing, scored on the part it did not see; split ${r.heldOut!.split}):`);
    lines.push(...rows(r, held));
  } else if (r.heldOutMissing) {
    lines.push(`held out: no figure — ${r.heldOutMissing}`);
  }
  const workloads = workloadRows(r);
  if (workloads.length > 0) {
    lines.push(`workloads (mix ${r.mix ?? 'mean'}): the placement on each, against the best placement found for it alone:`);
    lines.push(...rows(r, workloads));
  }
  return lines;
}

function rows(r: PlanResults, list: ReturnType<typeof heldOutRows>): string[] {
  const width = Math.max(...list.map((x) => x.label.length));
  const cells = list.map((x) => pairText(r, x.figures));
  const fig = Math.max(...cells.map((c) => c.length));
  return list.map((x, i) => `  ${x.label.padEnd(width)}  ${cells[i].padStart(fig)}${x.versus ? `  ${x.versus}` : ''}${x.note ? ` · ${x.note}` : ''}`);
}
