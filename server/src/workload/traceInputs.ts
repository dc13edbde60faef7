// The trace files a plan reads, as inputs an output file must never
// overwrite: every `trace` line (a folder or glob as the files it names, when
// they can be listed and `list` allows it: the language server does not list
// folders outside its trust check) and the `drift` trace.
import type { Plan } from '../plan/types';
import { traceSourcesOf } from '../plan/workloadSources';
import { listTraceFiles } from './traceFiles';

export function traceInputs(plan: Plan, list = true): { path: string; what: string }[] {
  const specs = [
    ...traceSourcesOf(plan.workload).map((s) => ({ spec: s, what: "the plan's trace" })),
    ...(plan.workload.drift ? [{ spec: plan.workload.drift, what: "the plan's drift trace" }] : []),
  ];
  return specs.flatMap(({ spec, what }) => {
    let files: string[] = [];
    try {
      if (list) files = listTraceFiles(spec);
    } catch {
      // Unlisted (missing, empty): the path itself is still an input.
    }
    return [spec.absPath, ...files.filter((f) => f !== spec.absPath)].map((path) => ({ path, what }));
  });
}
