// The version of package.json. esbuild.mjs writes it into every bundle
// (`define`), so the CLI, the server's serverInfo and the extension show the
// version they were built from; under tsx (tests) it is read from package.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

declare const MOEPLAN_BUILD_VERSION: string | undefined;

export const VERSION: string =
  typeof MOEPLAN_BUILD_VERSION === 'string'
    ? MOEPLAN_BUILD_VERSION
    : (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
