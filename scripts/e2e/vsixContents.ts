// What a packaged .vsix holds, read with fflate (a dependency of the
// extension already): every entry's name and size, and the budget the
// packaged JavaScript is held to.
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';

/**
 * Most bytes of JavaScript the .vsix may carry (uncompressed). The minified
 * bundles come to about 1.43 MB: the language client alone is 0.45 MB
 * (vscode-languageclient with its protocol, jsonrpc, minimatch and semver),
 * the language server with the analysis workers 0.75 MB, the view 0.23 MB
 * (chart.js 0.18 MB). The 1.2 MB the packaging aimed at needs one of those
 * parts to shrink; this limit catches growth past today's size.
 */
export const PACKAGED_JS_LIMIT_BYTES = 1_500_000;

export interface VsixEntry {
  name: string;
  bytes: Uint8Array;
}

export function vsixEntries(vsix: string): VsixEntry[] {
  return Object.entries(unzipSync(readFileSync(vsix))).map(([name, bytes]) => ({ name, bytes }));
}

/** Total uncompressed bytes of the .js files in the package. */
export function packagedScriptBytes(entries: VsixEntry[]): number {
  return entries.filter((e) => e.name.endsWith('.js')).reduce((n, e) => n + e.bytes.length, 0);
}
