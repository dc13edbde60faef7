// `npm start`: build, package the extension (.vsix), set up code-server (cached
// under ${XDG_CACHE_HOME:-~/.cache}/moeplan-e2e, shared with the e2e tests),
// and open the examples folder in a real VS Code workbench on 127.0.0.1 with
// the extension installed. Runs until Ctrl+C, then stops everything it started.
// The work is in scripts/e2e/start.ts (TypeScript, loaded through tsx).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./e2e/start.ts');
process.exitCode = await main(process.argv.slice(2));
