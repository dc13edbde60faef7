// Slow work: trace ingestion, cost model and solvers, run by the analysis
// module on worker threads. One job per document; a newer version cancels
// the running job (superseded); results are cached by document version,
// trace file identity and the solver settings. A crash or time-out becomes a
// stored error (shown as a diagnostic), never an exception here.
import type { Connection, WorkDoneProgressServerReporter } from 'vscode-languageserver';
import { CodeLensRefreshRequest, InlayHintRefreshRequest } from 'vscode-languageserver';
import type { Plan } from '../plan/types';
import type { PlanResults, ResultsReadyParams, SolveStateParams, SolveError } from '../protocol';
import { ResultsReadyNotification, SolveStateNotification, sendNotification } from '../protocol';
import type { FastAnalysis } from './fastAnalysis';
import type { Logger } from './safe';
import type { ServerSettings } from './settings';
import type { Timings } from './timings';
import type { AnalysisStarter } from './analysisStarter';
import { wireResults } from './wire';
import { timerDelay } from './timerDelay';
import { gateTraces } from './traceGate';

interface SolveEntry {
  uri: string;
  version: number;
  key: string;
  results?: PlanResults;
  /** `results` as sent to clients (see wire.ts). */
  wire?: PlanResults;
  error?: SolveError;
  ms: number;
  /** When the entry was made (Date.now()). */
  at: number;
}

interface Job {
  uri: string;
  version: number;
  key: string;
  superseded: boolean;
  cancel(): void;
  done: Promise<ResultsReadyParams>;
}

interface SolveManagerDeps {
  connection: Connection;
  log: Logger;
  timings: Timings;
  settings(): ServerSettings;
  trusted(): boolean;
  /** The path to read for `path`, or undefined when the workspace's trust forbids it (trust.ts). */
  readable(path: string): string | undefined;
  /** Whether the client can refresh lenses / inlay hints on request. */
  canRefresh(): { codeLens: boolean; inlayHint: boolean };
  /** Called after an entry is stored (publish diagnostics). */
  onEntry(uri: string): void;
  starter: AnalysisStarter;
}

const SUPERSEDED: SolveError = { kind: 'superseded', message: 'superseded by a newer version' };

/**
 * A job counts as hung after max(budget × 4, budget + 2 min): generous, since
 * a loaded machine slows everything. At most setTimeout's longest delay
 * (24.8 days): a plan's `time` of weeks must not make the watchdog fire at once.
 */
export function watchdogMs(budgetMs: number): number {
  const forced = Number(process.env.MOEPLAN_WATCHDOG_MS); // tests
  if (forced > 0) return timerDelay(forced);
  return timerDelay(Math.max(budgetMs * 4, budgetMs + 120_000));
}

export class SolveManager {
  private entries = new Map<string, SolveEntry>();
  private jobs = new Map<string, Job>();

  constructor(private deps: SolveManagerDeps) {}

  entry(uri: string): SolveEntry | undefined {
    return this.entries.get(uri);
  }

  running(uri: string): boolean {
    return this.jobs.has(uri);
  }

  forget(uri: string): void {
    this.cancel(uri);
    this.entries.delete(uri);
  }

  cancel(uri: string): void {
    const job = this.jobs.get(uri);
    if (!job) return;
    job.superseded = true;
    this.jobs.delete(uri);
    try {
      job.cancel();
    } catch (e) {
      this.deps.log(`moeplan: cancelling the analysis of ${uri} failed: ${String(e)}`);
    }
    this.state({ uri, state: 'cancelled' });
  }

  dispose(): void {
    for (const uri of [...this.jobs.keys()]) this.cancel(uri);
  }

  /**
   * Solves the document's current version unless cached. `explicit` = the user
   * asked (command / click): runs even in an untrusted workspace.
   */
  async request(fast: FastAnalysis, explicit: boolean): Promise<ResultsReadyParams> {
    const { uri, version } = fast;
    const started = performance.now();
    const plan = fast.plan;
    if (!plan) {
      const hasErrors = fast.diagnostics.some((d) => d.severity === 'error');
      return { uri, version, ms: 0, error: { kind: 'not-solvable', message: hasErrors ? 'the plan has errors; fix them to solve' : 'the plan is empty' } };
    }
    const settings = this.deps.settings();
    if (!this.deps.trusted() && !explicit) {
      this.state({ uri, state: 'queued' });
      return { uri, version, ms: 0, error: { kind: 'untrusted', message: 'untrusted workspace: run "moeplan: Solve Now" to solve' } };
    }

    const gate = await gateTraces(plan, settings, this.deps.readable);
    if (gate.refused) {
      this.cancel(uri);
      return this.store({ uri, version, key: `refused:${version}`, ms: 0, at: Date.now(), error: gate.refused }, started);
    }
    // The analysis reads the files the gate checked (their real paths when untrusted), not the paths again.
    const toRun = gate.plan;
    const key = `${version}|${gate.identity}|${settings.policy}|${settings.timeBudgetS}`;
    const cached = this.entries.get(uri);
    if (cached && cached.key === key && cached.results) {
      const p: ResultsReadyParams = { uri, version, results: cached.wire ?? cached.results, ms: cached.ms };
      sendNotification(this.deps.connection, ResultsReadyNotification, p);
      return p;
    }
    const running = this.jobs.get(uri);
    if (running && running.key === key) return running.done;
    if (running) this.cancel(uri);

    return this.start(this.deps.starter, toRun, fast, key, settings, started);
  }

  private start(starter: AnalysisStarter, plan: Plan, fast: FastAnalysis, key: string, settings: ServerSettings, started: number): Promise<ResultsReadyParams> {
    const { uri, version } = fast;
    let progress: WorkDoneProgressServerReporter | undefined;
    let lastFraction = -1;
    const budgetMs = editorBudgetMs(plan, settings);
    let handle: ReturnType<AnalysisStarter>;
    try {
      handle = starter(plan, {
        uri,
        version,
        policy: settings.policy === 'plan' ? undefined : settings.policy,
        timeBudgetMs: budgetMs,
        maxTraceBytes: settings.traceMaxSizeMB * 1024 * 1024,
        onProgress: (fraction, message) => {
          if (!progress) return;
          const pct = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
          if (pct === lastFraction) return;
          lastFraction = pct;
          if (message !== undefined) progress.report(pct, message);
          else progress.report(pct);
        },
      });
    } catch (e) {
      return Promise.resolve(this.store({ uri, version, key, ms: 0, at: Date.now(), error: { kind: 'failed', message: errorText(e) } }, started));
    }

    let watchdog: NodeJS.Timeout | undefined;
    const job: Job = {
      uri,
      version,
      key,
      superseded: false,
      cancel: () => {
        if (watchdog) clearTimeout(watchdog);
        progress?.done();
        handle.cancel();
      },
      done: undefined as unknown as Promise<ResultsReadyParams>,
    };
    this.jobs.set(uri, job);
    this.state({ uri, state: 'running' });
    void this.deps.connection.window
      .createWorkDoneProgress()
      .then((p) => {
        if (job.superseded || this.jobs.get(uri) !== job) return p.done();
        progress = p;
        p.begin('moeplan: solving', 0, fast.file.split(/[\\/]/).pop() ?? fast.file, false);
      })
      .catch(() => undefined);

    const timeout = new Promise<'timeout'>((resolve) => {
      watchdog = setTimeout(() => resolve('timeout'), watchdogMs(budgetMs));
    });
    job.done = Promise.race([handle.result, timeout]).then(
      (r) => {
        if (watchdog) clearTimeout(watchdog);
        if (job.superseded) return { uri, version, ms: performance.now() - started, error: SUPERSEDED };
        this.jobs.delete(uri);
        progress?.done();
        if (r === 'timeout') {
          try {
            handle.cancel();
          } catch {
            // already gone
          }
          const msg = `the analysis did not finish within ${Math.round(watchdogMs(budgetMs) / 1000)} s (solver budget ${Math.round(budgetMs / 1000)} s) and was stopped; lower the plan's \`time\` or moeplan.solver.timeBudget, or keep fewer subsets (max-subsets)`;
          return this.store({ uri, version, key, ms: performance.now() - started, at: Date.now(), error: { kind: 'timeout', message: msg } }, started);
        }
        const t0 = performance.now();
        const results: PlanResults = { ...r, uri, version };
        const wire = wireResults(results);
        const sent = this.store({ uri, version, key, results, wire, ms: performance.now() - started, at: Date.now() }, started);
        this.deps.timings.add(this.deps.timings.resultsSendMs, performance.now() - t0);
        return sent;
      },
      (e) => {
        if (watchdog) clearTimeout(watchdog);
        if (job.superseded) return { uri, version, ms: performance.now() - started, error: SUPERSEDED };
        this.jobs.delete(uri);
        progress?.done();
        return this.store({ uri, version, key, ms: performance.now() - started, at: Date.now(), error: { kind: 'failed', message: errorText(e) } }, started);
      },
    );
    return job.done;
  }

  private store(entry: SolveEntry, started: number): ResultsReadyParams {
    const previous = this.entries.get(entry.uri);
    // A failure keeps the last good results for hovers and lenses, with the error shown.
    if (entry.error && previous?.results && entry.error.kind !== 'refused' && entry.error.kind !== 'untrusted') {
      this.entries.set(entry.uri, { ...previous, error: entry.error, key: entry.key });
    } else {
      this.entries.set(entry.uri, entry);
    }
    this.deps.onEntry(entry.uri);
    const ms = performance.now() - started;
    this.deps.timings.add(this.deps.timings.solveMs, ms);
    const params: ResultsReadyParams = {
      uri: entry.uri,
      version: entry.version,
      results: entry.error ? undefined : (entry.wire ?? entry.results),
      error: entry.error,
      ms: entry.ms,
    };
    this.state({
      uri: entry.uri,
      state: entry.error ? 'failed' : 'done',
      ms: entry.ms,
      expectedTime: entry.results?.expectedTime,
      latencyUs: entry.results?.latencyUs,
      objective: entry.results?.objective?.name,
    });
    // Diagnostics went out above; serialising the results (up to a megabyte of
    // JSON for a DeepSeek-V3-scale plan) runs in a task of its own, so the
    // main thread is never blocked for both at once.
    setImmediate(() => {
      sendNotification(this.deps.connection, ResultsReadyNotification, params);
      this.refresh();
    });
    return params;
  }

  private refresh(): void {
    const can = this.deps.canRefresh();
    if (can.codeLens) void this.deps.connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
    if (can.inlayHint) void this.deps.connection.sendRequest(InlayHintRefreshRequest.type).catch(() => undefined);
  }

  private state(p: SolveStateParams): void {
    sendNotification(this.deps.connection, SolveStateNotification, p);
  }
}

/** The solver budget in the editor: the plan's, capped by moeplan.solver.timeBudget (0 = no cap). */
function editorBudgetMs(plan: Plan, settings: ServerSettings): number {
  const own = plan.placement.timeBudgetMs.value;
  return settings.timeBudgetS > 0 ? Math.min(own, settings.timeBudgetS * 1000) : own;
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message.replace(/^Error: /, '');
  return String(e);
}
