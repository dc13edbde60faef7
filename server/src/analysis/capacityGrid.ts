// The points the capacity sweep solves (docs/cost-model.md §7.4): slots per
// GPU from one copy of every expert, ⌈experts / GPUs⌉, up to the most that
// still leave the KV cache of one request; for each slot count, batches
// from one request (decode) or one small chunk (prefill) per GPU up to what
// that count's KV room allows.
import type { Plan } from '../plan/types';
import { maxSlotsForOneRequest, memoryPerGpu, requestsThatFit } from '../plan/memory';
import { servingShapeOf } from '../cost/serving';
import { EVAL_SAMPLES, TRAIN_SAMPLES } from '../cost/step';

/** Slot counts swept at most (evenly spaced, ends and the plan's own kept). */
const MAX_SLOT_VALUES = 8;
/** (token, expert) pairs of one step at most: larger batches would make sampling itself the cost. */
const MAX_PAIRS_PER_STEP = 1 << 16;
/** Prompt tokens per GPU per step at most in prefill (engines chunk prompts at 8–16k tokens). */
const MAX_PREFILL_CHUNK = 16_384;

export interface GridColumn {
  slotsPerGpu: number;
  /** KV cache per GPU these slots leave, bytes and whole tokens. */
  kvBytes: number;
  kvTokens: number;
  /** Requests of the context whose cache fits on one GPU. */
  requestsPerGpu: number;
  /** Tokens per step over all GPUs, ascending. */
  batches: number[];
}

export interface CapacityGrid {
  columns: GridColumn[];
  /** Slot counts the memory allows, before spacing: ⌈E/G⌉ … the largest. */
  slotRange: [number, number] | null;
  /** Batches left out because a step would have more pairs than MAX_PAIRS_PER_STEP. */
  capped: boolean;
  notes: string[];
}

/**
 * (token, expert) pairs the step estimator walks to solve and time one
 * point: its candidates and a few search moves on the search's batches, and
 * one figure on the fresh ones (the counts buildStepSamples draws).
 */
function pointCost(batch: number, k: number): number {
  const drawn = (o: { pairs: number; minBatches: number }) =>
    (batch <= 1 ? Math.ceil(o.pairs / k) : Math.min(4096, Math.max(o.minBatches, Math.ceil(o.pairs / (batch * k))))) * batch * k;
  return drawn(TRAIN_SAMPLES) * POINT_EVALUATIONS + drawn(EVAL_SAMPLES);
}

/** Full evaluations on the search's batches a point costs at least: its starting points and the first search moves. */
const POINT_EVALUATIONS = 8;

/** The cost of a grid on one layer, in pairs walked (pointCost summed). */
export function gridCost(columns: readonly { batches: readonly number[] }[], k: number): number {
  return columns.reduce((a, c) => a + c.batches.reduce((b, x) => b + pointCost(x, k), 0), 0);
}

/** The grid with at most `count` columns: the ends, the plan's own slots and evenly spaced ones between. */
export function thinColumns(grid: CapacityGrid, count: number, own: number | undefined): GridColumn[] {
  const cols = grid.columns;
  if (cols.length <= count) return cols;
  const keep = new Set<number>();
  for (let i = 0; i < count; i++) keep.add(Math.round(((cols.length - 1) * i) / Math.max(1, count - 1)));
  const ownAt = cols.findIndex((c) => c.slotsPerGpu === own);
  if (ownAt >= 0) keep.add(ownAt);
  return cols.filter((_, i) => keep.has(i));
}

/** Powers of two from 1 up to `max`, and `max` itself. */
function doublings(max: number): number[] {
  const out: number[] = [];
  for (let x = 1; x < max; x *= 2) out.push(x);
  if (max >= 1) out.push(max);
  return out;
}

export function capacityGrid(plan: Plan, opts: { maxSlotValues?: number } = {}): CapacityGrid {
  const notes: string[] = [];
  const shape = servingShapeOf(plan);
  const G = plan.hardware.count;
  const E = plan.model.experts.value;
  const k = plan.model.topK.value;
  const kv = plan.model.kv;
  const min = Math.ceil(E / G);
  if (!kv) return { columns: [], slotRange: null, capped: false, notes: ['the model gives no KV cache shape'] };
  const max = maxSlotsForOneRequest(plan, shape.context);
  if (max < min) return { columns: [], slotRange: null, capped: false, notes };
  const slots = spread(min, max, opts.maxSlotValues ?? MAX_SLOT_VALUES, plan.hardware.slotsPerGpu[0]);
  let capped = false;
  const maxBatch = Math.max(G, Math.floor(MAX_PAIRS_PER_STEP / Math.max(1, k)));
  const columns = slots.map((s): GridColumn => {
    const mem = memoryPerGpu(plan, s);
    const requests = requestsThatFit(kv, mem.kvBytes, shape.context);
    // Tokens per GPU per step: decode, one per running request; prefill, prompt
    // tokens whose whole prompts' cache fits.
    const perGpuMax = shape.phase === 'decode' ? requests : Math.min(requests * shape.context, MAX_PREFILL_CHUNK);
    let perGpu = doublings(perGpuMax);
    const own = Math.ceil(plan.workload.batch.value / G);
    if (own <= perGpuMax) perGpu.push(own);
    perGpu = [...new Set(perGpu)].sort((a, b) => a - b);
    const fits = perGpu.filter((n) => n * G <= maxBatch);
    if (fits.length < perGpu.length) capped = true;
    const batches = (fits.length > 0 ? fits : perGpu.slice(0, 1)).map((n) => n * G);
    return { slotsPerGpu: s, kvBytes: mem.kvBytes, kvTokens: mem.kvTokens, requestsPerGpu: requests, batches };
  });
  if (capped)
    notes.push(
      `batches above ${maxBatch.toLocaleString('en-US')} tokens per step were not swept (more than ${MAX_PAIRS_PER_STEP.toLocaleString('en-US')} expert pairs per step)`,
    );
  return { columns, slotRange: [min, max], capped, notes };
}

/** Up to `count` values from min to max, evenly spaced, both ends and `own` (when in range) included. */
function spread(min: number, max: number, count: number, own: number | undefined): number[] {
  const out = new Set<number>();
  if (max - min + 1 <= count) for (let s = min; s <= max; s++) out.add(s);
  else for (let i = 0; i < count; i++) out.add(Math.round(min + ((max - min) * i) / (count - 1)));
  if (own !== undefined && own >= min && own <= max) out.add(own);
  return [...out].sort((a, b) => a - b);
}
