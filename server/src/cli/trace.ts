// `moeplan trace stats FILE` and `moeplan trace aggregate FILE… -o OUT`:
// what a routing trace holds, and its exact per-layer subset counts (the
// form every reader takes), merged over several files. Neither needs a plan:
// the first record sets top-k, and layers keep the trace's own numbering.
// Exit: 0 done, 1 an input could not be read (file:line or row group and
// row), 2 usage.
import { resolve } from 'node:path';
import type { TraceFields, TraceFormat } from '../plan/types';
import { TRACE_FIELD_OPTIONS, TRACE_FORMAT, type TraceFieldRole } from '../plan/vocabulary';
import { WorkloadError, type ReadProgress } from '../workload/types';
import { aggregateTraces, countsCsv, countsParquet } from '../workload/aggregate';
import { formatTraceStats, traceStats } from '../workload/traceStats';
import { describeReadProgress } from '../workload/readers/progress';
import { outputProblem, writeUserFile } from '../userFiles/write';
import { errnoText } from '../userFiles/errors';
import { splitInlineOption } from './planInput';
import type { CliIo } from './io';

const FIELD_FLAGS = Object.entries(TRACE_FIELD_OPTIONS).map(([role, o]) => ({ role: role as TraceFieldRole, flag: `--${o.keyword}` }));

const HELP = `usage: moeplan trace stats FILE [--json] [options]
       moeplan trace aggregate FILE... -o COUNTS.csv|COUNTS.parquet [options]

stats      what a routing trace holds: records, layers, tokens, requests,
           distinct expert subsets per layer, load skew, the most
           co-activated pairs, whether it keeps the token order, read speed
aggregate  the exact count of every expert subset in every layer, merged
           over the files, written as CSV (layer,experts,count) or Parquet
           (layer, experts as a list, count). A plan solved on the counts
           gets exactly the figures of the traces, except replay in token
           order (paging, batches), which the counts drop.

options:
  --format F            ${TRACE_FORMAT.words.filter((w) => w !== 'sglang' && w !== 'trtllm').join(' | ')} (default: detected from the content)
${FIELD_FLAGS.map((f) => `  ${`${f.flag} NAME`.padEnd(22)}${TRACE_FIELD_OPTIONS[f.role].detail}`).join('\n')}
  -o FILE               (aggregate) the counts file; .csv or .parquet, '-' = CSV on stdout
  --json                (stats) print the figures as JSON
Exit status: 0 done, 1 an input cannot be read, 2 usage error.
`;

interface TraceArgs {
  sub: 'stats' | 'aggregate';
  files: string[];
  out?: string;
  json: boolean;
  format?: TraceFormat;
  fields: TraceFields;
}

function parseArgs(args: string[]): TraceArgs | string {
  const [sub, ...rest] = args;
  if (sub !== 'stats' && sub !== 'aggregate') return sub ? `unknown trace command '${sub}' (stats or aggregate)` : 'say stats or aggregate';
  const out: TraceArgs = { sub, files: [], json: false, fields: {} };
  for (let i = 0; i < rest.length; i++) {
    const { name: a, inline } = splitInlineOption(rest[i]);
    const value = (): string | undefined => inline ?? rest[++i];
    if (a === '--json') out.json = true;
    else if (a === '-o' || a === '--output') {
      const v = value();
      if (!v) return '-o takes a file';
      out.out = v;
    } else if (a === '--format') {
      const v = value()?.toLowerCase();
      const f = v && (TRACE_FORMAT.has(v) ? v : Object.hasOwn(TRACE_FORMAT.aliases, v) ? TRACE_FORMAT.aliases[v] : undefined);
      if (!f) return `--format takes one of ${TRACE_FORMAT.words.join(', ')}${v ? `, not '${v}'` : ''}`;
      out.format = f;
    } else {
      const field = FIELD_FLAGS.find((f) => f.flag === a);
      if (field) {
        const v = value();
        if (!v) return `${a} takes the field's name`;
        out.fields[field.role] = v;
      } else if (a.startsWith('-') && a !== '-') return `unknown option '${a}'`;
      else out.files.push(a);
    }
  }
  if (out.files.length === 0) return 'no trace file given';
  if (sub === 'stats' && out.files.length > 1) return 'stats reads one file at a time';
  if (sub === 'stats' && out.out) return '-o is for aggregate';
  if (sub === 'aggregate') {
    if (!out.out) return 'aggregate needs -o COUNTS.csv or -o COUNTS.parquet';
    if (out.out !== '-' && !/\.(csv|parquet)$/i.test(out.out)) return `-o ${out.out}: the counts file ends in .csv or .parquet (or '-' for CSV on stdout)`;
    if (out.json) return '--json is for stats';
  }
  return out;
}

export async function runTrace(args: string[], io: CliIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h') || args.length === 0) {
    io.out(HELP);
    return args.length === 0 ? 2 : 0;
  }
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    io.err(`moeplan trace: ${parsed}\n\n${HELP}`);
    return 2;
  }
  const files = parsed.files.map((f) => resolve(io.cwd, f));
  let shown = false;
  const onProgress = (p: ReadProgress) => {
    shown = true;
    io.progress?.(describeReadProgress(p));
  };
  const done = () => {
    if (shown) io.progress?.('');
    shown = false;
  };
  const common = { format: parsed.format, fields: parsed.fields, onProgress };
  try {
    if (parsed.sub === 'stats') {
      const s = await traceStats(files[0], common);
      done();
      s.file = parsed.files[0];
      io.out(parsed.json ? JSON.stringify(s, null, 2) + '\n' : formatTraceStats(s));
      return 0;
    }
    const outPath = parsed.out === '-' ? undefined : resolve(io.cwd, parsed.out!);
    const inputs = files.map((path) => ({ path, what: 'an input trace' }));
    if (outPath) {
      const problem = outputProblem(outPath, { inputs, shown: parsed.out });
      if (problem) {
        io.err(`moeplan trace: cannot write ${parsed.out}: ${problem}\n`);
        return 1;
      }
    }
    const a = await aggregateTraces(files, common);
    done();
    a.inputs.forEach((i, n) => (i.file = parsed.files[n]));
    const parquet = outPath !== undefined && /\.parquet$/i.test(outPath);
    const data = parquet ? countsParquet(a) : countsCsv(a);
    if (!outPath) {
      io.out(data as string);
      return 0;
    }
    try {
      writeUserFile(outPath, data, { inputs, shown: parsed.out });
    } catch (e) {
      io.err(`moeplan trace: cannot write ${parsed.out}: ${errnoText(e)}\n`);
      return 1;
    }
    const subsets = a.layers.reduce((s, d) => s + d.count, 0);
    const records = a.inputs.reduce((s, i) => s + i.records, 0);
    io.err(
      `wrote ${parsed.out}: ${subsets.toLocaleString('en-US')} distinct subsets in ${a.layers.length} layers from ${records.toLocaleString('en-US')} records` +
        ` (${a.inputs.map((i) => `${i.file}: ${i.label}`).join('; ')})` +
        (a.orderDropped ? '; token order dropped (paging and batch replay on the counts sample from the distributions)' : '') +
        '\n',
    );
    return 0;
  } catch (e) {
    done();
    if (e instanceof WorkloadError) {
      io.err(`moeplan trace: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
