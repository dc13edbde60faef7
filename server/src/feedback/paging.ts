// Paging figures (docs/paging.md) in the editor: an information diagnostic
// that offloading applies, with the miss rate and time per token, and lens
// text (the hover on `offload` lists every policy: hover.ts). Pure.
import type { Diagnostic } from '../language/diagnostic';
import type { Range } from '../language/ast';
import type { Plan } from '../plan/types';
import { DEFAULTS } from '../plan/defaults';
import type { PagingFigures, PlanResults } from '../protocol';
import { FeedbackCode } from './codes';
import { resultsMatchPlan, totalSlots } from './figures';
import * as f from '../display';

const TOP: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/** The policy the plan asks for (its `offload` block), else the default (layer-aware LRU). */
function chosenPagingPolicy(results: PlanResults, plan?: Plan): string {
  return results.pagingPolicy ?? plan?.offload?.policy ?? DEFAULTS.offloadPolicy;
}

function chosenFigures(results: PlanResults, paging: Record<string, PagingFigures> | undefined, plan?: Plan): [string, PagingFigures] | undefined {
  if (!paging) return undefined;
  const name = chosenPagingPolicy(results, plan);
  const fig = paging[name];
  return fig ? [name, fig] : undefined;
}

export function pagingDiagnostics(plan: Plan, results: PlanResults): Diagnostic[] {
  if (!resultsMatchPlan(plan, results)) return [];
  const chosen = chosenFigures(results, results.paging, plan);
  if (!chosen) return [];
  const [name, fig] = chosen;
  const E = plan.model.experts.value;
  const slots = totalSlots(plan);
  const bound = results.paging?.belady;
  const fixed = results.paging?.static;
  const resident = fig.residentUsPerToken;
  const message =
    (slots < E
      ? `Offloading applies: the GPUs hold ${slots} of ${E} experts per layer; the rest are paged from host memory over PCIe. `
      : `Offloading is on: experts are paged from host memory over PCIe. `) +
    `${name}: ${f.percent(1 - fig.hitRate)} of expert uses miss, ${f.micros(fig.usPerToken)} per token` +
    (resident !== undefined ? ` (${f.micros(resident)} with every expert resident)` : '') +
    `, ${f.bytes(fig.bytes)} over PCIe.` +
    (bound && name !== 'belady' ? ` Belady's offline bound: ${f.percent(1 - bound.hitRate)} misses, ${f.micros(bound.usPerToken)}.` : '') +
    (fixed ? ` Static pinning without a cache: ${f.percent(1 - fixed.hitRate)} misses, ${f.micros(fixed.usPerToken)}.` : '');
  return [
    {
      range: plan.offload?.range ?? plan.hardware.reserveBytes.range ?? plan.hardware.range ?? TOP,
      severity: 'information',
      code: FeedbackCode.pagingFigures,
      message,
    },
  ];
}

/**
 * ` · paging layer-lru 59.7% hits · 147 ms/token` for the whole plan, or the
 * same for one layer's figures (its share of the time per token); '' without paging.
 */
export function pagingLensText(results: PlanResults, figures: Record<string, PagingFigures> | undefined = results.paging): string {
  const chosen = chosenFigures(results, figures);
  if (!chosen) return '';
  const [name, fig] = chosen;
  return ` · paging ${name} ${f.percent(fig.hitRate)} hits · ${f.micros(fig.usPerToken)}/token`;
}
