// File kinds and users for the write-path tests. mkfifo makes a FIFO in a
// temporary folder (no device file is ever used). runCliUnprivileged runs
// the moeplan CLI without root's permission bypass, so permission tests
// really exercise permissions: as root (CI, containers) it is spawned as
// `nobody` through util-linux's `setpriv`; as any other user it runs as that
// user, and giveToRoot (sudo -n) makes the file someone else's. Nothing is
// skipped: without setpriv or sudo the test fails and says why.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './plan-arbitraries';
import { main } from '../../server/src/cli/main';

export const NOBODY = 65534;

/** Whether this process would bypass permission checks (root). */
export const isRoot = process.getuid?.() === 0;

export interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** The node command line that runs `moeplan ARGV` through tsx (for a process of its own). */
export function cliCommand(argv: string[]): string[] {
  const script = `require(${JSON.stringify(join(ROOT, 'server/src/cli/main.ts'))}).main(${JSON.stringify(argv)}).then((c) => { process.exitCode = c; })`;
  // The loader by its full path: the temporary folder the CLI runs in has no node_modules.
  return [process.execPath, '--import', pathToFileURL(require.resolve('tsx')).href, '-e', script];
}

/** `moeplan ARGV` in `cwd` as an unprivileged user (nobody when this process is root). */
export function runCliUnprivileged(argv: string[], cwd: string): Run {
  const node = cliCommand(argv);
  const [cmd, ...args] = isRoot ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', ...node] : node;
  const r = spawnSync(cmd!, args, { cwd, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw new Error(`cannot run the CLI unprivileged (${cmd}): ${r.error.message}; as root this needs util-linux's setpriv`);
  return { code: r.status, out: r.stdout, err: r.stderr };
}

export function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

/** Makes `path` belong to root (so that an unprivileged user does not own it). */
export function giveToRoot(path: string): void {
  if (isRoot) return; // already root's
  try {
    execFileSync('sudo', ['-n', 'chown', '0:0', path], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`this test needs a file owned by another user: run it as root (CI does) or with passwordless sudo (${(e as Error).message})`, { cause: e });
  }
}

/** A small plan that solves in well under a second, with comments inside a committed layer. */
export const SMALL_PLAN = `# two layers of Mixtral, for quick solves
model mixtral-8x7b {
  layers 2
}
gpu h100-sxm x 2
reserve 16 GiB per gpu
workload {
  synthetic tokens 2000 seed 3
}
placement {
  policy greedy 200 ms
  layer 0 {  # after the brace of layer 0
    # a line inside layer 0
    gpu 0: 0..4  # on the line of gpu 0
    gpu 1: 3..7
  }
}
`;

/** A test body run in a fresh temporary folder, removed afterwards. */
export function inTemp(prefix: string, f: (dir: string) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    try {
      await f(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** `moeplan ARGV` in-process in `cwd`, collecting its output; onOut sees each piece as it is printed. */
export async function runCli(argv: string[], cwd: string, onOut?: (text: string) => void): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    out: (t) => {
      out += t;
      onOut?.(t);
    },
    err: (t) => (err += t),
    cwd,
  });
  return { code, out, err };
}
