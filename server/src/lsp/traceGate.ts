// Before an analysis in the editor: every trace the plan reads (each
// `trace` line's file, folder or glob, and its `drift` trace) listed and
// checked through workspace trust (real paths, links followed, never
// outside an untrusted workspace, not even to list a folder) and the size
// setting. The analysis then reads exactly the files listed here; their
// identities key the cached results.
import { stat } from 'node:fs/promises';
import type { DriftSpec, Plan, TraceSpec, WorkloadSource } from '../plan/types';
import { sourcesOf } from '../plan/workloadSources';
import { listTraceFiles, NOT_TRUSTED, type Readable } from '../workload/traceFiles';
import { WorkloadError } from '../workload/types';
import type { ServerSettings } from './settings';
import { bytes } from '../display';
import type { SolveError, SolveErrorKind } from '../protocol';

interface TraceGate {
  /** Files, sizes and modification times of every trace: part of the results' cache key. */
  identity: string;
  /** The plan to analyse: its traces with their files listed (real paths when untrusted). */
  plan: Plan;
  refused?: SolveError;
}

export async function gateTraces(plan: Plan, settings: ServerSettings, readable: Readable): Promise<TraceGate> {
  const sources = sourcesOf(plan.workload);
  const drift = plan.workload.drift;
  const named: { spec: Pick<TraceSpec, 'path' | 'absPath' | 'files'>; what: string }[] = [
    ...sources.filter((s): s is TraceSpec => s.kind === 'trace').map((s) => ({ spec: s, what: 'trace' })),
    ...(drift ? [{ spec: drift, what: 'drift trace' }] : []),
  ];
  if (named.length === 0) return { identity: sources.map((s) => s.kind).join('+') || 'none', plan };
  const listed = new Map<object, string[]>();
  const ids: string[] = [];
  let total = 0;
  for (const { spec, what } of named) {
    let files: string[];
    try {
      files = listTraceFiles(spec, readable);
    } catch (e) {
      if (!(e instanceof WorkloadError)) throw e;
      if (e.message.endsWith(NOT_TRUSTED))
        return refused(
          plan,
          'untrusted',
          `the ${what} ${spec.path} is outside the workspace (links followed) and the workspace is not trusted; trust the workspace to read it`,
        );
      // Never let the analysis list it again without the trust check: say why here.
      return refused(plan, 'failed', `the ${what} ${e.message}`);
    }
    listed.set(spec, files);
    for (const file of files) {
      try {
        const s = await stat(file);
        total += s.size;
        ids.push(`${file}:${s.size}:${s.mtimeMs}`);
      } catch {
        ids.push(`${file}:missing`); // the analysis reports a missing file
      }
    }
  }
  const max = settings.traceMaxSizeMB * 1024 * 1024;
  if (total > max) {
    const names = named.map((n) => n.spec.path).join(', ');
    return refused(
      plan,
      'refused',
      `the traces (${names}) hold ${bytes(total)}, over the moeplan.traces.maxSizeMB limit of ${bytes(max)}; raise the setting or sample the trace`,
    );
  }
  const withFiles = (s: WorkloadSource): WorkloadSource => (s.kind === 'trace' && listed.has(s) ? { ...s, files: listed.get(s) } : s);
  const nextSources = sources.map(withFiles);
  const nextDrift: DriftSpec | undefined = drift ? { ...drift, files: listed.get(drift) } : undefined;
  const workload = { ...plan.workload, sources: nextSources, source: nextSources[0], ...(nextDrift ? { drift: nextDrift } : {}) };
  return { identity: ids.join('|'), plan: { ...plan, workload } };
}

function refused(plan: Plan, kind: SolveErrorKind, message: string): TraceGate {
  return { identity: kind, plan, refused: { kind, message } };
}
