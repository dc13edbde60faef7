// Where CLI commands read and write, so tests can run them in-process.
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Working directory for relative paths. */
  cwd: string;
}

export function processIo(): CliIo {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    cwd: process.cwd(),
  };
}
