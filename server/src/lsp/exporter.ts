// Adapter to the engine exporters (server/src/export).
import type { Plan } from '../plan/types';
import type { ExportFormat, ExportResponse, PlanResults } from '../protocol';

export function exportText(_plan: Plan, results: PlanResults | undefined, format: ExportFormat): ExportResponse {
  if (!results) return { ok: false, error: 'no solved placement yet: save the plan or run "moeplan: Solve Now"' };
  if (format === 'json') return { ok: true, content: JSON.stringify(results, null, 2) + '\n', suggestedName: 'placement.json' };
  return { ok: false, error: `export to ${format} is not available in this build` };
}
