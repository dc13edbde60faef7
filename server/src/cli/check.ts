// Placeholder until the owner of `moeplan check` lands it.
import type { CliIo } from './io';

export async function runCheck(_args: string[], io: CliIo): Promise<number> {
  io.err('moeplan check: not built yet\n');
  return 2;
}
