// Placeholder until the owner of `moeplan solve` lands it.
import type { CliIo } from './io';

export async function runSolve(_args: string[], io: CliIo): Promise<number> {
  io.err('moeplan solve: not built yet\n');
  return 2;
}
