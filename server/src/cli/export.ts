// `moeplan export PLAN --format sglang|trtllm|vllm-ascend|json [-o FILE] [--json]`:
// writes the placement in a serving engine's format, then prints the engine
// flags that go with the file (docs/engines.md) and any warnings. The
// placement is the plan's committed one when it commits every MoE layer;
// otherwise the plan's policy solves it first (as `moeplan solve` would).
// Without -o the file goes next to the plan (plan.sglang.json, …); `-o -`
// prints the file to stdout and the flags to stderr. --json prints what was
// written, the flags and the warnings as one JSON object instead of text.
// The file is written through userFiles/write.ts, never over the plan or its
// trace.
// Exit: 0 written, 1 plan/workload errors or a format that cannot hold the
// placement, 2 usage.
import { dirname, join, resolve } from 'node:path';
import { analyzePlan, AnalysisError } from '../analysis/index';
import { EXPORT_FORMATS, committedPlacements, exportFileName, exportPlan, type ExportFormat } from '../export/index';
import { outputProblem, writeUserFile } from '../userFiles/write';
import { errnoText } from '../userFiles/errors';
import { planInputs, planWithoutErrors, readPlanFiles, splitInlineOption } from './planInput';
import type { CliIo } from './io';
import * as show from '../display';

const HELP = `usage: moeplan export PLAN --format ${EXPORT_FORMATS.join('|')} [-o FILE] [--json]

Writes the plan's placement in a serving engine's format:
  sglang       {"physical_to_logical_map": …} for --init-expert-location
  trtllm       TensorRT-LLM MoE load balancer YAML (initial_global_assignments)
  vllm-ascend  vLLM-Ascend expert map JSON
  json         moeplan's own placement JSON (any placement)
The committed placement is used when the plan commits every MoE layer;
otherwise the plan's policy solves it first.
  -o FILE      output file (default: next to the plan, e.g. plan.sglang.json; '-' = stdout)
  --json       print what was written, the engine flags and the warnings as JSON
After writing, it prints the engine flags that go with the file (SGLang:
--init-expert-location, --ep-size, --ep-num-redundant-experts; vLLM-Ascend:
--additional-config with expert_map_path and num_redundant_experts;
TensorRT-LLM: the moe_config entry and --ep_size). See docs/engines.md.
Exit status: 0 written, 1 errors (plan, workload, or a format that cannot hold the placement), 2 usage error.
`;

export async function runExport(args: string[], io: CliIo): Promise<number> {
  let format: ExportFormat | undefined;
  let out: string | undefined;
  let json = false;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const { name: a, inline } = splitInlineOption(args[i]);
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
    if (a === '--json') {
      json = true;
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
  if (json && out === '-') {
    io.err(`moeplan export: --json describes a written file, and -o - writes the file to stdout: use one or the other\n`);
    return 2;
  }
  const file = readPlanFiles([files[0]], 'export', io)?.[0];
  if (!file) return 2;
  const { path: shown, abs } = file;
  const plan = planWithoutErrors(file, 'exporting', io);
  if (!plan) return 1;
  const inputs = planInputs(abs, plan);
  // The default name depends on the format only, so the target is known before any solving.
  const target = out === '-' ? undefined : out ? resolve(io.cwd, out) : join(dirname(abs), exportFileName(abs, format));
  const targetShown = out ?? target;
  if (target) {
    const problem = outputProblem(target, { inputs, shown: targetShown });
    if (problem) {
      io.err(`moeplan export: cannot write '${targetShown}': ${problem}${out ? " (use '-o -' to print to stdout)" : ''}\n`);
      return 1;
    }
  }
  let placements = committedPlacements(plan);
  let source = 'committed placement';
  let placementOrigin: { committed: true } | { committed: false; policy: string; seconds: number } = { committed: true };
  if (!placements) {
    try {
      const results = await analyzePlan(plan, { sweeps: false, startedAt: io.startedAt });
      placements = results.layers.map((l) => l.placement);
      placementOrigin = { committed: false, policy: results.solver.name, seconds: results.solver.ms / 1000 };
      source = `solved with policy ${results.solver.name} (${show.millis(results.solver.ms)}); commit it with 'moeplan solve --write' to export it unchanged next time`;
    } catch (e) {
      const msg = e instanceof AnalysisError ? e.message : `internal error: ${(e as Error).message}`;
      io.err(`moeplan export: ${shown}: ${msg}\n`);
      return 1;
    }
  }
  const r = exportPlan(plan, placements, format, target);
  if (!r.ok) {
    io.err(`moeplan export: ${shown}: cannot export as ${format}: ${r.error}\n`);
    return 1;
  }
  const advice = [...r.warnings.map((w) => `moeplan export: warning: ${w}\n`), ...r.notes.map((n) => `moeplan export: note: ${n}\n`)].join('');
  if (target === undefined) {
    io.out(r.content);
    io.err(advice + (r.launch ? r.launch.text : ''));
    return 0;
  }
  try {
    writeUserFile(target, r.content, { inputs, shown: targetShown });
  } catch (e) {
    io.err(`moeplan export: cannot write '${targetShown}': ${errnoText(e)}\n`);
    return 1;
  }
  if (json) {
    const doc = { file: target, format, layers: placements.length, placement: placementOrigin, launch: r.launch ?? null, warnings: r.warnings, notes: r.notes };
    io.out(JSON.stringify(doc, null, 2) + '\n');
    return 0;
  }
  io.out(`wrote ${targetShown} (${format}, ${placements.length} layers, ${source})\n` + (r.launch ? r.launch.text : ''));
  if (advice) io.err(advice);
  return 0;
}
