// Workloads kept between analyses. In the language server most saves change
// the placement, not the workload, so the next analysis reuses the routing
// instead of reading the trace or running the generator again. Entries are
// the shared-memory workloads the workers already read (never modified), so
// reuse costs nothing; a small LRU with a byte budget bounds the memory.
import { stat } from 'node:fs/promises';
import type { Plan } from '../plan/types';
import type { Workload } from '../workload/types';

/** What the workload of `plan` depends on, as a string; undefined when not worth caching (inline subsets). */
export async function workloadKey(plan: Plan, maxTraceBytes?: number): Promise<string | undefined> {
  const src = plan.workload.source;
  if (!src || src.kind === 'inline') return undefined;
  const m = plan.model;
  const parts: unknown[] = [
    m.name,
    m.layers.value,
    m.experts.value,
    m.topK.value,
    m.firstMoeLayer.value,
    m.groups ? [m.groups.count, m.groups.topGroups] : null,
    plan.workload.maxSubsets ?? null,
  ];
  if (src.kind === 'synthetic') parts.push('synthetic', src.tokens, src.seed, src.skew, src.concentration, src.topics);
  else {
    // The file's identity: a rewrite changes its size or modification time.
    let id: string;
    try {
      const s = await stat(src.absPath);
      id = `${s.size}@${s.mtimeMs}`;
    } catch {
      return undefined; // let the load report the missing file
    }
    // Sampled traces (counts) use the placement seed; the description shows the path as written.
    parts.push('trace', src.absPath, src.path, src.format ?? null, id, plan.placement.seed, maxTraceBytes ?? null);
  }
  return JSON.stringify(parts);
}

/** Bytes a workload's arrays hold (distributions and the token sequence). */
export function workloadBytes(w: Workload): number {
  let bytes = w.sequence ? w.sequence.ids.byteLength : 0;
  for (const d of w.layers) bytes += d.ids.byteLength + d.weights.byteLength;
  return bytes;
}

export class WorkloadCache {
  private readonly entries = new Map<string, { workload: Workload; bytes: number }>();
  private bytes = 0;

  constructor(
    readonly maxEntries = 4,
    readonly maxBytes = 512 * 1024 * 1024,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): Workload | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    // Most recently used last.
    this.entries.delete(key);
    this.entries.set(key, e);
    // A fresh outer object and notes list: callers may add notes; the arrays are never written.
    return { ...e.workload, notes: [...e.workload.notes] };
  }

  set(key: string, workload: Workload): void {
    const bytes = workloadBytes(workload);
    this.delete(key);
    if (bytes > this.maxBytes) return;
    this.entries.set(key, { workload, bytes });
    this.bytes += bytes;
    for (const [k] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.delete(k);
    }
  }

  delete(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.bytes -= e.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}

/** The process-wide cache startAnalysis uses unless told otherwise. */
export const sharedWorkloadCache = new WorkloadCache();
