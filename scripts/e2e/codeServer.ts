// Starts code-server (a real VS Code workbench served over http) on 127.0.0.1,
// fully isolated in a scratch folder: its own HOME, XDG folders, TMPDIR,
// config, user-data and extensions directories.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { spawnTracked, stopTracked, waitUntil } from './processes.js';

type Log = (msg: string) => void;

/** Environment whose HOME, XDG_* and TMPDIR all point inside `scratch`. */
export function isolatedEnv(scratch: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const dirs = {
    HOME: join(scratch, 'home'),
    XDG_CONFIG_HOME: join(scratch, 'xdg', 'config'),
    XDG_DATA_HOME: join(scratch, 'xdg', 'data'),
    XDG_CACHE_HOME: join(scratch, 'xdg', 'cache'),
    XDG_STATE_HOME: join(scratch, 'xdg', 'state'),
    XDG_RUNTIME_DIR: join(scratch, 'xdg', 'runtime'),
    TMPDIR: join(scratch, 'tmp'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true, mode: 0o700 });
  const env: NodeJS.ProcessEnv = { ...base, ...dirs };
  // Nothing from the outer VS Code/npm session should leak in.
  for (const k of Object.keys(env)) {
    if (k.startsWith('VSCODE_') || k.startsWith('npm_') || k === 'NODE_OPTIONS' || k === 'ELECTRON_RUN_AS_NODE') delete env[k];
  }
  return env;
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

/** User settings that keep the workbench quiet and offline. */
export const USER_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'chat.disableAIFeatures': true,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'editor.minimap.enabled': false,
  'files.autoSave': 'off',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
} as const;

export interface CodeServerOptions {
  /** Node 24 binary and code-server's entry.js (from ensureE2eTools). */
  node: string;
  entry: string;
  /** Folder for everything code-server writes (HOME, XDG, TMPDIR, profile). */
  scratch: string;
  /** Folder opened as the workspace. */
  workspace: string;
  /** Extra user settings merged over USER_SETTINGS. */
  settings?: Record<string, unknown>;
  /** .vsix files installed before start. */
  vsix?: string[];
  /** Fixed port (default: a free one). */
  port?: number;
  log?: Log;
}

export interface RunningCodeServer {
  url: string;
  port: number;
  pid: number;
  userDataDir: string;
  extensionsDir: string;
  /** Lines code-server printed (for failure reports). */
  output: string[];
  /** Resolves with a reason when the code-server process exits. */
  exited: Promise<string>;
  stop(): Promise<void>;
}

function layout(scratch: string) {
  return {
    userDataDir: join(scratch, 'code-server', 'user-data'),
    extensionsDir: join(scratch, 'code-server', 'extensions'),
    config: join(scratch, 'code-server', 'config.yaml'),
  };
}

/** Runs code-server's CLI once (e.g. --install-extension) and waits for it. */
function runCodeServerCli(opts: CodeServerOptions, args: string[], timeoutMs = 120_000): Promise<string> {
  const l = layout(opts.scratch);
  const env = isolatedEnv(opts.scratch);
  return new Promise((resolve, reject) => {
    const child = spawn(opts.node, [opts.entry, '--config', l.config, '--user-data-dir', l.userDataDir, '--extensions-dir', l.extensionsDir, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`code-server ${args.join(' ')} timed out:\n${out}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`code-server ${args.join(' ')} failed (exit ${code}):\n${out}`));
    });
  });
}

/** Prepares the profile, installs the .vsix files and starts code-server; resolves once /healthz answers. */
export async function startCodeServer(opts: CodeServerOptions): Promise<RunningCodeServer> {
  const log = opts.log ?? (() => {});
  const l = layout(opts.scratch);
  mkdirSync(join(l.userDataDir, 'User'), { recursive: true });
  mkdirSync(l.extensionsDir, { recursive: true });
  writeFileSync(l.config, 'auth: none\ncert: false\n');
  writeFileSync(join(l.userDataDir, 'User', 'settings.json'), JSON.stringify({ ...USER_SETTINGS, ...opts.settings }, null, 2) + '\n');
  for (const vsix of opts.vsix ?? []) {
    const out = await runCodeServerCli(opts, ['--install-extension', vsix]);
    if (!/successfully installed/i.test(out)) throw new Error(`installing ${vsix} into code-server did not report success:\n${out}`);
    log(`installed ${vsix}`);
  }
  const env = isolatedEnv(opts.scratch);
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    const output: string[] = [];
    const child = spawnTracked(
      opts.node,
      [
        opts.entry,
        '--config',
        l.config,
        '--bind-addr',
        `127.0.0.1:${port}`,
        '--auth',
        'none',
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--user-data-dir',
        l.userDataDir,
        '--extensions-dir',
        l.extensionsDir,
        opts.workspace,
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let exited: string | undefined;
    const exitedPromise = new Promise<string>((resolve) => {
      child.on('error', (e) => resolve((exited = `could not start: ${e.message}`)));
      child.on('exit', (code, sig) => resolve((exited ??= `exited with ${code ?? sig}`)));
    });
    for (const s of [child.stdout, child.stderr]) {
      s?.setEncoding('utf8');
      s?.on('data', (d: string) => output.push(...d.split('\n').filter(Boolean)));
    }
    const url = `http://127.0.0.1:${port}/`;
    const server: RunningCodeServer = {
      url,
      port,
      pid: child.pid ?? -1,
      userDataDir: l.userDataDir,
      extensionsDir: l.extensionsDir,
      output,
      exited: exitedPromise,
      stop: () => stopTracked(child),
    };
    try {
      await waitUntil('code-server to answer /healthz', 60_000, async () => {
        if (exited) throw new Error(`code-server ${exited}`);
        const res = await fetch(new URL('/healthz', url)).catch(() => undefined);
        return res?.ok ? true : undefined;
      });
      log(`code-server ${url} (PID ${child.pid})`);
      return server;
    } catch (e) {
      await server.stop();
      const inUse = output.some((o) => o.includes('EADDRINUSE'));
      if (inUse && attempt < 3 && opts.port === undefined) continue;
      throw new Error(`${(e as Error).message}\ncode-server output:\n${output.join('\n')}`, { cause: e });
    }
  }
}
