// Drives the BUNDLED language server (dist/server.js --stdio) over its stdio
// with vscode-languageserver-protocol, as an editor would. Waits on the
// server's notifications (publishDiagnostics, moeplan/resultsReady), never on
// sleeps. Build first: `node esbuild.mjs`.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  InitializeRequest,
  InitializedNotification,
  DidOpenTextDocumentNotification,
  DidChangeTextDocumentNotification,
  DidSaveTextDocumentNotification,
  DidCloseTextDocumentNotification,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  ExitNotification,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type InitializeResult,
  type ClientCapabilities,
} from 'vscode-languageserver-protocol/node';
import {
  ResultsReadyNotification,
  SolveStateNotification,
  onNotification,
  sendRequest,
  type RequestMethod,
  type ResultsReadyParams,
  type SolveStateParams,
} from '../../server/src/protocol';

export const ROOT = join(__dirname, '..', '..');
export const SERVER = join(ROOT, 'dist', 'server.js');

type Waiter<T> = { match: (x: T) => boolean; resolve: (x: T) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/** A stream of notifications of one kind, with `next(match)` that resolves on the first match from now on (or an earlier unconsumed one). */
class Inbox<T> {
  readonly all: T[] = [];
  private unread: T[] = [];
  private waiters: Waiter<T>[] = [];

  push(x: T): void {
    this.all.push(x);
    const w = this.waiters.find((w) => w.match(x));
    if (w) {
      clearTimeout(w.timer);
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(x);
    } else this.unread.push(x);
  }

  next(match: (x: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
    const i = this.unread.findIndex(match);
    if (i >= 0) return Promise.resolve(this.unread.splice(i, 1)[0]!);
    return new Promise<T>((resolve, reject) => {
      // A safety net so a broken server fails the test instead of hanging it.
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      this.waiters.push({ match, resolve, reject, timer });
    });
  }

  /** Forget everything received so far (wait only for what comes next). */
  drain(): void {
    this.unread = [];
  }

  close(why = 'connection closed'): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new Error(why));
    }
    this.waiters = [];
  }
}

export interface StartOptions {
  settings?: Record<string, unknown>;
  trusted?: boolean;
  /** Sent as initializationOptions.trusted as is (a wrong type, say), instead of `trusted`. */
  trustedValue?: unknown;
  env?: Record<string, string>;
  workspace?: string;
  capabilities?: ClientCapabilities;
  /** Node options for the server process (e.g. --cpu-prof). */
  execArgv?: string[];
}

export class LspClient {
  readonly diagnostics = new Inbox<PublishDiagnosticsParams>();
  readonly results = new Inbox<ResultsReadyParams>();
  readonly states = new Inbox<SolveStateParams>();
  readonly logs: string[] = [];
  readonly appliedEdits: unknown[] = [];
  /** `$/progress` values by token, in order (begin, report…, end). */
  readonly progress = new Map<string, { kind: string; percentage?: number; title?: string }[]>();
  private versions = new Map<string, number>();
  initializeResult!: InitializeResult;

  private constructor(
    readonly child: ChildProcessWithoutNullStreams,
    readonly conn: ProtocolConnection,
  ) {}

  static async start(opts: StartOptions = {}): Promise<LspClient> {
    if (!existsSync(SERVER)) throw new Error(`${SERVER} is missing: run \`node esbuild.mjs\` first`);
    const child = spawn(process.execPath, [...(opts.execArgv ?? []), SERVER, '--stdio'], {
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const conn = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    const c = new LspClient(child, conn);
    child.stderr.on('data', (d: Buffer) => c.logs.push(d.toString()));
    // A server that dies fails the waits at once, with what it printed.
    child.on('exit', (code, signal) => {
      if (c.stopping) return;
      const why = `the server exited (${code ?? signal}): ${c.logs.join('').slice(-2000)}`;
      c.diagnostics.close(why);
      c.results.close(why);
      c.states.close(why);
    });
    conn.onNotification(PublishDiagnosticsNotification.type, (p) => c.diagnostics.push(p));
    onNotification(conn, ResultsReadyNotification, (p) => c.results.push(p));
    onNotification(conn, SolveStateNotification, (p) => c.states.push(p));
    conn.onNotification('window/logMessage', (p: { message: string }) => c.logs.push(p.message));
    conn.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) =>
      p.items.map((i) => (i.section === 'moeplan' ? (opts.settings ?? {}) : null)),
    );
    conn.onRequest('window/workDoneProgress/create', () => null);
    conn.onNotification('$/progress', (p: { token: string | number; value: { kind: string; percentage?: number; title?: string } }) => {
      const list = c.progress.get(String(p.token)) ?? [];
      list.push(p.value);
      c.progress.set(String(p.token), list);
    });
    conn.onRequest('client/registerCapability', () => null);
    conn.onRequest('workspace/codeLens/refresh', () => null);
    conn.onRequest('workspace/inlayHint/refresh', () => null);
    conn.onRequest('workspace/applyEdit', (p: unknown) => {
      c.appliedEdits.push(p);
      return { applied: true };
    });
    conn.listen();
    const workspace = opts.workspace ?? ROOT;
    c.initializeResult = await conn.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: pathToFileURL(workspace).href,
      workspaceFolders: [{ uri: pathToFileURL(workspace).href, name: 'ws' }],
      capabilities: opts.capabilities ?? {
        workspace: { configuration: true, codeLens: { refreshSupport: true }, inlayHint: { refreshSupport: true }, applyEdit: true },
        window: { workDoneProgress: true },
        textDocument: { publishDiagnostics: { relatedInformation: true, versionSupport: true, codeDescriptionSupport: true, dataSupport: true } },
      },
      initializationOptions: { trusted: 'trustedValue' in opts ? opts.trustedValue : (opts.trusted ?? true), settings: opts.settings },
    });
    await conn.sendNotification(InitializedNotification.type, {});
    return c;
  }

  async open(uri: string, text: string): Promise<void> {
    this.versions.set(uri, 1);
    await this.conn.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: 'moeplan', version: 1, text },
    });
  }

  /** Replaces the whole text; returns the new version. */
  async change(uri: string, text: string): Promise<number> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    await this.conn.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version },
      contentChanges: [{ text }],
    });
    return version;
  }

  async save(uri: string): Promise<void> {
    await this.conn.sendNotification(DidSaveTextDocumentNotification.type, { textDocument: { uri } });
  }

  async close(uri: string): Promise<void> {
    await this.conn.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  version(uri: string): number {
    return this.versions.get(uri) ?? 0;
  }

  /** Diagnostics for `uri` at exactly `version` (optionally with a predicate). */
  diagnosticsFor(uri: string, version: number, match: (p: PublishDiagnosticsParams) => boolean = () => true): Promise<PublishDiagnosticsParams> {
    return this.diagnostics.next((p) => p.uri === uri && p.version === version && match(p), `diagnostics for ${uri}@${version}`);
  }

  resultsFor(uri: string, version: number, timeoutMs?: number): Promise<ResultsReadyParams> {
    return this.results.next((p) => p.uri === uri && p.version === version, `results for ${uri}@${version}`, timeoutMs);
  }

  /** A standard LSP request, by name. */
  request<R>(method: string, params: unknown): Promise<R> {
    return this.conn.sendRequest(method, params) as Promise<R>;
  }

  /** A moeplan request, typed by its declaration in protocol.ts. */
  call<P, R>(m: RequestMethod<P, R>, params: P): Promise<R> {
    return sendRequest(this.conn, m, params);
  }

  stopping = false;

  async stop(): Promise<void> {
    this.stopping = true;
    try {
      await Promise.race([
        this.conn.sendRequest(ShutdownRequest.type).then(() => this.conn.sendNotification(ExitNotification.type)),
        new Promise((r) => setTimeout(r, 2000)),
      ]);
    } catch {
      // already gone
    }
    this.diagnostics.close();
    this.results.close();
    this.states.close();
    this.conn.dispose();
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      const t = setTimeout(() => this.child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(t);
    }
  }
}

export function fileUri(path: string): string {
  return pathToFileURL(path).href;
}
