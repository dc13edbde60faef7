// Hover text (markdown) for experts, GPUs and plan fields. Pure.
import type { Plan, Sourced } from '../plan/types';
import type { LayerResult, PlanResults } from '../protocol';
import { copiesOf, layerResult, resultsMatchPlan, totalSlots } from './figures';
import * as f from '../display';
import { memoryHoverRows, modelServingRows, serveHover } from './capacityHover';
import { eplbFigure, figureText, objectiveLabel, objectiveName, overallFigure, primaryText, secondaryText } from './objective';

/** The layer a hover speaks about when the text names none: the first analysed one. */
function pickLayer(results: PlanResults, layer: number | undefined): LayerResult | undefined {
  return layer !== undefined ? layerResult(results, layer) : results.layers[0];
}

export function expertHover(plan: Plan, results: PlanResults | undefined, expert: number, layer?: number): string {
  const lines = [`**Expert ${expert}**${layer !== undefined ? ` · layer ${layer}` : ''} — ${plan.model.name}`];
  if (!results || !resultsMatchPlan(plan, results)) {
    lines.push('', '_No analysis yet: save the plan (or run "moeplan: Solve Now") to see load, copies and partners._');
    return lines.join('\n');
  }
  const l = pickLayer(results, layer);
  if (!l) return lines.concat('', `_Layer ${layer} was not analysed._`).join('\n');
  const k = plan.model.topK.value;
  const load = l.expertLoad[expert] ?? 0;
  const uniform = k / plan.model.experts.value;
  const where = copiesOf(l.placement, plan.model.experts.value)[expert] ?? [];
  const partners = (l.partners[expert] ?? []).slice(0, 3);
  // E[T] is not additive over experts; we attribute it in proportion to load (an estimate).
  const share = k > 0 ? load / k : 0;
  lines.push(
    '',
    `| | |`,
    `|---|---|`,
    `| load | ${f.load(load)} activations/token (${f.percent(load)} of tokens; uniform ${f.load(uniform)}) |`,
    `| copies (${results.solver.name}) | ${where.length}${where.length ? ` — GPU ${where.join(', GPU ')}` : ' — not placed'} |`,
    ...committedCopies(plan, l.layer, expert),
    `| top partners | ${partners.length ? partners.map(([partner, share]) => `${partner} (${f.percent(share)})`).join(', ') : 'none recorded'} |`,
    shareRow(results, l, share),
  );
  if (layer === undefined) lines.push('', `_Figures for layer ${l.layer}._`);
  return lines.join('\n');
}

export function gpuHover(plan: Plan, results: PlanResults | undefined, gpu: number, layer?: number): string {
  const hw = plan.hardware;
  const slots = hw.slotsPerGpu[gpu] ?? 0;
  const node = hw.gpusPerNode > 0 ? Math.floor(gpu / hw.gpusPerNode) : 0;
  const lines = [`**GPU ${gpu}** · ${hw.gpu.name} · node ${node}${layer !== undefined ? ` · layer ${layer}` : ''}`, ''];
  const expertBytesAllLayers = plan.model.bytesPerExpert.value * plan.model.layers.value;
  const committed = layer !== undefined ? plan.placement.committed.get(layer) : undefined;
  let used: number | undefined = committed?.gpus[gpu]?.length;
  let l: LayerResult | undefined;
  if (results && resultsMatchPlan(plan, results)) {
    l = pickLayer(results, layer);
    if (used === undefined && l) used = l.placement[gpu]?.length;
  }
  lines.push(`| | |`, `|---|---|`);
  if (used !== undefined) lines.push(`| slots | ${used} used, ${Math.max(0, slots - used)} free of ${slots} |`);
  else lines.push(`| slots | ${slots} per layer (${hw.slotsSource}) |`);
  const mem = hw.gpu.memoryBytes.value;
  const experts = (used ?? slots) * expertBytesAllLayers;
  lines.push(
    `| memory | ${f.bytes(mem)} = ${f.bytes(hw.reserveBytes.value)} reserved + ${f.bytes(experts)} experts${used !== undefined ? ` (${used} × ${f.bytes(expertBytesAllLayers)})` : ''} + ${f.bytes(Math.max(0, mem - hw.reserveBytes.value - experts))} free |`,
  );
  if (l) {
    const load = l.gpuLoad[gpu] ?? 0;
    const mean = l.gpuLoad.reduce((a, b) => a + b, 0) / Math.max(1, l.gpuLoad.length);
    const rule = results!.objective ? `${results!.objective.dispatch} dispatch` : 'the optimal matching';
    lines.push(
      `| expected load | ${f.load(load)} pairs per token (mean ${f.load(mean)}; ${mean > 0 ? f.signedPercent(load / mean - 1) : f.MISSING} vs mean) under ${rule}, layer ${l.layer}, ${results!.solver.name}'s placement |`,
    );
    lines.push(`| experts (${results!.solver.name}) | ${(l.placement[gpu] ?? []).join(' ') || 'none'} |`);
  } else {
    lines.push('', '_Save the plan to see expected load._');
  }
  return lines.join('\n');
}

let focusLabel: string | undefined;

function sourced(label: string, s: Sourced<number | string> | undefined, show: (v: never) => string): string | undefined {
  if (!s) return undefined;
  const name = label === focusLabel ? `**${label}**` : label;
  return `| ${name} | ${show(s.value as never)} | ${s.source} |`;
}

/** Row label of the field a path names, to set it in bold. */
const FOCUS: Record<string, string> = {
  'model.layers': 'MoE layers',
  'model.experts': 'routed experts',
  'model.shared-experts': 'shared experts',
  'model.top-k': 'top-k',
  'model.hidden': 'hidden (d)',
  'model.expert-ffn': 'expert FFN (f)',
  'model.dtype': 'weight dtype',
  'model.expert-size': 'bytes per expert',
  'gpu.memory': 'memory',
  'gpu.bandwidth': 'HBM bandwidth',
  'gpu.compute': 'dense BF16',
  reserve: 'reserved per GPU',
  'link.nvlink': 'NVLink',
  'link.network': 'network',
  'link.pcie': 'PCIe',
  'workload.batch': 'batch (tokens per step)',
  'workload.phase': 'phase',
  'placement.policy': 'policy',
  'placement.time': 'time budget',
};

function offloadRows(results: PlanResults | undefined): string[] {
  const o = results?.offload;
  if (!o || !Number.isFinite(o.gamma)) return [];
  return [
    `| offload vs expert parallelism | γ = ${f.ratio(o.gamma)} → ${o.advice === 'offload' ? 'PCIe offload' : 'expert parallelism'} (${f.micros(o.offloadUs)} offload, ${f.micros(o.expertParallelUs)} EP; ${o.phase}, ${f.count(o.tokens)} tokens) | cost model |`,
  ];
}

/** Hover for a plan field (`path` as the resolver records it, e.g. "model.top-k"); results add derived figures. */
export function fieldHover(plan: Plan, path: string, results?: PlanResults): string | undefined {
  focusLabel = FOCUS[path];
  try {
    return fieldHoverText(plan, path, results);
  } finally {
    focusLabel = undefined;
  }
}

function fieldHoverText(plan: Plan, path: string, results: PlanResults | undefined): string | undefined {
  const m = plan.model;
  const hw = plan.hardware;
  const head = path.split('.')[0];
  const num = (v: number) => f.count(v);
  const rows: (string | undefined)[] = [];
  let title = '';
  if (head === 'model' || path.startsWith('model')) {
    title = `**${m.name}**${m.preset ? ` (preset \`${m.preset}\`)` : ''}`;
    rows.push(
      sourced('MoE layers', m.layers, num),
      sourced('routed experts', m.experts, num),
      sourced('shared experts', m.sharedExperts, num),
      sourced('top-k', m.topK, num),
      sourced('hidden (d)', m.hidden, num),
      sourced('expert FFN (f)', m.expertFfn, num),
      sourced('weight dtype', m.weightDtype, String),
      sourced('bytes per expert', m.bytesPerExpert, (v: number) => f.bytes(v)),
      `| all experts, all layers | ${f.bytes(m.bytesPerExpert.value * m.experts.value * m.layers.value)} | derived |`,
    );
    if (m.groups) rows.push(`| routing groups | ${m.groups.count}, top ${m.groups.topGroups} | plan |`);
    rows.push(...modelServingRows(plan));
  } else if (['hardware', 'gpu', 'reserve', 'slots', 'link'].includes(head ?? '') || path.startsWith('hardware')) {
    const slots = totalSlots(plan);
    title = `**${hw.count} × ${hw.gpu.name}** in ${hw.nodes} node(s), ${hw.gpusPerNode} per node`;
    rows.push(
      sourced('memory', hw.gpu.memoryBytes, (v: number) => f.bytes(v)),
      sourced('HBM bandwidth', hw.gpu.hbmBytesPerS, (v: number) => f.rate(v)),
      sourced('dense BF16', hw.gpu.flops, (v: number) => f.flops(v)),
      sourced('reserved per GPU', hw.reserveBytes, (v: number) => f.bytes(v)),
      `| expert slots per GPU | ${uniform(hw.slotsPerGpu)} | ${hw.slotsSource} |`,
      `| slots in all | ${slots} for ${m.experts.value} experts (${f.ratio(slots / Math.max(1, m.experts.value))} copies each on average) | derived |`,
      `| total memory | ${f.bytes(hw.gpu.memoryBytes.value * hw.count)} | derived |`,
      sourced('NVLink', hw.nvlink.bytesPerS, (v: number) => f.rate(v)),
      sourced('network', hw.network.bytesPerS, (v: number) => f.rate(v)),
      sourced('network latency', hw.network.latencyS, (v: number) => f.seconds(v)),
      sourced('PCIe', hw.pcie.bytesPerS, (v: number) => f.rate(v)),
    );
    if (head === 'reserve' || head === 'slots') rows.push(...memoryHoverRows(plan, results));
  } else if (head === 'serve') {
    return serveHover(plan, results);
  } else if (head === 'workload') {
    const w = plan.workload;
    title = '**Workload**';
    rows.push(
      sourced('batch (tokens per step)', w.batch, num),
      sourced('phase', w.phase, String),
      sourced(w.phase.value === 'decode' ? 'output tokens' : 'prompt tokens', w.tokens, num),
      ...offloadRows(results),
    );
    if (results) rows.push(`| routing statistics | ${results.workload.description} | workload |`);
  } else if (head === 'placement') {
    const p = plan.placement;
    title = '**Placement**';
    rows.push(
      sourced('policy', p.policy, String),
      sourced('objective', p.objective, String),
      sourced('dispatch', p.dispatch, String),
      sourced('time budget', p.timeBudgetMs, (v: number) => f.millis(v)),
    );
    rows.push(`| committed layers | ${p.committed.size} | plan |`);
    if (results) {
      const o = objectiveName(results);
      const eplb = eplbFigure(results);
      const bound = { expectedTime: results.lowerBound, latencyUs: results.lowerBoundUs };
      rows.push(
        `| last solve | ${results.solver.name}${results.solver.optimal ? ' (optimal)' : ''}, ${f.millis(results.solver.ms)}: ${figureText(overallFigure(results), o)} per layer (EPLB ${primaryText(eplb, o)}, bound ${primaryText(bound, o)}) | ${objectiveLabel(results.objective)} |`,
      );
      const free = results.freeSlots?.reduce((a, b) => a + b, 0) ?? 0;
      if (free > 0)
        rows.push(
          `| slots no layer uses | ${results.freeSlots.join('/')} per GPU: ${f.bytes(results.freeBytesPerGpu[0] ?? 0)} per GPU the plan could give back | analysis |`,
        );
    }
  } else if (head === 'offload') {
    const o = plan.offload;
    title = '**Offload** (experts paged from host memory)';
    if (o) rows.push(`| policy | ${o.policy} | plan |`, `| prefetch | ${o.prefetch ? 'on' : 'off'} | plan |`);
    rows.push(...offloadRows(results));
    for (const [name, p] of Object.entries(results?.paging ?? {})) {
      rows.push(`| paging ${name} | hit rate ${f.percent(p.hitRate)}, ${f.micros(p.usPerToken)}/token, ${f.bytes(p.bytes)} over PCIe | simulation |`);
    }
  } else {
    return undefined;
  }
  return [title, '', '| | value | source |', '|---|---|---|', ...rows.filter((r): r is string => !!r)].join('\n');
}

/** An expert's share of the layer's figures, in proportion to its load (an estimate: neither figure is additive over experts). */
function shareRow(results: PlanResults, l: LayerResult, share: number): string {
  const o = objectiveName(results);
  const part = { expectedTime: share * l.expectedTime, latencyUs: share * l.latencyUs };
  return `| share of the layer | ≈ ${primaryText(part, o)} of ${primaryText(l, o)} (${secondaryText(part, o)} of ${secondaryText(l, o)}), in proportion to load |`;
}

function uniform(list: number[]): string {
  const min = Math.min(...list);
  const max = Math.max(...list);
  return min === max ? `${min}` : `${min}–${max}`;
}

function committedCopies(plan: Plan, layer: number, expert: number): string[] {
  const c = plan.placement.committed.get(layer);
  if (!c) return [];
  const where = copiesOf(c.gpus, plan.model.experts.value)[expert] ?? [];
  return [`| copies (committed) | ${where.length}${where.length ? ` — GPU ${where.join(', GPU ')}` : ' — not placed'} |`];
}
