// A small pool of analysis workers. Jobs are queued and handed to the first
// idle worker; terminate() stops everything at once (cancellation).
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkerJob, WorkerReply, WorkerRequest } from './messages';
import type { ReadProgress } from '../workload/types';

/** A failure reported by a worker, with the original error's class name. */
export class WorkerJobError extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The file worker threads run: dist/server.js when bundled (the language
 * server's bundle serves analysis jobs when started as a worker thread; the
 * CLI's bundle sits next to it), the TypeScript entry under tsx otherwise.
 */
function workerEntry(): { file: string; eval: boolean } {
  // Benchmarks run from sources but may measure the bundled worker.
  const forced = process.env.MOEPLAN_WORKER_JS;
  if (forced && existsSync(forced)) return { file: forced, eval: false };
  const js = join(__dirname, 'server.js');
  if (existsSync(js)) return { file: js, eval: false };
  const ts = join(__dirname, 'worker.ts');
  // Under tsx (tests, benchmarks): register tsx's CommonJS hook inside the
  // worker, then load the TypeScript entry (execArgv --import does not carry
  // the loader hooks into workers on Node 20).
  if (existsSync(ts)) return { file: `require('tsx/cjs'); require(${JSON.stringify(ts)});`, eval: true };
  const dist = join(__dirname, '..', '..', '..', 'dist', 'server.js');
  if (existsSync(dist)) return { file: dist, eval: false };
  throw new Error(`analysis worker not found next to ${__dirname} (build with 'node esbuild.mjs')`);
}

interface Pending {
  /** The job, or a function that makes it when a worker is free (late budgets). */
  job: WorkerJob | (() => WorkerJob);
  resolve(v: unknown): void;
  reject(e: Error): void;
  onProgress?: (p: ReadProgress) => void;
}

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { id: number; p: Pending }[] = [];
  private readonly running = new Map<Worker, { id: number; p: Pending }>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly requested: number) {
    const size = requested;
    const entry = workerEntry();
    for (let i = 0; i < size; i++) {
      const w = new Worker(entry.file, { eval: entry.eval });
      w.on('message', (r: WorkerReply) => this.onReply(w, r));
      w.on('error', (e) => this.onCrash(w, e));
      w.on('exit', (code) => {
        if (!this.closed) this.onCrash(w, new Error(`analysis worker exited (code ${code})`));
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /** Queues a job; `onProgress` hears the progress a job reports while it runs. */
  run<T>(job: WorkerJob | (() => WorkerJob), onProgress?: (p: ReadProgress) => void): Promise<T> {
    if (this.closed) return Promise.reject(new WorkerJobError('cancelled', 'analysis cancelled'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, p: { job, resolve: resolve as (v: unknown) => void, reject, onProgress } });
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.shift()!;
      const item = this.queue.shift()!;
      this.running.set(w, item);
      const job = typeof item.p.job === 'function' ? item.p.job() : item.p.job;
      w.postMessage({ id: item.id, job } satisfies WorkerRequest);
    }
  }

  private onReply(w: Worker, r: WorkerReply): void {
    const item = this.running.get(w);
    if (!item || item.id !== r.id) return;
    if ('progress' in r) {
      item.p.onProgress?.(r.progress);
      return;
    }
    this.running.delete(w);
    this.idle.push(w);
    if (r.ok) item.p.resolve(r.value);
    else item.p.reject(new WorkerJobError(r.error.name, r.error.message));
    this.pump();
  }

  private onCrash(w: Worker, e: Error): void {
    const item = this.running.get(w);
    this.running.delete(w);
    const i = this.workers.indexOf(w);
    if (i >= 0) this.workers.splice(i, 1);
    if (item) item.p.reject(new WorkerJobError('crash', `analysis worker failed: ${e.message}`));
    if (this.workers.length === 0) this.failAll(new WorkerJobError('crash', `analysis workers failed: ${e.message}`));
  }

  private failAll(e: Error): void {
    for (const { p } of this.queue.splice(0)) p.reject(e);
    for (const [, { p }] of this.running) p.reject(e);
    this.running.clear();
  }

  /** Stops every worker; pending and running jobs reject as cancelled. */
  terminate(reason = 'analysis cancelled'): void {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new WorkerJobError('cancelled', reason));
    for (const w of this.workers) void w.terminate();
  }

  /** Alive, every worker up, nothing queued or running: fit to serve another analysis. */
  get reusable(): boolean {
    return !this.closed && this.workers.length === this.requested && this.running.size === 0 && this.queue.length === 0;
  }

  /** Kept warm for the next analysis: idle workers no longer keep the process alive. */
  park(): void {
    for (const w of this.workers) w.unref();
  }

  unpark(): void {
    for (const w of this.workers) w.ref();
  }

  /** Normal shutdown once all work is done. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.workers) void w.terminate();
  }
}
