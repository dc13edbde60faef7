// Placeholder until the owner of `moeplan report` lands it.
import type { CliIo } from './io';

export async function runReport(_args: string[], io: CliIo): Promise<number> {
  io.err('moeplan report: not built yet\n');
  return 2;
}
