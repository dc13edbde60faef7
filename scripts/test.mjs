// `npm test`: build the bundles, type-check, lint, then run every test file with
// node's built-in test runner in one invocation (one summary for CI).
// Suites: test/unit (core and CLI), test/lsp (bundled server over stdio),
// test/webview (headless Chromium), test/e2e (code-server + Chromium, Neovim).
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const only = process.argv.slice(2); // e.g. `npm test -- unit lsp`

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    console.error(`\n${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

function testFiles(dir) {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  const out = [];
  for (const name of readdirSync(abs).sort()) {
    const p = join(abs, name);
    if (statSync(p).isDirectory()) out.push(...testFiles(join(dir, name)));
    else if (name.endsWith('.test.ts')) out.push(join(dir, name));
  }
  return out;
}

run(process.execPath, ['esbuild.mjs']);
run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', '.', '--noEmit']);
// ESLint (eslint.config.mjs): import cycles, unused code, typescript-eslint's rules.
// The cache re-lints changed files only; a cycle shows on the file whose edit made it.
run(process.execPath, [join(root, 'node_modules/eslint/bin/eslint.js'), '.', '--cache', '--cache-location', 'node_modules/.cache/eslint/']);
// Prettier (.prettierrc.json): the tree as the formatter writes it; `npm run format` fixes it.
run(process.execPath, [join(root, 'node_modules/prettier/bin/prettier.cjs'), '--check', '--log-level', 'warn', '.']);

const suites = only.length ? only : ['unit', 'lsp', 'webview', 'e2e'];
const files = suites.flatMap((s) => testFiles(join('test', s)));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
run(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files]);
