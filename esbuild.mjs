// Bundles every entry point. Entries that do not exist yet are skipped so the
// build works while the tree grows. `node esbuild.mjs --watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** @type {{in: string, out: string, platform: 'node'|'browser', format: 'cjs'|'iife', external?: string[]}[]} */
const entries = [
  // Command-line tool (bin/moeplan.js loads it).
  { in: 'server/src/cli/main.ts', out: 'dist/cli.js', platform: 'node', format: 'cjs' },
  // Language server: `node dist/server.js --stdio` or IPC from the client.
  { in: 'server/src/lsp/main.ts', out: 'dist/server.js', platform: 'node', format: 'cjs' },
  // Worker thread that runs solvers and the cost model off the main thread.
  { in: 'server/src/analysis/worker.ts', out: 'dist/worker.js', platform: 'node', format: 'cjs' },
  // VS Code extension client; `vscode` is provided by the editor.
  { in: 'client/src/extension.ts', out: 'dist/client.js', platform: 'node', format: 'cjs', external: ['vscode'] },
  // Placement view (webview and HTML report): browser bundle, chart.js inlined.
  { in: 'webview/src/main.ts', out: 'dist/webview.js', platform: 'browser', format: 'iife' },
];

const options = entries
  .filter((e) => existsSync(e.in))
  .map((e) => ({
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
    // Error classes are told apart by name across worker threads.
    keepNames: true,
  }));

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
