// Where CLI commands read and write, so tests can run them in-process.
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Working directory for relative paths. */
  cwd: string;
  /**
   * A progress line for long work ('' when it is over); absent where nobody
   * watches (tests, in-process callers).
   */
  progress?(line: string): void;
  /**
   * When the command's clock started, on performance.now()'s clock: 0, the
   * process's start, for the `moeplan` command, so a plan's `time` bounds
   * the command's wall time; absent for in-process callers (each analysis
   * then counts from its own start).
   */
  startedAt?: number;
}

/** Least time between two progress lines when stderr is not a terminal, ms. */
const LOG_PROGRESS_EVERY_MS = 10_000;

export function processIo(): CliIo {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    cwd: process.cwd(),
    progress: process.stderr.isTTY ? ttyProgress() : logProgress(),
    startedAt: 0,
  };
}

/** On a terminal: one line, rewritten in place. */
function ttyProgress(): (line: string) => void {
  return (line) => process.stderr.write(`\r\x1b[K${line}`);
}

/** In a log: a line now and then, so a long read in CI shows it is alive. */
function logProgress(): (line: string) => void {
  let last = performance.now();
  return (line) => {
    const now = performance.now();
    if (line === '' || now - last < LOG_PROGRESS_EVERY_MS) return;
    last = now;
    process.stderr.write(`${line}\n`);
  };
}
