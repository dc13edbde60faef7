// The edit that writes the solver's placement into the plan (code action,
// the applyPlacement request and the command all use it).
import type { WorkspaceEdit } from 'vscode-languageserver';
import type { PlanResults } from '../protocol';
import { resultsMatchPlan } from '../feedback';
import type { FastAnalysis } from './fastAnalysis';
import { writePlacementText } from './fastAnalysis';
import { lineEdits } from './textDiff';

export function placementEdit(fast: FastAnalysis, results: PlanResults, onlyLayers?: number[]): WorkspaceEdit | { error: string } {
  if (!fast.plan) return { error: 'the plan has errors; fix them first' };
  if (!resultsMatchPlan(fast.plan, results)) return { error: 'the results are from an older shape of the plan; save to solve again' };
  const layers = results.layers.filter((l) => !onlyLayers || onlyLayers.includes(l.layer)).map((l) => ({ layer: l.layer, placement: l.placement }));
  if (layers.length === 0) return { error: 'no solved layers to write' };
  const next = writePlacementText(fast.text, layers);
  if ('error' in next) return { error: next.error };
  const edits = lineEdits(fast.text, next.text);
  return { changes: { [fast.uri]: edits } };
}
