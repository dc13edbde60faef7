// Lenses over the workload block: the held-out figure over its first
// source, and over each source of a mixture the placement's figure on that
// workload against its own best. A click opens the placement view.
import type { CodeLens } from 'vscode-languageserver';
import type { Plan } from '../plan/types';
import type { PlanResults } from '../protocol';
import { sourcesOf } from '../plan/workloadSources';
import { heldOutLensTitle, workloadLensTitle } from '../feedback/robustFigures';

export function robustLenses(plan: Plan, results: PlanResults, uri: string): CodeLens[] {
  const sources = sourcesOf(plan.workload);
  const lenses: CodeLens[] = [];
  const open = (title: string) => ({ title, command: 'moeplan.showPlacementView', arguments: [uri] });
  sources.forEach((s, i) => {
    if (!s.range) return;
    const titles = [i === 0 ? heldOutLensTitle(results) : undefined, sources.length > 1 ? workloadLensTitle(results, i) : undefined];
    for (const t of titles) if (t) lenses.push({ range: s.range, command: open(t) });
  });
  return lenses;
}
