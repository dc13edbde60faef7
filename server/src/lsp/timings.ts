// Server-side timings for the protocol tests and the benchmark
// (`moeplan/timings`), plus the main thread's event-loop delay.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { ServerTimingsResponse } from '../protocol';

const MAX_SAMPLES = 10_000;

export class Timings {
  fastMs: number[] = [];
  validateMs: number[] = [];
  changeToDiagnosticsMs: number[] = [];
  hoverMs: number[] = [];
  solveMs: number[] = [];
  resultsSendMs: number[] = [];
  private loop: IntervalHistogram;

  constructor(readonly debounceMs: number) {
    this.loop = monitorEventLoopDelay({ resolution: 5 });
    this.loop.enable();
    // Don't keep a finished server alive for the histogram's sake.
  }

  add(list: number[], ms: number): void {
    if (list.length >= MAX_SAMPLES) list.shift();
    list.push(ms);
  }

  snapshot(reset: boolean): ServerTimingsResponse {
    const r: ServerTimingsResponse = {
      fastMs: [...this.fastMs],
      validateMs: [...this.validateMs],
      changeToDiagnosticsMs: [...this.changeToDiagnosticsMs],
      hoverMs: [...this.hoverMs],
      solveMs: [...this.solveMs],
      resultsSendMs: [...this.resultsSendMs],
      debounceMs: this.debounceMs,
      eventLoopMaxMs: this.loop.max / 1e6,
      eventLoopP99Ms: this.loop.percentile(99) / 1e6,
    };
    if (reset) {
      this.fastMs = [];
      this.validateMs = [];
      this.changeToDiagnosticsMs = [];
      this.hoverMs = [];
      this.solveMs = [];
      this.resultsSendMs = [];
      this.loop.reset();
    }
    return r;
  }

  dispose(): void {
    this.loop.disable();
  }
}
