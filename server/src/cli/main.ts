// `moeplan` command-line tool: dispatches to one module per subcommand.
// Exit codes: 0 clean, 1 errors found (or check failed), 2 usage error.
import { runCheck } from './check';
import { runFmt } from './fmt';
import { runSolve } from './solve';
import { runExport } from './export';
import { runReport } from './report';
import { runTrace } from './trace';
import type { CliIo } from './io';
import { processIo } from './io';
import { VERSION } from '../version';

const USAGE = `usage: moeplan <command> [options]

commands:
  check FILE...             report problems in plans (exit 1 on any error)
  fmt FILE... [--check]     format plans in place (or check they are formatted)
  solve FILE [--json] [--write] [--policy P] [--time S] [--trace F] [--gpus N] [--slots N] [--batch N]
  export FILE --format sglang|trtllm|vllm-ascend|json [-o OUT]
  report FILE -o report.html
  trace stats FILE          what a routing trace holds (layers, tokens, subsets, skew, read speed)
  trace aggregate FILE... -o COUNTS.csv|COUNTS.parquet
                            exact per-layer subset counts of traces, merged

Run 'moeplan <command> --help' for a command's options.`;

type Command = (args: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  check: runCheck,
  fmt: runFmt,
  solve: runSolve,
  export: runExport,
  report: runReport,
  trace: runTrace,
};

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    io.out(`moeplan ${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`moeplan: unknown command '${name}'\n\n${USAGE}\n`);
    return 2;
  }
  return command(rest, io);
}
