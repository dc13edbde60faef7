// The workload a plan names: trace files, inline subsets or the synthetic
// generator — one source, or several mixed by weight — cut to `maxSubsets`
// per layer when the plan asks, with the held-out split of each source
// (workload/split.ts) made as it is read.
import { dirname, relative } from 'node:path';
import type { InlineSubsetsSpec, ModelSpec, Plan, TraceSpec, WorkloadSource } from '../plan/types';
import type { LayerDistribution, ReadProgress, Workload, WorkloadPart } from './types';
import { WorkloadError } from './types';
import { SubsetCounter, subsetProblem, truncateDistribution } from './distribution';
import { readTrace } from './readers/index';
import { DEFAULT_MAX_SEQUENCE_IDS, type TraceModel } from './readers/common';
import { assembleSynthetic, generateSynthetic } from './synthetic';
import type { SyntheticPart } from './syntheticParts';
import { listTraceFiles, type Readable } from './traceFiles';
import { SplitRecorder, splitByPosition, splitFromSequence, type SplitOutcome } from './split';
import { addLayers, concatSequences, mixLayers } from './mixture';
import { mixOf, sourcesOf, weightOf } from '../plan/workloadSources';

interface LoadOptions {
  signal?: AbortSignal;
  /** Refuse trace files larger than this (bytes). */
  maxBytes?: number;
  /** Cap on token-order ids kept (tokens × layers × k); default 1<<24. */
  maxSequenceIds?: number;
  /** Progress of a long trace read. */
  onProgress?: (p: ReadProgress) => void;
  /** Least time between two progress reports, ms (default 250). */
  progressEveryMs?: number;
  /** The language server's trust check, through which folders and globs of traces are listed. */
  readable?: Readable;
  /** The plan's synthetic source already generated in parts (workload/syntheticParts.ts), covering every layer. */
  syntheticParts?: SyntheticPart[];
}

function traceModelOf(model: ModelSpec): TraceModel {
  return {
    layers: model.layers.value,
    experts: model.experts.value,
    topK: model.topK.value,
    firstMoeLayer: model.firstMoeLayer.value,
    name: model.name,
  };
}

export async function loadWorkload(plan: Plan, opts: LoadOptions = {}): Promise<Workload> {
  const sources = sourcesOf(plan.workload);
  if (sources.length === 0)
    throw new WorkloadError(
      'the plan has no workload source: add `trace "FILE"`, `synthetic tokens N seed S …` or inline subsets to the workload block',
      plan.file,
    );
  const loaded: LoadedSource[] = [];
  for (const src of sources) loaded.push(await loadSource(plan, src, opts));
  const names = partNames(loaded.map((l) => l.name));
  loaded.forEach((l, i) => (l.name = names[i]));
  return loaded.length === 1 ? oneSource(loaded[0], plan.workload.maxSubsets) : mixedSources(loaded, plan, plan.workload.maxSubsets);
}

/** One source read, with its held-out split (or why none). */
interface LoadedSource {
  name: string;
  weight: number;
  workload: Workload;
  split: SplitOutcome;
}

async function loadSource(plan: Plan, src: WorkloadSource, opts: LoadOptions): Promise<LoadedSource> {
  const model = traceModelOf(plan.model);
  const weight = weightOf(src);
  switch (src.kind) {
    case 'trace':
      return { name: src.path, weight, ...(await loadTrace(plan, src, model, opts)) };
    case 'synthetic': {
      const synthModel = { layers: model.layers, experts: model.experts, topK: model.topK, groups: plan.model.groups };
      const parts = opts.syntheticParts;
      let w: Workload;
      try {
        w = parts
          ? assembleSynthetic(src, synthModel, parts)
          : generateSynthetic(src, synthModel, { maxSequenceIds: opts.maxSequenceIds, signal: opts.signal });
      } catch (e) {
        throw new WorkloadError((e as Error).message, plan.file, src.range ? src.range.start.line + 1 : undefined);
      }
      const seq = w.sequence;
      const covered = seq && seq.tokens < src.tokens ? ` (over the first ${seq.tokens.toLocaleString('en-US')} tokens, those kept in order)` : '';
      let split: SplitOutcome;
      if (!seq) split = { missing: 'the generated token order was not kept (memory cap), so the tokens cannot be split' };
      else if (parts) split = splitByPosition(partSplits(parts, model.layers), seq.tokens, covered);
      else split = splitFromSequence(seq, w.layers, covered);
      return { name: `synthetic seed ${src.seed}`, weight, workload: w, split };
    }
    case 'inline':
      return {
        name: 'inline subsets',
        weight,
        workload: inlineWorkload(src, model, plan.file),
        split: { missing: 'inline subsets are probabilities, without tokens to hold out' },
      };
  }
}

/** The parts' per-layer splits in layer order. */
function partSplits(parts: readonly SyntheticPart[], layers: number): SyntheticPart['splits'] {
  const out: SyntheticPart['splits'] = new Array(layers);
  for (const p of parts) p.splits.forEach((s, i) => (out[p.from + i] = s));
  return out;
}

/** A trace line: one file, or every file of a folder or glob read as one trace, split as it is read. */
async function loadTrace(plan: Plan, src: TraceSpec, model: TraceModel, opts: LoadOptions): Promise<{ workload: Workload; split: SplitOutcome }> {
  const files = listTraceFiles(src, opts.readable);
  const recorder = new SplitRecorder();
  const read: Workload[] = [];
  const planDir = dirname(plan.file);
  // One file: the path as the plan writes it (even when the language server listed it as its real path).
  const shown = (file: string) => (files.length === 1 ? src.path : relative(planDir, file) || file);
  for (const file of files) {
    recorder.beginFile();
    const w = await readTrace(file, {
      format: src.format,
      fields: src.fields,
      model,
      signal: opts.signal,
      maxBytes: opts.maxBytes,
      maxSequenceIds: opts.maxSequenceIds,
      seed: plan.placement.seed,
      onProgress: opts.onProgress,
      progressEveryMs: opts.progressEveryMs,
      beside: recorder,
    });
    // Show the path as the plan writes it.
    read.push({ ...w, description: w.description.replace(file, shown(file)) });
  }
  const split = recorder.finish(model, src.path);
  if (read.length === 1) return { workload: read[0], split };
  const seq = concatSequences(
    read.map((w) => w.sequence),
    opts.maxSequenceIds ?? DEFAULT_MAX_SEQUENCE_IDS,
  );
  const listed = files.slice(0, 4).map(shown).join(', ') + (files.length > 4 ? `, … ${shown(files[files.length - 1])}` : '');
  const notes = [`read ${files.length} files of ${src.path} as one trace, in name order: ${listed}`, ...new Set(read.flatMap((w) => w.notes))];
  if (seq.cut) notes.push('token order kept for the first files only (memory cap); the distributions count every token');
  return {
    workload: {
      layers: addLayers(read.map((w) => w.layers)),
      description: `trace ${src.path} (${files.length} files, ${model.layers} layers)`,
      notes,
      sequence: seq.sequence,
    },
    split,
  };
}

/** Distinct names: a repeated one gets " #2", " #3". */
function partNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const i = (seen.get(n) ?? 0) + 1;
    seen.set(n, i);
    return i === 1 ? n : `${n} #${i}`;
  });
}

function oneSource(l: LoadedSource, maxSubsets: number | undefined): Workload {
  const w = applyMaxSubsets(l.workload, maxSubsets);
  return l.split.split
    ? { ...w, split: { ...l.split.split, planning: truncated(l.split.split.planning, maxSubsets) } }
    : { ...w, splitMissing: l.split.missing };
}

/**
 * Several workloads: each normalised, then mixed by weight. The mixture is
 * what the placement is solved for under `mix mean`; each part stays beside
 * it for its own figure and, under `mix worst`, its own best.
 */
function mixedSources(loaded: LoadedSource[], plan: Plan, maxSubsets: number | undefined): Workload {
  const sum = loaded.reduce((a, l) => a + l.weight, 0);
  const parts: WorkloadPart[] = loaded.map((l) => ({
    name: l.name,
    share: l.weight / sum,
    weight: l.weight,
    layers: truncated(l.workload.layers, maxSubsets),
    ...(l.split.split ? { split: { ...l.split.split, planning: truncated(l.split.split.planning, maxSubsets) } } : { splitMissing: l.split.missing }),
  }));
  const mixed = applyMaxSubsets(
    { layers: mixLayers(loaded.map((l, i) => ({ layers: l.workload.layers, share: parts[i].share }))), description: '', notes: [] },
    maxSubsets,
  );
  const shares = parts.map((p) => `${p.name} ${(p.share * 100).toFixed(p.share < 0.1 ? 1 : 0)}%`).join(', ');
  const notes = [
    ...loaded.flatMap((l) => l.workload.notes.map((n) => `${l.name}: ${n}`)),
    ...mixed.notes,
    `${parts.length} workloads, each normalised and mixed by weight (${shares}); no token order across them: batches are drawn from the mixture`,
  ];
  const w: Workload = { layers: mixed.layers, description: `${parts.length} workloads mixed (${mixOf(plan.workload)}): ${shares}`, notes, parts };
  const lacking = parts.find((p) => !p.split);
  if (lacking) return { ...w, splitMissing: `${lacking.name}: ${lacking.splitMissing}` };
  const splits = parts.map((p) => p.split!);
  return {
    ...w,
    split: {
      by: splits.every((s) => s.by === splits[0].by) ? splits[0].by : 'mixed',
      planning: mixLayers(splits.map((s, i) => ({ layers: s.planning, share: parts[i].share }))),
      heldOut: mixLayers(splits.map((s, i) => ({ layers: s.heldOut, share: parts[i].share }))),
      description: parts.map((p) => `${p.name} ${p.split!.description}`).join('; '),
    },
  };
}

function truncated(layers: LayerDistribution[], maxSubsets: number | undefined): LayerDistribution[] {
  return maxSubsets === undefined ? layers : layers.map((d) => truncateDistribution(d, maxSubsets).dist);
}

/** Keeps the most frequent `maxSubsets` subsets of each layer, noting the kept mass. */
function applyMaxSubsets(w: Workload, maxSubsets: number | undefined): Workload {
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
function inlineWorkload(src: InlineSubsetsSpec, m: TraceModel, file: string): Workload {
  const layers: LayerDistribution[] = [];
  const all = src.layers.get(-1);
  for (const [l, entries] of src.layers) {
    if (l !== -1 && (l < 0 || l >= m.layers))
      throw new WorkloadError(
        `inline subsets for layer ${l}, but the model has MoE layers 0–${m.layers - 1}`,
        file,
        entries[0]?.range ? entries[0].range.start.line + 1 : undefined,
      );
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
      if (!(e.weight >= 0) || !Number.isFinite(e.weight)) throw new WorkloadError(`subset weight must be a finite number ≥ 0 (got ${e.weight})`, file, line);
      if (e.weight > 0) counter.add(e.experts, 0, e.weight);
    }
    if (counter.size === 0)
      throw new WorkloadError(`inline subsets of MoE layer ${l} all have weight 0`, file, src.range ? src.range.start.line + 1 : undefined);
    layers.push(counter.toDistribution(true));
  }
  return {
    layers,
    description: `inline subsets (${src.layers.size} list${src.layers.size > 1 ? 's' : ''})`,
    notes: ['inline subsets carry no token order: paging and batch replay sample from the distributions'],
  };
}
