// Export for the editor (moeplan/export): the plan's committed placement when
// it commits every layer (what the repository reviews), else the solver's
// last placement; the engine formats and their launch arguments come from
// server/src/export. The launch arguments name the file where the client
// saves it (outputPath), else the suggested name next to the plan.
import { basename, dirname, isAbsolute, join } from 'node:path';
import { committedPlacements, exportFileName, exportPlan } from '../export/index';
import type { Plan } from '../plan/types';
import type { ExportFormat, ExportResponse, PlanResults } from '../protocol';
import { resultsMatchPlan } from '../feedback';
import { recommendationNote } from '../feedback/capacityText';

export function exportText(plan: Plan, results: PlanResults | undefined, format: ExportFormat, outputPath?: string): ExportResponse {
  let placements = committedPlacements(plan);
  if (!placements) {
    if (!results)
      return { ok: false, error: 'the plan commits no placement for every layer and is not solved yet: save it (or run "moeplan: Solve Now") first' };
    if (!resultsMatchPlan(plan, results)) return { ok: false, error: 'the last solve is from an older shape of the plan: save it to solve again' };
    const byLayer = new Map(results.layers.map((l) => [l.layer, l.placement]));
    placements = [];
    for (let l = 0; l < plan.model.layers.value; l++) {
      const p = byLayer.get(l);
      if (!p) return { ok: false, error: `layer ${l} has no solved placement` };
      placements.push(p);
    }
  }
  const suggested = exportFileName(plan.file, format);
  const target = outputPath && isAbsolute(outputPath) ? outputPath : isAbsolute(plan.file) ? join(dirname(plan.file), suggested) : undefined;
  const r = exportPlan(plan, placements, format, target);
  if (!r.ok) return { ok: false, error: r.error };
  const notes = [...r.notes];
  const rec = results && resultsMatchPlan(plan, results) ? results.capacity?.recommended : undefined;
  if (rec && format !== 'json' && (rec.slotsPerGpu !== plan.hardware.slotsPerGpu[0] || rec.batch !== plan.workload.batch.value)) {
    notes.push(recommendationNote(plan, rec));
  }
  return { ok: true, content: r.content, suggestedName: basename(r.fileName), launch: r.launch, warnings: r.warnings, notes };
}
