// Drives the moeplan extension in a real VS Code workbench (code-server) from
// Debian's Chromium through playwright-core, the way a user would see it.
//
//   const wb = await launchWorkbench({ name: 'vscode' });
//   await wb.openFile('mixtral.moeplan');
//   ...
//   await wb.close();
//
// Every process started here (code-server with its extension host and
// language server, Chromium with its helpers) runs in its own process group
// and is stopped by PID in close(), or by the exit/signal handlers of
// processes.ts if the test process dies first.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ensureE2eTools, projectRoot, type E2eTools } from './setup.js';
import { isolatedEnv, startCodeServer, type RunningCodeServer } from './codeServer.js';
import { spawnTracked, stopTracked, waitUntil } from './processes.js';
import { OFFLINE_CHROMIUM_FLAGS } from './chromiumFlags.js';
import { PACKAGED_JS_LIMIT_BYTES, packagedScriptBytes, vsixEntries } from './vsixContents.js';

export { waitUntil } from './processes.js';

/** Where screenshots and logs are kept (gitignored). */
export const artifactsDir = join(projectRoot, 'artifacts', 'e2e');

type Log = (msg: string) => void;
const log: Log = (m) => process.stderr.write(`[e2e] ${m}\n`);

/** Chromium flags that keep a headless run offline and quiet. */
export const CHROMIUM_ARGS = [
  ...OFFLINE_CHROMIUM_FLAGS,
  '--no-default-browser-check',
  '--password-store=basic',
  '--use-mock-keychain',
  '--window-size=1400,900',
  '--remote-debugging-address=127.0.0.1',
  '--remote-debugging-port=0',
];

// ---------------------------------------------------------------- build & package
let packaged: Promise<string> | undefined;

function runOrThrow(cmd: string, args: string[], what: string): void {
  const r = spawnSync(cmd, args, { cwd: projectRoot, encoding: 'utf8', env: { ...process.env, CI: '1' }, input: 'n\n' });
  if (r.status !== 0) {
    throw new Error(`${what} failed (exit ${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  }
}

/**
 * Builds the bundles and packages the extension the way a user would
 * (`vsce package --no-dependencies`); returns the .vsix path. Once per process.
 */
export function buildAndPackage(outDir?: string, fileName = 'moeplan.vsix'): Promise<string> {
  packaged ??= (async () => {
    if (!outDir) {
      // A private folder for this process's package, removed when it exits.
      outDir = mkdtempSync(join(tmpdir(), 'moeplan-vsix-'));
      const dir = outDir;
      process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    }
    runOrThrow(process.execPath, ['esbuild.mjs'], 'build (node esbuild.mjs)');
    for (const f of ['dist/client.js', 'dist/server.js']) {
      if (!existsSync(join(projectRoot, f))) throw new Error(`the build did not produce ${f}; the extension cannot be packaged`);
    }
    mkdirSync(outDir, { recursive: true });
    const vsix = join(outDir, fileName);
    const vsce = join(projectRoot, 'node_modules', '@vscode', 'vsce', 'vsce');
    const args = [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '-o', vsix];
    // Without the project's own .vscodeignore, keep sources and tests out of the package.
    if (!existsSync(join(projectRoot, '.vscodeignore'))) args.push('--ignoreFile', join(projectRoot, 'scripts', 'e2e', 'vscodeignore'));
    runOrThrow(process.execPath, args, 'packaging (vsce package)');
    if (!existsSync(vsix)) throw new Error(`vsce reported success but ${vsix} is missing`);
    // vsce ran `vscode:prepublish` (the minified build): a package over budget fails every suite loudly.
    const js = packagedScriptBytes(vsixEntries(vsix));
    if (js > PACKAGED_JS_LIMIT_BYTES)
      throw new Error(`the .vsix carries ${js} bytes of JavaScript, over the ${PACKAGED_JS_LIMIT_BYTES}-byte budget (scripts/e2e/vsixContents.ts)`);
    return vsix;
  })();
  packaged.catch(() => {
    packaged = undefined;
  });
  return packaged;
}

// ---------------------------------------------------------------- Chromium
interface RunningBrowser {
  browser: Browser;
  stop(): Promise<void>;
}

/** Starts Debian's Chromium in its own process group with a fresh profile and connects over CDP. */
export async function startChromium(tools: E2eTools, scratch: string): Promise<RunningBrowser> {
  const profile = join(scratch, 'chromium-profile');
  mkdirSync(profile, { recursive: true });
  const child = spawnTracked(tools.chromium, [...CHROMIUM_ARGS, `--user-data-dir=${profile}`, 'about:blank'], {
    env: isolatedEnv(scratch),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let exited: string | undefined;
  child.on('exit', (c, s) => (exited = `exited with ${c ?? s}`));
  child.on('error', (e) => (exited = `could not start: ${e.message}`));
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    if (stderr.length < 100_000) stderr += d;
  });
  try {
    const ws = await waitUntil('Chromium to print its DevTools address', 30_000, () => {
      if (exited) throw new Error(`chromium ${exited}: ${stderr}`);
      return /DevTools listening on (ws:\/\/\S+)/.exec(stderr)?.[1];
    });
    const browser = await chromium.connectOverCDP(ws);
    return {
      browser,
      stop: async () => {
        await browser.close().catch(() => {});
        await stopTracked(child, 3_000);
      },
    };
  } catch (e) {
    await stopTracked(child, 1_000);
    throw e;
  }
}

// ---------------------------------------------------------------- the workbench
export interface LaunchOptions {
  /** Short name used for the scratch folder and screenshot prefix. */
  name: string;
  /** Folder copied as the workspace (default: the project's examples/). */
  workspaceFrom?: string;
  /** Extra files to write into the workspace copy before start: relative path → text. */
  extraFiles?: Record<string, string>;
  /** Extra user settings. */
  settings?: Record<string, unknown>;
}

export interface Workbench {
  page: Page;
  server: RunningCodeServer;
  /** The workspace folder on disk (a temporary copy; tests may change it). */
  workspace: string;
  tools: E2eTools;
  /** Console errors the page reported (for diagnosis). */
  consoleErrors: string[];
  /** Saves a full-page screenshot as artifacts/e2e/<name>-<label>.png and returns its path. */
  screenshot(label: string): Promise<string>;
  /** Opens a workspace file by name through Quick Open (Ctrl+P), as a user would. */
  openFile(fileName: string): Promise<void>;
  /** Runs a command by its palette label; retries when the palette shows a stale list. */
  runCommand(label: string): Promise<void>;
  /** Moves the cursor to 1-based line and column with Go to Line (Ctrl+G). */
  goTo(line: number, column: number): Promise<void>;
  /** The visible text of the active editor (spaces normalised). */
  editorText(): Promise<string>;
  close(): Promise<void>;
}

/** Normalises Monaco's rendering: non-breaking spaces become spaces. */
function plain(s: string): string {
  return s.replace(/\u00a0/g, ' ');
}

/** Builds, packages, sets up and starts code-server with the extension, opens it in Chromium. */
export async function launchWorkbench(opts: LaunchOptions): Promise<Workbench> {
  const tools = await ensureE2eTools(log);
  const vsix = await buildAndPackage();
  const scratch = mkdtempSync(join(tmpdir(), `moeplan-e2e-${opts.name}-`));
  const workspace = join(scratch, 'workspace');
  cpSync(opts.workspaceFrom ?? join(projectRoot, 'examples'), workspace, { recursive: true });
  for (const [rel, text] of Object.entries(opts.extraFiles ?? {})) {
    mkdirSync(join(workspace, rel, '..'), { recursive: true });
    writeFileSync(join(workspace, rel), text);
  }
  mkdirSync(artifactsDir, { recursive: true });

  let server: RunningCodeServer | undefined;
  let browser: RunningBrowser | undefined;
  const cleanup = async () => {
    const errs: unknown[] = [];
    await browser?.stop().catch((e: unknown) => errs.push(e));
    await server?.stop().catch((e: unknown) => errs.push(e));
    rmSync(scratch, { recursive: true, force: true });
    if (errs.length) throw errs[0];
  };
  try {
    server = await startCodeServer({
      node: tools.node24,
      entry: tools.codeServerEntry,
      scratch,
      workspace,
      vsix: [vsix],
      log,
      settings: opts.settings,
    });
    browser = await startChromium(tools, scratch);
    const context = browser.browser.contexts()[0] ?? (await browser.browser.newContext());
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    await page.goto(server.url);
    await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 90_000 });

    let shot = 0;
    const wb: Workbench = {
      page,
      server,
      workspace,
      tools,
      consoleErrors,
      async screenshot(label) {
        const file = join(artifactsDir, `${opts.name}-${String(++shot).padStart(2, '0')}-${label.replace(/[^\w.-]+/g, '_')}.png`);
        await page.screenshot({ path: file, timeout: 15_000 }).catch((e: unknown) => log(`screenshot ${label} failed: ${String(e)}`));
        return file;
      },
      async openFile(fileName) {
        for (let attempt = 1; ; attempt++) {
          await dismissQuickInput(page);
          await page.keyboard.press('Control+P');
          const input = page.locator('.quick-input-widget input');
          await input.waitFor({ state: 'visible', timeout: 10_000 });
          await input.fill(fileName);
          const row = page.locator('.quick-input-list .monaco-list-row', { hasText: fileName }).first();
          try {
            await row.waitFor({ timeout: attempt < 3 ? 5_000 : 15_000 });
          } catch (e) {
            // Right after load the file index may still be empty; reopening Quick Open retries the search.
            if (attempt >= 4) throw new Error(`Quick Open never listed ${fileName}: ${(e as Error).message}`, { cause: e });
            continue;
          }
          await row.click();
          break;
        }
        await page.locator(`.tabs-container .tab.active[data-resource-name="${fileName}"]`).first().waitFor({ timeout: 15_000 });
        await focusEditor(page);
      },
      async runCommand(label) {
        for (let attempt = 1; ; attempt++) {
          await dismissQuickInput(page);
          await page.keyboard.press('Control+Shift+P');
          const input = page.locator('.quick-input-widget input');
          await input.waitFor({ state: 'visible', timeout: 10_000 });
          await input.fill(`>${label}`);
          const row = page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
          try {
            await row.waitFor({ timeout: attempt < 3 ? 5_000 : 15_000 });
          } catch (e) {
            // Seen on fresh profiles: the first palette misses an extension's
            // commands and never refreshes. Closing and reopening fixes it.
            if (attempt >= 4) throw new Error(`command "${label}" not found in the Command Palette: ${(e as Error).message}`, { cause: e });
            continue;
          }
          await row.click();
          await page
            .locator('.quick-input-widget')
            .waitFor({ state: 'hidden', timeout: 10_000 })
            .catch(() => {});
          return;
        }
      },
      async goTo(line, column) {
        await dismissQuickInput(page);
        await focusEditor(page);
        await page.keyboard.press('Control+G');
        const input = page.locator('.quick-input-widget input');
        await input.waitFor({ state: 'visible', timeout: 10_000 });
        await input.fill(`:${line}:${column}`);
        await page.keyboard.press('Enter');
        await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
        await waitUntil(`cursor at ${line}:${column}`, 10_000, async () => {
          const status = await page
            .locator('#status\\.editor\\.selection')
            .innerText()
            .catch(() => '');
          return status.includes(`Ln ${line}, Col ${column}`);
        });
      },
      async editorText() {
        return plain(await page.locator('.editor-group-container .monaco-editor .view-lines').first().innerText());
      },
      close: cleanup,
    };
    return wb;
  } catch (e) {
    await cleanup().catch(() => {});
    throw e;
  }
}

/** Makes sure the active editor has keyboard focus (VS Code 1.139 types through an EditContext, not a textarea). */
async function focusEditor(page: Page): Promise<void> {
  const focused = page.locator('.editor-group-container .monaco-editor.focused').first();
  if (await focused.isVisible().catch(() => false)) return;
  await page
    .locator('.editor-group-container.active .monaco-editor .view-lines')
    .first()
    .click({ position: { x: 5, y: 5 } });
  await focused.waitFor({ timeout: 10_000 });
}

async function dismissQuickInput(page: Page): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  if (await widget.isVisible().catch(() => false)) {
    await page.keyboard.press('Escape');
    await widget.waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => {});
  }
}

/** Runs `fn`; on failure saves a screenshot named after `label`, then rethrows. */
export async function withFailureShot<T>(wb: Workbench | undefined, label: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (wb) {
      const file = await wb.screenshot(`FAILED-${label}`);
      log(`failure screenshot: ${file}`);
    }
    throw e;
  }
}
