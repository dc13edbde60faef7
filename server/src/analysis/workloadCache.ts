// Workloads kept between analyses. In the language server most saves change
// the placement, not the workload, so the next analysis reuses the routing
// instead of reading the trace or running the generator again. Entries are
// the shared-memory workloads the workers already read (never modified), so
// reuse costs nothing; a small LRU with a byte budget bounds the memory.
import { stat } from 'node:fs/promises';
import type { Plan } from '../plan/types';
import type { LayerDistribution, Workload } from '../workload/types';
import { listTraceFiles } from '../workload/traceFiles';
import { mixOf, sourcesOf, weightOf } from '../plan/workloadSources';

/**
 * What the workload of `plan` depends on, as a string: the model, and for
 * every source its settings and, for traces, each file's identity (a folder
 * or glob is listed again, so a new or rewritten log file changes the key).
 * Undefined when not worth caching (inline subsets) or when a file cannot be
 * listed or found (the load reports it).
 */
export async function workloadKey(plan: Plan, maxTraceBytes?: number): Promise<string | undefined> {
  const sources = sourcesOf(plan.workload);
  if (sources.length === 0 || sources.some((s) => s.kind === 'inline')) return undefined;
  const m = plan.model;
  const parts: unknown[] = [
    m.name,
    m.layers.value,
    m.experts.value,
    m.topK.value,
    m.firstMoeLayer.value,
    m.groups ? [m.groups.count, m.groups.topGroups] : null,
    plan.workload.maxSubsets ?? null,
    mixOf(plan.workload),
  ];
  for (const src of sources) {
    if (src.kind === 'synthetic') parts.push(['synthetic', src.tokens, src.seed, src.skew, src.concentration, src.topics, weightOf(src)]);
    else if (src.kind === 'trace') {
      let files: string[];
      try {
        files = listTraceFiles(src);
      } catch {
        return undefined;
      }
      const ids: string[] = [];
      for (const file of files) {
        // The file's identity: a rewrite changes its size or modification time.
        try {
          const s = await stat(file);
          ids.push(`${file}:${s.size}@${s.mtimeMs}`);
        } catch {
          return undefined; // let the load report the missing file
        }
      }
      // The description shows the path as written.
      parts.push(['trace', src.absPath, src.path, src.format ?? null, src.fields ?? null, weightOf(src), ids]);
    }
  }
  // Sampled traces (counts) use the placement seed; synthetic workloads have their own.
  if (sources.some((s) => s.kind === 'trace')) parts.push(plan.placement.seed, maxTraceBytes ?? null);
  return JSON.stringify(parts);
}

/** Bytes a workload's arrays hold (distributions and the token sequence). */
function workloadBytes(w: Workload): number {
  let bytes = w.sequence ? w.sequence.ids.byteLength : 0;
  const add = (layers: readonly LayerDistribution[]) => {
    for (const d of layers) bytes += d.ids.byteLength + d.weights.byteLength;
  };
  add(w.layers);
  for (const s of [w.split, ...(w.parts ?? []).map((p) => p.split)]) {
    if (!s) continue;
    add(s.planning);
    add(s.heldOut);
  }
  for (const p of w.parts ?? []) add(p.layers);
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
