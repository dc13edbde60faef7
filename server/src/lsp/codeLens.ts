// Code lenses: overall E[T], µs per token and the gain over eplb on the
// placement block; per committed layer block its own figures. Before any
// result, a lens that starts a solve.
import type { CodeLens, Range } from 'vscode-languageserver';
import { committedEdited, committedFigure, layerLensTitle, layerResult, overallLensTitle, resultsMatchPlan, solverFigure } from '../feedback';
import { figureText, objectiveName, primaryText } from '../feedback/objective';
import type { CommittedLayer } from '../plan/types';
import type { ServerContext } from './context';
import { safely } from './safe';
import { capacityLenses } from './capacityLens';
import { robustLenses } from './robustLenses';

const TOP: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

export function register(ctx: ServerContext): void {
  ctx.connection.onCodeLens(
    safely(ctx.log, 'codeLens', [], (p): CodeLens[] => {
      const uri = p.textDocument.uri;
      const plan = ctx.fast(uri)?.plan;
      if (!plan) return [];
      const anchor = plan.placement.range ?? TOP;
      const entry = ctx.solves.entry(uri);
      const results = entry?.results;
      if (!results || !resultsMatchPlan(plan, results)) {
        const title = ctx.solves.running(uri)
          ? 'moeplan: solving…'
          : ctx.trusted()
            ? 'moeplan: solve (saving the plan also solves)'
            : 'moeplan: solve (untrusted workspace: click to run)';
        return [{ range: anchor, command: { title, command: 'moeplan.solveNow', arguments: [uri] } }];
      }
      const lenses: CodeLens[] = [{ range: anchor, command: { title: overallLensTitle(results), command: 'moeplan.showPlacementView', arguments: [uri] } }];
      // `layer 0..1 { … }` commits several layers in one block: one lens per block.
      const byBlock = new Map<string, { block: CommittedLayer; layers: number[] }>();
      for (const [layer, block] of plan.placement.committed) {
        if (!block.range) continue;
        const key = `${block.range.start.line}:${block.range.start.character}`;
        const entry = byBlock.get(key) ?? { block, layers: [] };
        entry.layers.push(layer);
        byBlock.set(key, entry);
      }
      for (const { block, layers } of byBlock.values()) {
        if (!block.range) continue;
        const found = layers.map((l) => layerResult(results, l)).filter((l) => l !== undefined);
        if (found.length === 0) continue;
        let title: string;
        if (found.length === 1) title = layerLensTitle(found[0]!, results, plan);
        else if (found.some((l) => committedEdited(l!, plan))) {
          title = `layers ${layers[0]}–${layers[layers.length - 1]}: committed placement edited since the last solve (save to evaluate it)`;
        } else {
          const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
          const o = objectiveName(results);
          const committed = {
            expectedTime: mean(found.map((l) => committedFigure(l!, plan)?.expectedTime ?? l!.expectedTime)),
            latencyUs: mean(found.map((l) => committedFigure(l!, plan)?.latencyUs ?? l!.latencyUs)),
          };
          const solver = {
            expectedTime: mean(found.map((l) => solverFigure(l, results)?.expectedTime ?? l.expectedTime)),
            latencyUs: mean(found.map((l) => solverFigure(l, results)?.latencyUs ?? l.latencyUs)),
          };
          const eplb = { expectedTime: mean(found.map((l) => l.baselines.eplb)), latencyUs: mean(found.map((l) => l.baselinesUs?.eplb ?? NaN)) };
          title = `layers ${layers[0]}–${layers[layers.length - 1]}: mean committed ${figureText(committed, o)} · ${results.solver.name} ${primaryText(solver, o)} · EPLB ${primaryText(eplb, o)}`;
        }
        lenses.push({ range: block.range, command: { title, command: 'moeplan.applyPlacement', arguments: [uri] } });
      }
      lenses.push(...capacityLenses(uri, plan, results));
      lenses.push(...robustLenses(plan, results, uri));
      return lenses;
    }),
  );
}
