// `moeplan export PLAN --format sglang|trtllm|vllm-ascend|json [-o FILE]`:
// writes the placement in a serving engine's format. The placement is the
// plan's committed one when it commits every MoE layer; otherwise the plan's
// policy solves it first (as `moeplan solve` would). Without -o the file goes
// next to the plan (plan.sglang.json, …); `-o -` prints to stdout.
// Exit: 0 written, 1 plan/workload errors or a format that cannot hold the
// placement, 2 usage.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { checkText } from '../plan/check';
import { analyzePlan, AnalysisError } from '../analysis/index';
import { EXPORT_FORMATS, committedPlacements, exportPlan, type ExportFormat } from '../export/index';
import { writeFileAtomic } from '../util/atomicWrite';
import { formatLine } from './check';
import type { CliIo } from './io';

const HELP = `usage: moeplan export PLAN --format ${EXPORT_FORMATS.join('|')} [-o FILE]

Writes the plan's placement in a serving engine's format:
  sglang       {"physical_to_logical_map": …} for --init-expert-location
  trtllm       TensorRT-LLM MoE load balancer YAML (initial_global_assignments)
  vllm-ascend  vLLM-Ascend expert map JSON
  json         moeplan's own placement JSON (any placement)
The committed placement is used when the plan commits every MoE layer;
otherwise the plan's policy solves it first.
  -o FILE      output file (default: next to the plan, e.g. plan.sglang.json; '-' = stdout)
Exit status: 0 written, 1 errors (plan, workload, or a format that cannot hold the placement), 2 usage error.
`;

export async function runExport(args: string[], io: CliIo): Promise<number> {
  let format: ExportFormat | undefined;
  let out: string | undefined;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    let a = args[i];
    let inline: string | undefined;
    if (a.startsWith('--') && a.includes('=')) {
      inline = a.slice(a.indexOf('=') + 1);
      a = a.slice(0, a.indexOf('='));
    }
    if (a === '--help' || a === '-h') {
      io.out(HELP);
      return 0;
    }
    if (a === '--format' || a === '-f') {
      const v = inline ?? args[++i];
      if (!v || !EXPORT_FORMATS.includes(v as ExportFormat)) {
        io.err(`moeplan export: --format takes one of ${EXPORT_FORMATS.join(', ')}${v ? `, not '${v}'` : ''}\n\n${HELP}`);
        return 2;
      }
      format = v as ExportFormat;
      continue;
    }
    if (a === '-o' || a === '--output') {
      const v = inline ?? args[++i];
      if (!v) {
        io.err(`moeplan export: ${a} takes a file name\n`);
        return 2;
      }
      out = v;
      continue;
    }
    if (a.startsWith('-') && a !== '-') {
      io.err(`moeplan export: unknown option '${a}'\n\n${HELP}`);
      return 2;
    }
    files.push(a);
  }
  if (files.length !== 1) {
    io.err(`moeplan export: ${files.length === 0 ? 'no plan file given' : `one plan file at a time (got ${files.length})`}\n\n${HELP}`);
    return 2;
  }
  if (!format) {
    io.err(`moeplan export: --format is required (${EXPORT_FORMATS.join(', ')})\n\n${HELP}`);
    return 2;
  }
  const shown = files[0];
  const abs = resolve(io.cwd, shown);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    io.err(`moeplan export: cannot read '${shown}': ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a plan file' : (e as Error).message}\n`);
    return 2;
  }
  const checked = checkText(text, abs);
  const errors = checked.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || !checked.plan) {
    for (const d of errors) io.err(formatLine(shown, d) + '\n');
    io.err(`${errors.length} error${errors.length === 1 ? '' : 's'} in ${shown}: fix ${errors.length === 1 ? 'it' : 'them'} before exporting (see 'moeplan check')\n`);
    return 1;
  }
  const plan = checked.plan;
  let placements = committedPlacements(plan);
  let source = 'committed placement';
  if (!placements) {
    try {
      const results = await analyzePlan(plan, { sweeps: false });
      placements = results.layers.map((l) => l.placement);
      source = `solved with policy ${results.solver.name} (${(results.solver.ms / 1000).toFixed(1)} s); commit it with 'moeplan solve --write' to export it unchanged next time`;
    } catch (e) {
      const msg = e instanceof AnalysisError ? e.message : `internal error: ${(e as Error).message}`;
      io.err(`moeplan export: ${shown}: ${msg}\n`);
      return 1;
    }
  }
  const r = exportPlan(plan, placements, format);
  if (!r.ok) {
    io.err(`moeplan export: ${shown}: cannot export as ${format}: ${r.error}\n`);
    return 1;
  }
  if (out === '-') {
    io.out(r.content);
    return 0;
  }
  const target = out ? resolve(io.cwd, out) : join(dirname(abs), r.fileName);
  try {
    writeFileAtomic(target, r.content);
  } catch (e) {
    io.err(`moeplan export: cannot write ${out ?? target}: ${(e as Error).message}\n`);
    return 1;
  }
  io.out(`wrote ${out ?? target} (${format}, ${placements.length} layers, ${source})\n`);
  return 0;
}
