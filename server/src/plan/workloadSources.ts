// The workload sources of a plan, whether it was resolved from text (which
// fills `sources`) or built by hand with `source` alone.
import type { MixRule, TraceSpec, WorkloadSource, WorkloadSpec } from './types';

export function sourcesOf(w: WorkloadSpec): WorkloadSource[] {
  return w.sources ?? (w.source ? [w.source] : []);
}

export function mixOf(w: WorkloadSpec): MixRule {
  return w.mix?.value ?? 'mean';
}

/** The trace sources (files, folders, globs). */
export function traceSourcesOf(w: WorkloadSpec): TraceSpec[] {
  return sourcesOf(w).filter((s): s is TraceSpec => s.kind === 'trace');
}

/** A source's share as written (default 1). */
export function weightOf(s: WorkloadSource): number {
  return s.weight ?? 1;
}
