// Body of `npm start` (see scripts/start.mjs).
//   npm start                    examples/ on a free port
//   npm start -- --port 8080     a fixed port
//   npm start -- --folder DIR    another folder
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureE2eTools, projectRoot } from './setup.js';
import { buildAndPackage } from './harness.js';
import { startCodeServer } from './codeServer.js';

const say = (m: string) => process.stdout.write(`${m}\n`);
const note = (m: string) => process.stderr.write(`[moeplan start] ${m}\n`);

/** Editors on this machine that can install a .vsix directly. */
function localEditors(): string[] {
  return ['code', 'code-insiders', 'codium'].filter((bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0);
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, folder: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    say(
      'usage: npm start [-- --port N] [-- --folder DIR]\n' +
        'Builds and packages the moeplan extension, then serves VS Code (code-server) with it on 127.0.0.1.',
    );
    return 0;
  }
  const folder = resolve(values.folder ?? join(projectRoot, 'examples'));
  if (!existsSync(folder)) {
    note(`folder ${folder} does not exist; pass an existing one with --folder DIR`);
    return 2;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    note(`--port must be a TCP port number (1-65535), got "${values.port}"`);
    return 2;
  }

  note('setting up code-server (first run: a few minutes; later runs: seconds)');
  const tools = await ensureE2eTools((m) => note(m), 'start');
  note('building and packaging the extension');
  const version = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
  const vsix = await buildAndPackage(projectRoot, `moeplan-${version}.vsix`);

  const scratch = mkdtempSync(join(tmpdir(), 'moeplan-start-'));
  let stopping = false;
  const server = await startCodeServer({
    node: tools.node24,
    entry: tools.codeServerEntry,
    scratch,
    workspace: folder,
    vsix: [vsix],
    port,
    log: note,
  }).catch((e: unknown) => {
    rmSync(scratch, { recursive: true, force: true });
    throw e;
  });

  say('');
  say(`moeplan is running in VS Code (code-server ${tools.codeServerVersion}) with ${folder} open:`);
  say(`  ${server.url}`);
  note(`code-server PID ${server.pid}; scratch profile ${scratch}`);
  say('Open that address in a browser on this machine. Press Ctrl+C to stop.');
  const editors = localEditors();
  say(
    editors.length
      ? `A local VS Code is installed too; to use it instead: ${editors[0]} --install-extension ${vsix}`
      : `The packaged extension is ${vsix} (install it in VS Code with "Extensions: Install from VSIX...").`,
  );

  return await new Promise<number>((done) => {
    const stop = (code: number) => {
      if (stopping) return;
      stopping = true;
      note('stopping code-server');
      void server.stop().finally(() => {
        rmSync(scratch, { recursive: true, force: true });
        done(code);
      });
    };
    // Replace processes.ts's default signal exit with an orderly stop.
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.removeAllListeners(sig);
      process.on(sig, () => stop(0));
    }
    server.exited.then((why) => {
      if (!stopping) {
        note(`code-server stopped by itself (${why}); last output:\n${server.output.slice(-20).join('\n')}`);
        stop(1);
      }
    });
  });
}
