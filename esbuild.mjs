// Bundles every entry point. `node esbuild.mjs` is the development build
// (source maps next to the bundles); `--production` (run by `vscode:prepublish`,
// so `vsce package` always ships it) minifies and writes no source maps, so no
// `sourceMappingURL` line points at a file the .vsix leaves out.
// `node esbuild.mjs --watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

/** @type {{in: string, out: string, platform: 'node'|'browser', format: 'cjs'|'iife', external?: string[]}[]} */
const entries = [
  // Command-line tool (bin/moeplan.js loads it).
  { in: 'server/src/cli/main.ts', out: 'dist/cli.js', platform: 'node', format: 'cjs' },
  // Language server: `node dist/server.js --stdio` or IPC from the client. Also
  // the analysis workers' entry (worker threads run server/src/analysis/worker.ts
  // from it), so the code both use ships once.
  { in: 'server/src/lsp/main.ts', out: 'dist/server.js', platform: 'node', format: 'cjs' },
  // VS Code extension client; `vscode` is provided by the editor.
  { in: 'client/src/extension.ts', out: 'dist/client.js', platform: 'node', format: 'cjs', external: ['vscode'] },
  // Placement view (webview and HTML report): browser bundle, chart.js inlined.
  { in: 'webview/src/main.ts', out: 'dist/webview.js', platform: 'browser', format: 'iife' },
];

// A missing entry is a broken tree, not a smaller build: fail before bundling.
const missing = entries.filter((e) => !existsSync(e.in)).map((e) => e.in);
if (missing.length) {
  console.error(`esbuild.mjs: missing entry point${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  process.exit(1);
}

const options = entries.map((e) => ({
  entryPoints: [e.in],
  outfile: e.out,
  bundle: true,
  platform: e.platform,
  format: e.format,
  target: e.platform === 'node' ? 'node20' : 'es2022',
  external: e.external ?? [],
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
  // The version shown by `moeplan --version`, the server's serverInfo and the client (server/src/version.ts).
  define: { MOEPLAN_BUILD_VERSION: JSON.stringify(version) },
}));

// Maps of an earlier development build would sit next to minified bundles they do not describe.
// dist/worker.js is from builds before the workers ran from dist/server.js.
for (const f of existsSync('dist') ? readdirSync('dist') : []) {
  if ((production && f.endsWith('.map')) || f.startsWith('worker.js')) rmSync(`dist/${f}`);
}

await writeContributions();

if (watch) {
  for (const o of options) (await esbuild.context(o)).watch();
} else {
  await Promise.all(options.map((o) => esbuild.build(o)));
}

/**
 * Rewrites the grammar's word patterns and package.json's enums from the plan
 * vocabulary (scripts/contributions.ts) when they differ, so a new keyword,
 * preset or policy is one edit.
 */
async function writeContributions() {
  const built = await esbuild.build({
    entryPoints: ['scripts/contributions.ts'],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    logLevel: 'warning',
  });
  const gen = await import('data:text/javascript;base64,' + Buffer.from(built.outputFiles[0].text).toString('base64'));
  for (const [file, update] of [
    ['syntaxes/moeplan.tmLanguage.json', gen.grammarWith],
    ['package.json', gen.packageWith],
  ]) {
    const text = readFileSync(file, 'utf8');
    const next = gen.jsonText(update(JSON.parse(text)));
    if (next !== text) {
      writeFileSync(file, next);
      console.log(`esbuild.mjs: wrote ${file} from the plan vocabulary`);
    }
  }
}
