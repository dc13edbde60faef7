// The "Held out and workloads" card of the placement view (and the report):
// the held-out figure beside the in-sample one, and the placement on each
// workload of a mixture beside that workload's own best, as tables built
// with DOM calls from feedback/robustFigures.ts (the same text as the lenses
// and the CLI).
import type { PlanResults } from '../../server/src/protocol';
import { heldOutRows, workloadRows, type FigureRow } from '../../server/src/feedback/robustFigures';
import * as show from '../../server/src/display';
import { el } from './dom';

function table(r: PlanResults, id: string, rows: FigureRow[]): HTMLTableElement {
  const latency = r.objective.name === 'latency';
  const head = latency ? ['µs (layer)', 'E[T]'] : ['E[T]', 'µs (layer)'];
  const cells = (x: FigureRow) =>
    latency
      ? [show.micros(x.figures.latencyUs), show.expectedTime(x.figures.expectedTime)]
      : [show.expectedTime(x.figures.expectedTime), show.micros(x.figures.latencyUs)];
  return el(
    'table',
    { class: 'figures', id },
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, ''), ...head.map((h) => el('th', { scope: 'col' }, h)), el('th', { scope: 'col' }, ''))),
    el(
      'tbody',
      {},
      ...rows.map((x) =>
        el(
          'tr',
          {},
          el('th', { scope: 'row' }, x.label),
          ...cells(x).map((c) => el('td', {}, c)),
          el('td', { class: 'versus' }, [x.versus, x.note].filter(Boolean).join(' · ')),
        ),
      ),
    ),
  );
}

/** The card, or null when the results have neither a held-out figure nor a reason, nor several workloads. */
export function robustCard(r: PlanResults): HTMLElement | null {
  const held = heldOutRows(r);
  const workloads = workloadRows(r);
  if (held.length === 0 && workloads.length === 0 && !r.heldOutMissing) return null;
  const parts: Node[] = [el('h3', { id: 'title-robust' }, 'Held out and workloads')];
  if (held.length > 0) {
    parts.push(table(r, 'held-out-table', held));
    parts.push(
      el(
        'p',
        { class: 'caption' },
        `Split ${r.heldOut!.split}. The placement written is planned on all of the routing; the held-out figure is its estimate on traffic it has not seen.`,
      ),
    );
  } else if (r.heldOutMissing) {
    parts.push(el('p', { class: 'caption', id: 'held-out-missing' }, `No held-out figure: ${r.heldOutMissing}.`));
  }
  if (workloads.length > 0) {
    parts.push(el('h4', {}, `Workloads (mix ${r.mix ?? 'mean'})`));
    parts.push(table(r, 'workload-table', workloads));
  }
  parts.push(
    el(
      'p',
      { class: 'help' },
      'Held out: the same policy planned on part of the routing (by request, else the last 20% in trace order) and scored on the rest. Workloads: the chosen placement on each workload alone, against the best placement found for that workload.',
    ),
  );
  return el('section', { class: 'card wide', id: 'card-robust', 'aria-labelledby': 'title-robust' }, ...parts);
}
