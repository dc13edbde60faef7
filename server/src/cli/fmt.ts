// Placeholder until the owner of `moeplan fmt` lands it.
import type { CliIo } from './io';

export async function runFmt(_args: string[], io: CliIo): Promise<number> {
  io.err('moeplan fmt: not built yet\n');
  return 2;
}
