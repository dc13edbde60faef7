// `npm run bench`: runs every bench/*.bench.ts in turn (or those named on the
// command line, e.g. `npm run bench -- parse solve`). Each prints its own
// figures; a benchmark never fails the build, it reports.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = __dirname;
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();

(async () => {
  for (const f of files) {
    console.log(`\n=== ${f.replace('.bench.ts', '')} ===`);
    const t0 = performance.now();
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { run: () => Promise<void> };
    await mod.run();
    console.log(`(${f}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
