// Child processes started by the e2e tooling, each in its own process group so
// that stopping it also stops what it spawned (extension host, language
// server, Chromium's helpers). Whatever happens — normal exit, an exception,
// Ctrl+C, SIGTERM from the test runner — every group still registered is killed.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const live = new Set<ChildProcess>();
let handlersInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // group already gone
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL is the only sure thing.
  process.on('exit', () => {
    for (const c of live) if (c.pid) killGroup(c.pid, 'SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      void stopAll().finally(() => process.exit(sig === 'SIGINT' ? 130 : sig === 'SIGTERM' ? 143 : 129));
    });
  }
}

/** Spawns `cmd` as the leader of a new process group and tracks it until stopped. */
export function spawnTracked(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  installHandlers();
  const child = spawn(cmd, args, { ...opts, detached: true });
  if (child.pid === undefined) {
    // spawn failed (ENOENT etc.); the 'error' event tells the caller why.
    return child;
  }
  live.add(child);
  child.on('exit', () => {
    // The leader may exit before its children; keep tracking until the group is gone.
    if (child.pid && !groupAlive(child.pid)) live.delete(child);
  });
  return child;
}

/**
 * Stops the process group led by `child`: SIGTERM, then SIGKILL after
 * `graceMs`; resolves once no process of the group is left.
 */
export async function stopTracked(child: ChildProcess, graceMs = 5_000): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  killGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(pid) && Date.now() < deadline) await pause(50);
  if (groupAlive(pid)) killGroup(pid, 'SIGKILL');
  const hardDeadline = Date.now() + 5_000;
  while (groupAlive(pid) && Date.now() < hardDeadline) await pause(50);
  live.delete(child);
  if (groupAlive(pid)) throw new Error(`process group ${pid} survived SIGKILL`);
}

/** Stops every tracked process group. */
export async function stopAll(): Promise<void> {
  await Promise.allSettled([...live].map((c) => stopTracked(c, 2_000)));
}

/** PIDs of groups still tracked (tests assert this is empty at the end). */
export function trackedPids(): number[] {
  return [...live].map((c) => c.pid!).filter((p) => p !== undefined);
}

/** Polling interval helper: used only between checks of a real condition. */
export function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await pause(intervalMs);
  }
}
