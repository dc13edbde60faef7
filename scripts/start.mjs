// `npm start`: build, package the extension (.vsix), set up code-server (cached
// under ${XDG_CACHE_HOME:-~/.cache}/moeplan-e2e, shared with the e2e tests),
// and open the examples folder in a real VS Code workbench on 127.0.0.1 with
// the extension installed. Runs until Ctrl+C, then stops everything it started.
// The work is in scripts/e2e/start.ts (TypeScript, loaded through tsx).
// The .ts files are CommonJS (package.json has no "type"), so load them
// through tsx's require hook.
import { createRequire } from 'node:module';
import { register } from 'tsx/cjs/api';

register();
const require = createRequire(import.meta.url);
const { main } = require('./e2e/start.ts');
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`[moeplan start] failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
