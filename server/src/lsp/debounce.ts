// Per-document debounce: the last change wins, earlier pending work is dropped.
import { timerDelay } from './timerDelay';
export class Debouncer {
  private timers = new Map<string, NodeJS.Timeout>();

  constructor(readonly delayMs: number) {}

  schedule(key: string, run: () => void): void {
    this.cancel(key);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        run();
      }, timerDelay(this.delayMs)),
    );
  }

  /** Runs pending work for `key` now (e.g. on save); true when there was some. */
  flush(key: string, run: () => void): boolean {
    const pending = this.timers.has(key);
    this.cancel(key);
    if (pending) run();
    return pending;
  }

  cancel(key: string): void {
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.delete(key);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
