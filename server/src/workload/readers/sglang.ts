// SGLang expert-distribution counts: {"logical_count": [[count per expert] per layer]}
// (optionally with a leading time axis [time][layer][expert], summed). Rows
// are all model layers (DeepSeek-V3: 61, the 3 dense ones all zero) or just
// the MoE layers.
//
// Loads only: co-activation is unknown. The planner assumes a token draws its
// k experts independently in proportion to load, without replacement
// (sequential draws from the normalised loads, renormalising after each
// pick), and builds each layer's subsets from a seeded sample of N tokens
// (default 20,000, seed 1). coactivationKnown = false marks it.
import { readFileSync } from 'node:fs';
import type { LayerDistribution, Workload } from '../types';
import { WorkloadError } from '../types';
import { SubsetCounter } from '../distribution';
import { AliasTable, Rng, deriveSeed } from '../random';
import type { ReadOptions, TraceModel } from './common';
import { MAX_COUNT, MAX_COUNT_TEXT, checkAborted, checkFile, modelLabel } from './common';

const DEFAULT_SAMPLE_TOKENS = 20_000;

export async function readSglang(file: string, opts: ReadOptions): Promise<Workload> {
  checkFile(file, opts.maxBytes);
  const text = readFileSync(file, 'utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    throw new WorkloadError(`not valid JSON (${msg})`, file, pos ? lineAt(text, Number(pos[1])) : undefined);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !('logical_count' in value))
    throw new WorkloadError('expected an object {"logical_count": [[count per expert] per layer]}', file, 1);
  const lc = (value as { logical_count: unknown }).logical_count;
  const m = opts.model;
  const rows = countsPerLayer(lc, text, file, m);
  checkAborted(opts.signal, file);
  return loadsToWorkload(rows, file, m, opts);
}

/** Validates the array's shape and sums a leading time axis. Returns [layer][expert]. */
function countsPerLayer(lc: unknown, text: string, file: string, m: TraceModel): number[][] {
  if (!Array.isArray(lc) || lc.length === 0)
    throw new WorkloadError('"logical_count" must be a non-empty array [layer][expert] (or [time][layer][expert])', file, 1);
  const depth = arrayDepth(lc);
  let grid: unknown[];
  if (depth === 3) {
    const first = lc[0] as unknown[];
    const sum: number[][] = first.map((row) => new Array((row as unknown[]).length).fill(0));
    lc.forEach((slice, t) => {
      if (!Array.isArray(slice) || slice.length !== first.length)
        throw new WorkloadError(`time step ${t} has ${Array.isArray(slice) ? slice.length : 'no'} layers; step 0 has ${first.length}`, file, locate(text, [t]));
      slice.forEach((row, l) => {
        checkRow(row, sum[l].length, text, file, [t, l], m);
        (row as number[]).forEach((v, e) => (sum[l][e] += v));
      });
    });
    grid = sum;
  } else if (depth === 2) {
    grid = lc;
  } else {
    throw new WorkloadError(`"logical_count" must have 2 dimensions [layer][expert] or 3 [time][layer][expert]; found ${depth}`, file, 1);
  }
  grid.forEach((row, l) => checkRow(row, m.experts, text, file, depth === 3 ? [] : [l], m));
  return grid as number[][];
}

function checkRow(row: unknown, width: number, text: string, file: string, path: number[], m: TraceModel): void {
  const where = path.length ? locate(text, path) : undefined;
  const label = path.length === 2 ? `time step ${path[0]}, layer row ${path[1]}` : `layer row ${path[path.length - 1] ?? '?'}`;
  if (!Array.isArray(row)) throw new WorkloadError(`${label} is not an array of counts`, file, where);
  if (row.length !== m.experts)
    throw new WorkloadError(`${label} has ${row.length} counts but ${modelLabel(m)}; one count per routed expert is needed`, file, where);
  if (row.length !== width) throw new WorkloadError(`${label} has ${row.length} counts, expected ${width}`, file, where);
  for (let e = 0; e < row.length; e++) {
    const v = row[e];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new WorkloadError(`${label}, expert ${e}: count must be a number ≥ 0 (got ${JSON.stringify(v)})`, file, where);
    if (v > MAX_COUNT) throw new WorkloadError(`${label}, expert ${e}: count ${v} is too large (at most ${MAX_COUNT_TEXT})`, file, where);
  }
}

function arrayDepth(v: unknown): number {
  let d = 0;
  while (Array.isArray(v)) {
    d++;
    v = v[0];
  }
  return d;
}

/**
 * Per-expert loads (rows: MoE layers, or all layers with the dense ones
 * first) to subset distributions. `source` names the counts in messages;
 * the SGLang .pt and TensorRT-LLM statistics readers share this.
 */
export function loadsToWorkload(rows: number[][], file: string, m: TraceModel, opts: ReadOptions, source = 'SGLang logical_count'): Workload {
  const first = m.firstMoeLayer ?? 0;
  const notes: string[] = [];
  let moeRows: number[][];
  if (rows.length === m.layers) moeRows = rows;
  else if (first > 0 && rows.length === first + m.layers) {
    moeRows = rows.slice(first);
    const denseTotal = rows
      .slice(0, first)
      .flat()
      .reduce((a, b) => a + b, 0);
    if (denseTotal > 0) notes.push(`rows 0–${first - 1} (dense layers) have non-zero counts; ignored`);
  } else
    throw new WorkloadError(
      `${source} has ${rows.length} layer rows, but ${modelLabel(m)}` +
        (first > 0 ? `; expected ${m.layers} (MoE layers) or ${first + m.layers} (all layers)` : `; expected ${m.layers}`),
      file,
    );
  const N = opts.sampleTokens ?? DEFAULT_SAMPLE_TOKENS;
  const seed = opts.seed ?? 1;
  const layers: LayerDistribution[] = moeRows.map((loads, l) => {
    checkAborted(opts.signal, file);
    const total = loads.reduce((a, b) => a + b, 0);
    if (!(total > 0))
      throw new WorkloadError(
        `MoE layer ${l} (row ${l + (moeRows === rows ? 0 : first)}) has no counts; the planner needs some routing in every MoE layer`,
        file,
      );
    return sampleIndependent(l, loads, m.topK, N, new Rng(deriveSeed(seed, 0x5916, l)));
  });
  notes.unshift(
    `co-activation unknown (${source} has per-expert loads only): each token is assumed to pick its ${m.topK} experts ` +
      `independently in proportion to load (without replacement), from a seeded sample of ${N.toLocaleString('en-US')} tokens per layer`,
  );
  return {
    layers,
    description: `trace ${file} (${source}, ${rows.length} layer rows, loads only)`,
    notes,
  };
}

/**
 * Subsets of k distinct experts drawn sequentially in proportion to load
 * (renormalised after each pick), N tokens. Experts with zero load are never drawn
 * unless fewer than k experts have load.
 */
export function sampleIndependent(layer: number, loads: readonly number[], k: number, tokens: number, rng: Rng): LayerDistribution {
  const n = loads.length;
  const w = new Float64Array(n);
  let positive = 0;
  for (let e = 0; e < n; e++) {
    w[e] = loads[e];
    if (w[e] > 0) positive++;
  }
  // Fewer active experts than k: give the rest a tiny weight so every token still has k.
  if (positive < k) {
    const tiny = (loads.reduce((a, b) => a + b, 0) || 1) * 1e-9;
    for (let e = 0; e < n; e++) if (w[e] === 0) w[e] = tiny;
  }
  // Drawing from the full distribution and rejecting repeats is exactly the
  // sequential renormalised draw; an alias table makes each draw O(1). After
  // many rejections (one expert dominating) fall back to a linear scan.
  const table = new AliasTable(w);
  let total = 0;
  for (let e = 0; e < n; e++) total += w[e];
  const counter = new SubsetCounter(layer, n, k, Math.min(tokens, 1 << 14));
  const chosen = new Int32Array(k);
  for (let t = 0; t < tokens; t++) {
    let j = 0;
    let attempts = 0;
    while (j < k && attempts < 32 * k) {
      attempts++;
      const e = table.draw(rng);
      if (!isChosen(chosen, j, e)) chosen[j++] = e;
    }
    for (; j < k; j++) {
      let remaining = total;
      for (let i = 0; i < j; i++) remaining -= w[chosen[i]];
      let u = rng.next() * remaining;
      let pick = -1;
      for (let e = 0; e < n; e++) {
        if (w[e] === 0 || isChosen(chosen, j, e)) continue;
        pick = e;
        u -= w[e];
        if (u < 0) break;
      }
      chosen[j] = pick;
    }
    counter.add(chosen, 0);
  }
  return counter.toDistribution(false);
}

function isChosen(chosen: Int32Array, upto: number, e: number): boolean {
  for (let i = 0; i < upto; i++) if (chosen[i] === e) return true;
  return false;
}

/** 1-based line of a character offset. */
function lineAt(text: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Line where the array at `path` inside "logical_count" starts (e.g. [5] =
 * the 6th layer row), found by scanning brackets; undefined when not found.
 */
function locate(text: string, path: number[]): number | undefined {
  const key = text.indexOf('"logical_count"');
  if (key < 0) return undefined;
  let i = text.indexOf('[', key);
  if (i < 0) return undefined;
  // i is the outer array's '['. Descend one level per path entry.
  for (const target of path) {
    let depth = 0;
    let index = 0;
    let found = -1;
    for (let j = i + 1; j < text.length; j++) {
      const ch = text[j];
      if (ch === '[') {
        if (depth === 0 && index === target) {
          found = j;
          break;
        }
        depth++;
      } else if (ch === ']') {
        if (depth === 0) break;
        depth--;
      } else if (ch === ',' && depth === 0) index++;
    }
    if (found < 0) return undefined;
    i = found;
  }
  return lineAt(text, i);
}
