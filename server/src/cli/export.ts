// Placeholder until the owner of `moeplan export` lands it.
import type { CliIo } from './io';

export async function runExport(_args: string[], io: CliIo): Promise<number> {
  io.err('moeplan export: not built yet\n');
  return 2;
}
