// Hovers: experts (load, copies, partners, share of E[T]), GPUs (slots,
// memory, load), model/hardware fields and presets (values with sources),
// layers (E[T] and µs), trace files.
import { MarkupKind, type Hover } from 'vscode-languageserver';
import { expertHover, fieldHover, gpuHover, layerLensTitle, layerResult, resultsMatchPlan } from '../feedback';
import type { ServerContext } from './context';
import { refAt } from './refs';
import { safely } from './safe';

export function register(ctx: ServerContext): void {
  ctx.connection.onHover(
    safely(ctx.log, 'hover', null, (p): Hover | null => {
      const t0 = performance.now();
      try {
        const a = ctx.fast(p.textDocument.uri);
        const plan = a?.plan;
        if (!plan) return null;
        const ref = refAt(plan, p.position);
        if (!ref) return null;
        const results = ctx.solves.entry(p.textDocument.uri)?.results;
        let value: string | undefined;
        switch (ref.kind) {
          case 'expert':
            value = expertHover(plan, results, ref.expert, ref.layer);
            break;
          case 'gpu':
            value = gpuHover(plan, results, ref.gpu, ref.layer);
            break;
          case 'field':
            value = fieldHover(plan, ref.path, results && resultsMatchPlan(plan, results) ? results : undefined);
            break;
          case 'preset':
            value = fieldHover(plan, ref.presetKind === 'model' ? 'model' : 'hardware');
            break;
          case 'layer': {
            const l = results && resultsMatchPlan(plan, results) ? layerResult(results, ref.layer) : undefined;
            value =
              l && results ? `**Layer ${ref.layer}**\n\n${layerLensTitle(l, results, plan)}` : `**Layer ${ref.layer}** — save the plan to see E[T] and µs.`;
            break;
          }
          case 'trace':
            value = `**Trace** \`${ref.absPath}\`${ctx.trusted() ? '' : '\n\n_Untrusted workspace: traces outside the workspace are not read._'}`;
            break;
        }
        return value ? { contents: { kind: MarkupKind.Markdown, value }, range: ref.range } : null;
      } finally {
        ctx.timings.add(ctx.timings.hoverMs, performance.now() - t0);
      }
    }),
  );
}
