// Shared state of one server instance, handed to each feature module.
import type { ClientCapabilities, Connection, TextDocuments } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { FastAnalysis } from './fastAnalysis';
import type { Logger } from './safe';
import type { ServerSettings } from './settings';
import type { SolveManager } from './solveManager';
import type { Timings } from './timings';
import type { Diagnostic as CoreDiagnostic } from '../language/diagnostic';

/** Diagnostics the server last published for a document, in core form (for code actions). */
export interface Published {
  version: number;
  list: { core: CoreDiagnostic; source: 'core' | 'solver' }[];
}

export interface ServerContext {
  connection: Connection;
  documents: TextDocuments<TextDocument>;
  log: Logger;
  settings(): ServerSettings;
  /** False in an untrusted workspace (client says so). */
  trusted(): boolean;
  /** The path to read for `path`, or undefined when the workspace's trust forbids it (see trust.ts). */
  readable(path: string): string | undefined;
  /** Fast analysis of the document's current version (cached per version). */
  fast(uri: string): FastAnalysis | undefined;
  solves: SolveManager;
  timings: Timings;
  capabilities(): ClientCapabilities;
  /** Re-publish diagnostics (fast + solver) for a document now. */
  publish(uri: string): void;
  /** What was last published per document. */
  published: Map<string, Published>;
}
