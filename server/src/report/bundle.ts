// Finds the built placement-view bundle (dist/webview.js and dist/webview.css)
// that the report inlines: next to the running file when bundled into
// dist/cli.js, or at the repository's dist/ when run from source.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface WebviewBundle {
  js: string;
  css: string;
}

export class MissingBundleError extends Error {}

function webviewBundleDir(): string {
  const candidates = [__dirname, resolve(__dirname, '../../../dist'), resolve(__dirname, '../dist')];
  for (const dir of candidates) if (existsSync(join(dir, 'webview.js'))) return dir;
  throw new MissingBundleError(
    `the placement-view bundle (webview.js) was not found in ${candidates.join(' or ')}; run 'node esbuild.mjs' (or 'npm run build') first`,
  );
}

export function loadWebviewBundle(dir = webviewBundleDir()): WebviewBundle {
  const js = readFileSync(join(dir, 'webview.js'), 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
  const cssPath = join(dir, 'webview.css');
  const css = existsSync(cssPath) ? readFileSync(cssPath, 'utf8').replace(/\/\*# sourceMappingURL=\S+ \*\/\s*$/, '') : '';
  return { js, css };
}
