// The workload a plan names: a trace file, inline subsets, or the synthetic
// generator, cut to `maxSubsets` per layer when the plan asks.
import type { InlineSubsetsSpec, ModelSpec, Plan } from '../plan/types';
import type { LayerDistribution, ReadProgress, Workload } from './types';
import { WorkloadError } from './types';
import { SubsetCounter, subsetProblem, truncateDistribution } from './distribution';
import { readTrace } from './readers/index';
import type { TraceModel } from './readers/common';
import { generateSynthetic } from './synthetic';

export interface LoadOptions {
  signal?: AbortSignal;
  /** Refuse trace files larger than this (bytes). */
  maxBytes?: number;
  /** Cap on token-order ids kept (tokens × layers × k); default 1<<24. */
  maxSequenceIds?: number;
  /** Progress of a long trace read. */
  onProgress?: (p: ReadProgress) => void;
  /** Least time between two progress reports, ms (default 250). */
  progressEveryMs?: number;
}

export function traceModelOf(model: ModelSpec): TraceModel {
  return {
    layers: model.layers.value,
    experts: model.experts.value,
    topK: model.topK.value,
    firstMoeLayer: model.firstMoeLayer.value,
    name: model.name,
  };
}

export async function loadWorkload(plan: Plan, opts: LoadOptions = {}): Promise<Workload> {
  const src = plan.workload.source;
  if (!src)
    throw new WorkloadError(
      'the plan has no workload source: add `trace "FILE"`, `synthetic tokens N seed S …` or inline subsets to the workload block',
      plan.file,
    );
  const model = traceModelOf(plan.model);
  let w: Workload;
  switch (src.kind) {
    case 'trace':
      w = await readTrace(src.absPath, {
        format: src.format,
        fields: src.fields,
        model,
        signal: opts.signal,
        maxBytes: opts.maxBytes,
        maxSequenceIds: opts.maxSequenceIds,
        seed: plan.placement.seed,
        onProgress: opts.onProgress,
        progressEveryMs: opts.progressEveryMs,
      });
      // Show the path as the plan writes it.
      w = { ...w, description: w.description.replace(src.absPath, src.path) };
      break;
    case 'synthetic':
      try {
        w = generateSynthetic(
          src,
          { layers: model.layers, experts: model.experts, topK: model.topK, groups: plan.model.groups },
          { maxSequenceIds: opts.maxSequenceIds, signal: opts.signal },
        );
      } catch (e) {
        throw new WorkloadError((e as Error).message, plan.file, src.range ? src.range.start.line + 1 : undefined);
      }
      break;
    case 'inline':
      w = inlineWorkload(src, model, plan.file);
      break;
  }
  return applyMaxSubsets(w, plan.workload.maxSubsets);
}

/** Keeps the most frequent `maxSubsets` subsets of each layer, noting the kept mass. */
export function applyMaxSubsets(w: Workload, maxSubsets: number | undefined): Workload {
  if (maxSubsets === undefined) return w;
  let minKept = 1;
  let dropped = 0;
  const layers = w.layers.map((d) => {
    const t = truncateDistribution(d, maxSubsets);
    minKept = Math.min(minKept, t.keptMass);
    dropped += t.dropped;
    return t.dist;
  });
  if (dropped === 0) return w;
  return {
    ...w,
    layers,
    notes: [
      ...w.notes,
      `kept the ${maxSubsets.toLocaleString('en-US')} most frequent subsets per layer (${dropped.toLocaleString('en-US')} dropped; ` +
        `the least-covered layer keeps ${(minKept * 100).toFixed(1)}% of the tokens), renormalised`,
    ],
  };
}

/** Inline subset weights: layer -1 applies to every layer without its own list. */
export function inlineWorkload(src: InlineSubsetsSpec, m: TraceModel, file: string): Workload {
  const layers: LayerDistribution[] = [];
  const all = src.layers.get(-1);
  for (const [l, entries] of src.layers) {
    if (l !== -1 && (l < 0 || l >= m.layers))
      throw new WorkloadError(`inline subsets for layer ${l}, but the model has MoE layers 0–${m.layers - 1}`, file, entries[0]?.range ? entries[0].range.start.line + 1 : undefined);
  }
  for (let l = 0; l < m.layers; l++) {
    const entries = src.layers.get(l) ?? all;
    if (!entries || entries.length === 0)
      throw new WorkloadError(
        `inline workload gives no subsets for MoE layer ${l}; give every layer, or one list for all layers`,
        file,
        src.range ? src.range.start.line + 1 : undefined,
      );
    const counter = new SubsetCounter(l, m.experts, m.topK, entries.length);
    for (const e of entries) {
      const line = e.range ? e.range.start.line + 1 : undefined;
      const problem = subsetProblem(e.experts, m.experts, m.topK);
      if (problem) throw new WorkloadError(`subset [${e.experts.join(' ')}] ${problem}`, file, line);
      if (!(e.weight >= 0) || !Number.isFinite(e.weight))
        throw new WorkloadError(`subset weight must be a finite number ≥ 0 (got ${e.weight})`, file, line);
      if (e.weight > 0) counter.add(e.experts, 0, e.weight);
    }
    if (counter.size === 0) throw new WorkloadError(`inline subsets of MoE layer ${l} all have weight 0`, file, src.range ? src.range.start.line + 1 : undefined);
    layers.push(counter.toDistribution(true));
  }
  return {
    layers,
    description: `inline subsets (${src.layers.size} list${src.layers.size > 1 ? 's' : ''})`,
    notes: ['inline subsets carry no token order: paging and batch replay sample from the distributions'],
  };
}
