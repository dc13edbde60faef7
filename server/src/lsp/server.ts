// The moeplan language server. `startServer(connection)` wires document sync,
// the per-document debounce, fast analysis (parse, resolve, semantic checks)
// and the feature modules (one file per LSP feature) to a connection; main.ts
// creates the connection for IPC or stdio, tests may pass their own.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type Connection,
  type ClientCapabilities,
  type Diagnostic as LspDiagnostic,
  type InitializeParams,
  type InitializeResult,
  DidChangeConfigurationNotification,
  TextDocuments,
  TextDocumentSyncKind,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { ServerTimingsRequest, SolveRequest, WorkspaceTrustNotification, onNotification, onRequest, type SolveParams } from '../protocol';
import { analysisErrorDiagnostic, solverDiagnostics } from '../feedback/diagnostics';
import { analyseText, type FastAnalysis } from './fastAnalysis';
import type { Published, ServerContext } from './context';
import { toLspDiagnostic } from './convert';
import { Debouncer } from './debounce';
import { logger, safely, type Logger } from './safe';
import { DEFAULT_SETTINGS, readSettings, type ServerSettings } from './settings';
import { SolveManager } from './solveManager';
import { WorkspaceTrust } from './trust';
import { Timings } from './timings';
import { workerStarter, type AnalysisStarter } from './analysisStarter';
import * as completion from './completion';
import * as hover from './hover';
import * as semanticTokens from './semanticTokens';
import * as symbols from './symbols';
import * as formatting from './formatting';
import * as definition from './definition';
import * as codeLens from './codeLens';
import * as inlayHints from './inlayHints';
import * as codeActions from './codeActions';
import * as custom from './custom';
import { VERSION } from '../version';

interface ServerOptions {
  /** Starts analyses (tests inject one); default: the worker-thread analysis module. */
  starter?: AnalysisStarter;
  /** Debounce of fast work after a change, ms. */
  debounceMs?: number;
}

const DEFAULT_DEBOUNCE_MS = 200;

/** What the client said at initialisation and since: its capabilities, the settings, the workspace's trust. */
interface Session {
  settings: ServerSettings;
  clientCaps: ClientCapabilities;
  /** The client answers `workspace/configuration`, so settings are pulled rather than pushed. */
  configPull: boolean;
  readonly trust: WorkspaceTrust;
}

/** Each open document's fast analysis, the diagnostics published for it, and the timings of both. */
interface DocumentState {
  fast(uri: string): FastAnalysis | undefined;
  publish(uri: string): void;
  /** Fast work after a (debounced) change, and a solve too when `solveToo`. */
  validate(uri: string, solveToo: boolean): void;
  readonly fastCache: Map<string, FastAnalysis>;
  /** When each document last changed, for the change-to-diagnostics timing. */
  readonly changedAt: Map<string, number>;
  readonly published: Map<string, Published>;
}

export function startServer(connection: Connection, options: ServerOptions = {}): { dispose(): void } {
  const log = logger(connection);
  const documents = new TextDocuments(TextDocument);
  const debounceMs = options.debounceMs ?? (Number(process.env.MOEPLAN_DEBOUNCE_MS) || DEFAULT_DEBOUNCE_MS);
  const debouncer = new Debouncer(debounceMs);
  const timings = new Timings(debounceMs);
  const session: Session = { settings: DEFAULT_SETTINGS, clientCaps: {}, configPull: false, trust: new WorkspaceTrust() };

  // What the solve manager and the features read of the session.
  const sessionView = {
    settings: () => session.settings,
    trusted: () => session.trust.trusted,
    readable: (path: string) => session.trust.readable(path),
  };
  const solves = new SolveManager({
    connection,
    log,
    timings,
    ...sessionView,
    canRefresh: () => ({
      codeLens: session.clientCaps.workspace?.codeLens?.refreshSupport === true,
      inlayHint: session.clientCaps.workspace?.inlayHint?.refreshSupport === true,
    }),
    onEntry: (uri) => state.publish(uri),
    starter: options.starter ?? workerStarter,
  });
  const state = documentState(connection, documents, session, solves, timings, log);

  listenForSessionChanges(connection, documents, session, state, log);
  listenForDocuments(documents, connection, session, state, solves, debouncer);
  onRequest(
    connection,
    SolveRequest,
    safely(log, 'solve', null, async (p: SolveParams) => {
      debouncer.flush(p.uri, () => state.validate(p.uri, false));
      const a = state.fast(p.uri);
      if (!a) return { uri: p.uri, version: -1, ms: 0, error: { kind: 'not-open' as const, message: 'the plan is not open in the editor' } };
      return solves.request(a, true);
    }),
  );
  onRequest(connection, ServerTimingsRequest, (p) => timings.snapshot(p?.reset === true));

  const ctx: ServerContext = {
    connection,
    documents,
    log,
    ...sessionView,
    fast: state.fast,
    solves,
    timings,
    capabilities: () => session.clientCaps,
    publish: state.publish,
    published: state.published,
  };
  const features = [completion, hover, semanticTokens, symbols, formatting, definition, codeLens, inlayHints, codeActions, custom];
  for (const feature of features) feature.register(ctx);

  documents.listen(connection);
  const dispose = () => {
    debouncer.dispose();
    solves.dispose();
    timings.dispose();
  };
  connection.onShutdown(dispose);
  return { dispose };
}

/** The fast analysis of each document's current version (cached per version), and publishing its diagnostics. */
function documentState(
  connection: Connection,
  documents: TextDocuments<TextDocument>,
  session: Session,
  solves: SolveManager,
  timings: Timings,
  log: Logger,
): DocumentState {
  const fastCache = new Map<string, FastAnalysis>();
  const changedAt = new Map<string, number>();
  const published = new Map<string, Published>();

  const fast = (uri: string): FastAnalysis | undefined => {
    const doc = documents.get(uri);
    if (!doc) return undefined;
    const cached = fastCache.get(uri);
    if (cached && cached.version === doc.version) return cached;
    // The superseded analysis leaves the cache first; its parse is re-used where the text did not change.
    fastCache.delete(uri);
    const a = analyseText(uri, doc.version, uriToPath(uri), doc.getText(), {
      // Untrusted: do not even probe the file system outside the workspace (links followed).
      fileExists: (abs) => {
        const readable = session.trust.readable(abs);
        return readable === undefined ? true : existsSync(readable);
      },
      previous: cached,
    });
    timings.add(timings.fastMs, a.ms);
    fastCache.set(uri, a);
    return a;
  };

  const publish = (uri: string): void => {
    const t0 = performance.now();
    const a = fast(uri);
    if (!a) return;
    const list: Published['list'] = a.diagnostics.map((core) => ({ core, source: 'core' as const }));
    const entry = solves.entry(uri);
    if (a.plan) {
      if (entry?.results) {
        try {
          for (const core of solverDiagnostics(a.plan, entry.results, { slowerThresholdPct: session.settings.slowerThresholdPct })) {
            list.push({ core, source: 'solver' });
          }
        } catch (e) {
          log(`moeplan: solver diagnostics failed: ${String(e)}`);
        }
      }
      if (entry?.error) list.push({ core: analysisErrorDiagnostic(a.plan, entry.error.kind, entry.error.message), source: 'solver' });
    }
    published.set(uri, { version: a.version, list });
    const diagnostics: LspDiagnostic[] = list.map((d, index) => toLspDiagnostic(d.core, uri, { index, version: a.version, source: d.source }));
    void connection.sendDiagnostics({ uri, version: a.version, diagnostics });
    timings.add(timings.validateMs, performance.now() - t0);
    const t = changedAt.get(uri);
    if (t !== undefined) {
      timings.add(timings.changeToDiagnosticsMs, performance.now() - t);
      changedAt.delete(uri);
    }
  };

  const validate = (uri: string, solveToo: boolean): void => {
    try {
      publish(uri);
      const a = fast(uri);
      if (solveToo && a?.plan && !a.diagnostics.some((d) => d.severity === 'error')) void solves.request(a, false);
    } catch (e) {
      log(`moeplan: validating ${uri} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  };

  return { fast, publish, validate, fastCache, changedAt, published };
}

/** What the server offers, answered to `initialize`. */
function serverCapabilities(): InitializeResult['capabilities'] {
  return {
    textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
    completionProvider: completion.options,
    hoverProvider: true,
    definitionProvider: true,
    documentSymbolProvider: true,
    foldingRangeProvider: true,
    documentFormattingProvider: true,
    documentRangeFormattingProvider: true,
    semanticTokensProvider: semanticTokens.options,
    codeLensProvider: { resolveProvider: false },
    inlayHintProvider: true,
    codeActionProvider: codeActions.options,
    workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
  };
}

/** Lifecycle, settings and trust: initialisation, workspace folders, configuration, the trust notification. */
function listenForSessionChanges(connection: Connection, documents: TextDocuments<TextDocument>, session: Session, state: DocumentState, log: Logger): void {
  const { trust } = session;
  connection.onInitialize((params: InitializeParams): InitializeResult => {
    session.clientCaps = params.capabilities;
    session.configPull = session.clientCaps.workspace?.configuration === true;
    const init = (params.initializationOptions ?? {}) as { trusted?: unknown; settings?: unknown };
    trust.setFromInit(init.trusted);
    if (init.settings) session.settings = readSettings(init.settings);
    const roots = (params.workspaceFolders ?? []).map((f) => uriToPath(f.uri));
    trust.setFolders(roots.length === 0 && params.rootUri ? [uriToPath(params.rootUri)] : roots);
    return {
      capabilities: serverCapabilities(),
      serverInfo: { name: 'moeplan', version: VERSION },
    };
  });

  const pullSettings = async (): Promise<void> => {
    try {
      const raw = await connection.workspace.getConfiguration('moeplan');
      session.settings = readSettings(raw);
      for (const d of documents.all()) state.publish(d.uri);
    } catch (e) {
      log(`moeplan: reading settings failed: ${String(e)}`);
    }
  };

  connection.onInitialized(() => {
    const caps = session.clientCaps;
    if (caps.workspace?.workspaceFolders) {
      // Roots decide which traces an untrusted workspace may read.
      connection.workspace.onDidChangeWorkspaceFolders((e) => {
        const removed = new Set(e.removed.map((f) => uriToPath(f.uri)));
        trust.setFolders([...trust.folders.filter((r) => !removed.has(r)), ...e.added.map((f) => uriToPath(f.uri))]);
      });
    }
    if (session.configPull) {
      if (caps.workspace?.didChangeConfiguration?.dynamicRegistration) {
        void connection.client.register(DidChangeConfigurationNotification.type, { section: 'moeplan' }).catch(() => undefined);
      }
      void pullSettings();
    }
  });

  connection.onDidChangeConfiguration((p) => {
    if (session.configPull) return void pullSettings();
    const s = (p.settings as { moeplan?: unknown } | undefined)?.moeplan;
    if (s) session.settings = readSettings(s);
    for (const d of documents.all()) state.publish(d.uri);
  });

  onNotification(connection, WorkspaceTrustNotification, (p) => {
    trust.set(p.trusted);
  });
}

/** Document sync: open and save analyse and solve, a change analyses after the debounce, close forgets. */
function listenForDocuments(
  documents: TextDocuments<TextDocument>,
  connection: Connection,
  session: Session,
  state: DocumentState,
  solves: SolveManager,
  debouncer: Debouncer,
): void {
  documents.onDidOpen((e) => {
    // Opening shows fast results at once, and solves unless untrusted (cached after the first time).
    state.changedAt.set(e.document.uri, performance.now());
    state.validate(e.document.uri, true);
  });
  documents.onDidChangeContent((e) => {
    const uri = e.document.uri;
    // didOpen also fires this event; the open handler has analysed that version already.
    if (state.fastCache.get(uri)?.version === e.document.version) return;
    state.changedAt.set(uri, performance.now());
    debouncer.schedule(uri, () => state.validate(uri, session.settings.run === 'onType'));
  });
  documents.onDidSave((e) => {
    const uri = e.document.uri;
    debouncer.flush(uri, () => state.validate(uri, false));
    const a = state.fast(uri);
    if (a) void solves.request(a, false);
  });
  documents.onDidClose((e) => {
    const uri = e.document.uri;
    debouncer.cancel(uri);
    solves.forget(uri);
    state.fastCache.delete(uri);
    state.published.delete(uri);
    state.changedAt.delete(uri);
    void connection.sendDiagnostics({ uri, diagnostics: [] });
  });
}

function uriToPath(uri: string): string {
  if (uri.startsWith('file:')) {
    try {
      return fileURLToPath(uri);
    } catch {
      return uri;
    }
  }
  return uri;
}
