// Export for the editor (moeplan/export): the plan's committed placement when
// it commits every layer (what the repository reviews), else the solver's
// last placement; the engine formats come from server/src/export.
import { basename } from 'node:path';
import { committedPlacements, exportPlan } from '../export/index';
import type { Plan } from '../plan/types';
import type { ExportFormat, ExportResponse, PlanResults } from '../protocol';
import { resultsMatchPlan } from '../feedback';

export function exportText(plan: Plan, results: PlanResults | undefined, format: ExportFormat): ExportResponse {
  let placements = committedPlacements(plan);
  if (!placements) {
    if (!results) return { ok: false, error: 'the plan commits no placement for every layer and is not solved yet: save it (or run "moeplan: Solve Now") first' };
    if (!resultsMatchPlan(plan, results)) return { ok: false, error: 'the last solve is from an older shape of the plan: save it to solve again' };
    const byLayer = new Map(results.layers.map((l) => [l.layer, l.placement]));
    placements = [];
    for (let l = 0; l < plan.model.layers.value; l++) {
      const p = byLayer.get(l);
      if (!p) return { ok: false, error: `layer ${l} has no solved placement` };
      placements.push(p);
    }
  }
  const r = exportPlan(plan, placements, format);
  if (!r.ok) return { ok: false, error: r.error };
  return { ok: true, content: r.content, suggestedName: basename(r.fileName) };
}
