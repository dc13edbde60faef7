// `npm start` (scripts/start.mjs): builds, packages, serves VS Code with the
// extension and examples/ on 127.0.0.1, prints the address, and on Ctrl+C
// (SIGINT) stops code-server and removes its scratch profile.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../scripts/e2e/setup.js';
import { spawnTracked, stopTracked, waitUntil } from '../../scripts/e2e/processes.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it('npm start serves the examples in code-server with the extension, and Ctrl+C stops it cleanly', { timeout: 10 * 60_000 }, async () => {
  const child = spawnTracked(process.execPath, [join(projectRoot, 'scripts', 'start.mjs')], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (err += d));
  const exit = new Promise<number | string>((resolve) => child.on('exit', (c, s) => resolve(c ?? String(s))));
  try {
    const url = await waitUntil(
      'npm start to print the address',
      8 * 60_000,
      () => {
        if (child.exitCode !== null) throw new Error(`npm start exited early (${child.exitCode}):\n${out}\n${err}`);
        return /^\s+(http:\/\/127\.0\.0\.1:\d+\/)\s*$/m.exec(out)?.[1];
      },
      200,
    );
    const info = await waitUntil('the code-server PID line', 10_000, () => /code-server PID (\d+); scratch profile (\S+)/.exec(err) ?? undefined);
    const csPid = Number(info[1]);
    const scratch = info[2]!;
    assert.ok(alive(csPid), 'code-server is not running');
    const health = await fetch(new URL('/healthz', url));
    assert.equal(health.status, 200);
    const page = await fetch(url);
    assert.equal(page.status, 200, 'the workbench page did not load');
    assert.match(await page.text(), /workbench/i, 'the page is not a VS Code workbench');
    const extensions = join(scratch, 'code-server', 'extensions');
    assert.ok(existsSync(extensions), 'no extensions folder in the scratch profile');
    const { readdirSync } = await import('node:fs');
    assert.ok(
      readdirSync(extensions).some((n) => n.startsWith('moeplan.moeplan-')),
      'the moeplan extension is not installed',
    );
    assert.match(out, /\.vsix/, 'the output does not say where the .vsix is');

    process.kill(child.pid!, 'SIGINT'); // what Ctrl+C sends to the foreground process
    assert.equal(await exit, 0, `npm start did not exit cleanly:\n${err}`);
    await waitUntil('code-server to be gone', 10_000, () => !alive(csPid));
    assert.ok(!existsSync(scratch), `the scratch profile ${scratch} was left behind`);
  } finally {
    await stopTracked(child, 2_000);
  }
});
