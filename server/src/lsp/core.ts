// The one place the server calls the language/plan core for fast work, so a
// change of the core's API touches one file. Everything here is synchronous
// and takes milliseconds: it runs on the main thread on every (debounced) edit.
import type { Document, Token } from '../language/ast';
import type { Diagnostic as CoreDiagnostic } from '../language/diagnostic';
import type { Plan } from '../plan/types';

export interface FastAnalysis {
  uri: string;
  version: number;
  /** Absolute path of the plan (for relative trace paths). */
  file: string;
  text: string;
  ast?: Document;
  tokens: Token[];
  /** Undefined when the plan has errors that stop resolution. */
  plan?: Plan;
  diagnostics: CoreDiagnostic[];
  /** Main-thread time spent, ms. */
  ms: number;
}

export function analyseText(uri: string, version: number, file: string, text: string): FastAnalysis {
  const t0 = performance.now();
  // Wired to the parser and resolver as they land (server/src/language, server/src/plan).
  return { uri, version, file, text, tokens: [], diagnostics: [], ms: performance.now() - t0 };
}

/** Formats a whole plan; undefined when the core cannot (e.g. syntax errors). */
export function formatPlanText(_text: string): string | undefined {
  return undefined;
}

/** The plan text with these layers written as committed placement. */
export function writePlacementText(_text: string, _layers: { layer: number; placement: number[][] }[]): string | undefined {
  return undefined;
}
