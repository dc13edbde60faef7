// Headless Chromium (Debian's) through playwright-core for the webview and
// report tests. Every request is answered from memory by a route handler, so
// nothing reaches the network; CSP violations and console errors are recorded.
import { mkdtempSync, rmSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { OFFLINE_CHROMIUM_FLAGS } from '../../scripts/e2e/chromiumFlags';

export const ROOT = resolve(__dirname, '../..');
export const ARTIFACTS = join(ROOT, 'artifacts/webview');
const CHROMIUM = '/usr/bin/chromium';

export interface Session {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launch(): Promise<Session> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install it with 'flock /tmp/moeplan-apt.lock apt-get install -y chromium'`);
  }
  const scratch = mkdtempSync(join(tmpdir(), 'moeplan-webview-'));
  const home = join(scratch, 'home');
  const tmp = join(scratch, 'tmp');
  mkdirSync(home);
  mkdirSync(tmp);
  // A fresh profile per session (persistent context = its own user-data-dir).
  const context = await chromium.launchPersistentContext(join(scratch, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: OFFLINE_CHROMIUM_FLAGS,
    env: { ...process.env, HOME: home, TMPDIR: tmp, XDG_CONFIG_HOME: join(home, '.config'), XDG_CACHE_HOME: join(home, '.cache') },
    timeout: 60_000,
    viewport: { width: 1280, height: 900 },
    deviceScaleFactor: 1,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

export interface PageLog {
  violations: string[];
  errors: string[];
  /** Requests that were not served from memory. */
  outside: string[];
}

/**
 * Serve `files` (URL → body) at an in-memory origin; any other URL is
 * refused and recorded. Console errors and CSP violations are collected.
 */
export async function servePage(context: BrowserContext, files: Record<string, { body: string; type: string }>): Promise<{ page: Page; log: PageLog }> {
  const page = await context.newPage();
  const log: PageLog = { violations: [], errors: [], outside: [] };
  await page.route('**/*', async (route) => {
    const url = route.request().url();
    const file = files[url];
    if (file) await route.fulfill({ status: 200, contentType: file.type, body: file.body });
    else {
      log.outside.push(url);
      await route.abort('blockedbyclient');
    }
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error') log.errors.push(msg.text());
  });
  page.on('pageerror', (err) => log.errors.push(`pageerror: ${err.message}`));
  // tsx compiles these tests with esbuild's keepNames, which wraps functions
  // in __name(...); functions sent to the page need that helper there too.
  await page.addInitScript({ content: 'globalThis.__name = globalThis.__name || ((f) => f);' });
  await page.exposeFunction('__reportViolation', (text: string) => log.violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __reportViolation(t: string): void }).__reportViolation(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'}`);
    });
  });
  return { page, log };
}

export interface CanvasInk {
  id: string;
  width: number;
  height: number;
  /** Pixels with some opacity. */
  inked: number;
  /** Distinct colours among inked pixels (quantised). */
  colours: number;
  hash: string;
}

/** How much each visible canvas has drawn (read back from its pixels). */
export async function canvasInk(page: Page, frame?: import('playwright-core').Frame): Promise<CanvasInk[]> {
  const target = frame ?? page.mainFrame();
  return target.evaluate(() => {
    const out: { id: string; width: number; height: number; inked: number; colours: number; hash: string }[] = [];
    for (const c of Array.from(document.querySelectorAll('canvas'))) {
      if (!c.offsetParent) continue; // hidden
      const ctx = c.getContext('2d');
      if (!ctx || c.width === 0 || c.height === 0) {
        out.push({ id: c.id, width: c.width, height: c.height, inked: 0, colours: 0, hash: '' });
        continue;
      }
      const data = ctx.getImageData(0, 0, c.width, c.height).data;
      let inked = 0;
      let h = 2166136261;
      const colours = new Set<number>();
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] > 0) {
          inked++;
          colours.add(((data[i] >> 4) << 8) | ((data[i + 1] >> 4) << 4) | (data[i + 2] >> 4));
        }
        h = Math.imul(h ^ data[i] ^ (data[i + 1] << 8) ^ (data[i + 2] << 16) ^ (data[i + 3] << 24), 16777619);
      }
      out.push({ id: c.id, width: c.width, height: c.height, inked, colours: colours.size, hash: (h >>> 0).toString(16) });
    }
    return out;
  });
}

export interface Bundle {
  js: string;
  css: string;
}

let built: Promise<Bundle> | undefined;

/**
 * The webview bundle built in memory from the current sources, with the same
 * options as esbuild.mjs's webview entry. (dist/ is shared with everyone's
 * builds in this tree, so the tests do not trust its timestamps.) Writes
 * dist/webview.{js,css} too when they are missing, for the CLI under test.
 */
export function buildWebviewBundle(): Promise<Bundle> {
  built ??= (async () => {
    const esbuild = await import('esbuild');
    const out = join(ROOT, 'dist/webview.js');
    const r = await esbuild.build({
      entryPoints: [join(ROOT, 'webview/src/main.ts')],
      outfile: out,
      bundle: true,
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      logLevel: 'warning',
      legalComments: 'none',
      write: false,
    });
    const js = r.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
    const css = r.outputFiles.find((f) => f.path.endsWith('.css'))?.text ?? '';
    if (!existsSync(out) || !existsSync(join(ROOT, 'dist/webview.css'))) {
      mkdirSync(join(ROOT, 'dist'), { recursive: true });
      writeFileSync(out, js);
      writeFileSync(join(ROOT, 'dist/webview.css'), css);
    }
    return { js, css };
  })();
  return built;
}
