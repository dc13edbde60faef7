// Code actions: the core diagnostics' own quick fixes (add a slot, remove a
// duplicate copy, place a missing expert, fix a unit, nearest preset), and
// writing the solver's placement (for one slow layer, or the whole plan).
import { CodeActionKind, type CodeAction, type CodeActionOptions, type Diagnostic as LspDiagnostic } from 'vscode-languageserver';
import { FeedbackCode } from '../feedback/codes';
import type { ServerContext } from './context';
import type { DiagnosticData } from './convert';
import { placementEdit } from './placementEdit';
import { capacityEdit } from './capacityLens';
import { safely } from './safe';

const WRITE_PLACEMENT_KIND = `${CodeActionKind.Source}.moeplan.writePlacement`;
const WRITE_CAPACITY_KIND = `${CodeActionKind.Source}.moeplan.writeCapacity`;

export const options: CodeActionOptions = {
  codeActionKinds: [CodeActionKind.QuickFix, CodeActionKind.Source, WRITE_PLACEMENT_KIND, WRITE_CAPACITY_KIND],
};

function isData(x: unknown): x is DiagnosticData {
  return !!x && typeof x === 'object' && typeof (x as DiagnosticData).index === 'number' && typeof (x as DiagnosticData).version === 'number';
}

export function register(ctx: ServerContext): void {
  ctx.connection.onCodeAction(
    safely(ctx.log, 'codeAction', [], (p): CodeAction[] => {
      const uri = p.textDocument.uri;
      const fast = ctx.fast(uri);
      if (!fast) return [];
      const published = ctx.published.get(uri);
      const only = p.context.only;
      const wants = (kind: string) => !only || only.some((k) => kind === k || kind.startsWith(k + '.'));
      const out: CodeAction[] = [];
      const results = ctx.solves.entry(uri)?.results;

      if (wants(CodeActionKind.QuickFix)) {
        for (const d of p.context.diagnostics as LspDiagnostic[]) {
          if (d.source !== 'moeplan') continue;
          const data = isData(d.data) ? d.data : undefined;
          // Fixes carry edits for one text version: offer them only for the current one.
          const core =
            data && published && published.version === data.version && published.version === fast.version ? published.list[data.index]?.core : undefined;
          if (core && core.code === d.code) {
            for (const fix of core.fixes ?? []) {
              out.push({
                title: fix.title,
                kind: CodeActionKind.QuickFix,
                diagnostics: [d],
                isPreferred: fix.preferred,
                edit: { changes: { [uri]: fix.edits.map((e) => ({ range: e.range, newText: e.newText })) } },
              });
            }
          }
          if (d.code === FeedbackCode.committedSlower && results && fast.plan) {
            const layer = layerAt(fast.plan.placement.committed, d.range.start.line);
            const edit = placementEdit(fast, results, layer);
            if (!('error' in edit)) {
              out.push({
                title: layer ? `Write the solver's placement for layer ${layer.join(', ')}` : "Write the solver's placement",
                kind: CodeActionKind.QuickFix,
                diagnostics: [d],
                isPreferred: true,
                edit,
              });
            }
          }
        }
      }
      if (results && fast.plan && wants(WRITE_PLACEMENT_KIND)) {
        const edit = placementEdit(fast, results);
        if (!('error' in edit) && (edit.changes?.[uri]?.length ?? 0) > 0) {
          out.push({ title: "Write the solver's placement into the plan", kind: WRITE_PLACEMENT_KIND, edit });
        }
      }
      if (results?.capacity?.recommended && fast.plan && wants(WRITE_CAPACITY_KIND)) {
        const edit = capacityEdit(fast, results);
        const r = results.capacity.recommended;
        const already = fast.plan.hardware.slotsPerGpu[0] === r.slotsPerGpu && fast.plan.workload.batch.value === r.batch;
        if (!('error' in edit) && !already)
          out.push({ title: `Use the recommended ${r.slotsPerGpu} slots per GPU and batch ${r.batch}`, kind: WRITE_CAPACITY_KIND, edit });
      }
      return out;
    }),
  );
}

function layerAt(committed: Map<number, { range?: { start: { line: number }; end: { line: number } } }>, line: number): number[] | undefined {
  const layers: number[] = [];
  for (const [layer, block] of committed) {
    if (block.range && block.range.start.line <= line && line <= block.range.end.line) layers.push(layer);
  }
  return layers.length ? layers : undefined;
}
