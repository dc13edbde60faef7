// The capacity sweep in the editor: a code lens on the plan's memory line
// (`slots`, else `reserve`, else `gpu`) with the figures of the plan's slot
// count and the recommendation, and the edit that writes the recommended
// slots and batch into the plan (the lens's command, a source action and
// the moeplan/applyCapacity request all use it).
import type { CodeLens, Range, WorkspaceEdit } from 'vscode-languageserver';
import type { Plan } from '../plan/types';
import type { PlanResults } from '../protocol';
import { resultsMatchPlan } from '../feedback';
import { capacityLensTitle } from '../feedback/capacityText';
import { servingPointEdits } from '../plan/servingEdit';
import type { FastAnalysis } from './fastAnalysis';

/** The line the capacity lens sits on: where the plan sizes its memory. */
function memoryLine(plan: Plan): Range | undefined {
  const slots = plan.refs.find((r) => r.kind === 'field' && r.path === 'slots');
  const reserve = plan.refs.find((r) => r.kind === 'field' && r.path === 'reserve');
  return slots?.range ?? reserve?.range ?? plan.hardware.range;
}

export function capacityLenses(uri: string, plan: Plan, results: PlanResults): CodeLens[] {
  const c = results.capacity;
  const range = memoryLine(plan);
  if (!c || !range || !resultsMatchPlan(plan, results)) return [];
  const title = capacityLensTitle(c, plan.hardware.slotsPerGpu[0] ?? 0);
  const r = c.recommended;
  const written = r && r.slotsPerGpu === plan.hardware.slotsPerGpu[0] && r.batch === plan.workload.batch.value;
  return [
    r && !written
      ? { range, command: { title: `${title} · write it`, command: 'moeplan.applyCapacity', arguments: [uri] } }
      : { range, command: { title, command: 'moeplan.showPlacementView', arguments: [uri] } },
  ];
}

/** The edit that writes the recommended slots and batch, or why not. */
export function capacityEdit(fast: FastAnalysis, results: PlanResults | undefined): WorkspaceEdit | { error: string } {
  if (!fast.plan) return { error: 'the plan has errors; fix them first' };
  if (!results) return { error: 'no capacity sweep yet: save the plan (it needs a `serve` block)' };
  if (!resultsMatchPlan(fast.plan, results)) return { error: 'the results are from an older shape of the plan; save to solve again' };
  const r = results.capacity?.recommended;
  if (!r) return { error: results.capacity ? 'no slots and batch meet the target: see MP810' : 'the plan has no `serve` block to size slots and batch for' };
  const edits = servingPointEdits(fast.text, fast.plan, r);
  if ('error' in edits) return edits;
  return { changes: { [fast.uri]: edits } };
}
