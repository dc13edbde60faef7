// Custom requests (server/src/protocol.ts): results, applying the solved
// placement, exporting, the HTML report, and where to reveal what the placement view clicked.
import { traceInputs } from '../workload/traceInputs';
import {
  ApplyCapacityRequest,
  ApplyPlacementRequest,
  ExportRequest,
  GetResultsRequest,
  ReportRequest,
  RevealRequest,
  onRequest,
  type ApplyCapacityResponse,
  type ApplyPlacementResponse,
  type ExportResponse,
  type GetResultsResponse,
  type ReportResponse,
} from '../protocol';
import { findRevealRange } from '../feedback/reveal';
import { basename, isAbsolute } from 'node:path';
import type { ServerContext } from './context';
import { exportText } from './exporter';
import { writeUserFile } from '../userFiles/write';
import { errnoText } from '../userFiles/errors';
import { placementEdit } from './placementEdit';
import { capacityEdit } from './capacityLens';
import { safely } from './safe';
import { renderReport } from '../report/render';

export function register(ctx: ServerContext): void {
  onRequest(
    ctx.connection,
    GetResultsRequest,
    safely(ctx.log, 'getResults', null, (p): GetResultsResponse => {
      const e = ctx.solves.entry(p.uri);
      if (!e) return null;
      return { uri: e.uri, version: e.version, results: e.wire ?? e.results, error: e.error, ms: e.ms };
    }),
  );

  onRequest(
    ctx.connection,
    ApplyPlacementRequest,
    safely(ctx.log, 'applyPlacement', { applied: false, message: 'internal error; see the moeplan log' }, async (p): Promise<ApplyPlacementResponse> => {
      const fast = ctx.fast(p.uri);
      if (!fast) return { applied: false, message: 'the plan is not open' };
      const results = ctx.solves.entry(p.uri)?.results;
      if (!results) return { applied: false, message: 'no solved placement yet: save the plan or run "moeplan: Solve Now"' };
      const edit = placementEdit(fast, results);
      if ('error' in edit) return { applied: false, message: edit.error };
      const r = await ctx.connection.workspace.applyEdit({ label: "moeplan: write the solver's placement", edit });
      return { applied: r.applied, message: r.failureReason };
    }),
  );

  onRequest(
    ctx.connection,
    ApplyCapacityRequest,
    safely(ctx.log, 'applyCapacity', { applied: false, message: 'internal error; see the moeplan log' }, async (p): Promise<ApplyCapacityResponse> => {
      const fast = ctx.fast(p.uri);
      if (!fast) return { applied: false, message: 'the plan is not open' };
      const edit = capacityEdit(fast, ctx.solves.entry(p.uri)?.results);
      if ('error' in edit) return { applied: false, message: edit.error };
      const r = await ctx.connection.workspace.applyEdit({ label: 'moeplan: use the recommended slots and batch', edit });
      return { applied: r.applied, message: r.failureReason };
    }),
  );

  onRequest(
    ctx.connection,
    ReportRequest,
    safely(ctx.log, 'report', { ok: false, error: 'internal error; see the moeplan log' }, (p): ReportResponse => {
      const fast = ctx.fast(p.uri);
      if (!fast) return { ok: false, error: 'the plan is not open in the editor: open it, then save the report' };
      const results = ctx.solves.entry(p.uri)?.results;
      if (!fast.plan || !results)
        return { ok: false, error: 'no results yet: fix the plan\'s errors, save it or run "moeplan: Solve Now", then save the report' };
      const name = basename(fast.file);
      // The page `moeplan report` writes for the same plan and results.
      const html = renderReport({ ...results, uri: name }, { title: p.title ?? name, planText: fast.text, source: name });
      if (p.outputPath === undefined) return { ok: true, html };
      if (!isAbsolute(p.outputPath)) return { ok: false, error: 'report: outputPath must be absolute' };
      const inputs = [{ path: fast.file, what: 'the plan' }, ...traceInputs(fast.plan, false)];
      try {
        return { ok: true, written: writeUserFile(p.outputPath, html, { inputs }).target };
      } catch (e) {
        return { ok: false, error: `cannot write '${p.outputPath}': ${errnoText(e)}` };
      }
    }),
  );

  onRequest(
    ctx.connection,
    ExportRequest,
    safely(ctx.log, 'export', { ok: false, error: 'internal error; see the moeplan log' }, (p): ExportResponse => {
      const fast = ctx.fast(p.uri);
      if (!fast) return { ok: false, error: 'the plan is not open in the editor: open it, then export' };
      if (!fast.plan) return { ok: false, error: 'the plan has errors; fix them first' };
      const r = exportText(fast.plan, ctx.solves.entry(p.uri)?.results, p.format, p.outputPath);
      if (!r.ok || !p.write) return r;
      if (!p.outputPath || !isAbsolute(p.outputPath)) return { ok: false, error: 'export: `write` needs an absolute outputPath' };
      const inputs = [{ path: fast.file, what: 'the plan' }, ...traceInputs(fast.plan, false)];
      try {
        const { target } = writeUserFile(p.outputPath, r.content ?? '', { inputs });
        return { ...r, content: undefined, written: target };
      } catch (e) {
        return { ok: false, error: `cannot write '${p.outputPath}': ${errnoText(e)}` };
      }
    }),
  );

  onRequest(
    ctx.connection,
    RevealRequest,
    safely(ctx.log, 'reveal', null, (p) => {
      const plan = ctx.fast(p.uri)?.plan;
      return (plan && findRevealRange(plan, p.target)) ?? null;
    }),
  );
}
