// The one place the server calls the language/plan core for fast work, so a
// change of the core's API touches one file. Everything here is synchronous
// and takes milliseconds: it runs on the main thread on every (debounced) edit.
import type { Document, Token } from '../language/ast';
import type { ParseResult } from '../language/parser';
import type { Diagnostic as CoreDiagnostic } from '../language/diagnostic';
import type { Plan } from '../plan/types';
import { checkText } from '../plan/check';
import { formatText } from '../language/formatter';
import { writeCommittedPlacement } from '../plan/edit';

export interface FastAnalysis {
  uri: string;
  version: number;
  /** Absolute path of the plan (for relative trace paths). */
  file: string;
  text: string;
  ast?: Document;
  tokens: Token[];
  /** The parse of `text`, which the next version's analysis re-reads only where it changed. */
  parse?: ParseResult;
  /** Undefined when the plan has errors that stop resolution. */
  plan?: Plan;
  diagnostics: CoreDiagnostic[];
  /** Main-thread time spent, ms. */
  ms: number;
}

interface AnalyseOptions {
  /** How the resolver tests that a trace exists (untrusted workspaces: never outside it). */
  fileExists?: (absPath: string) => boolean;
  /** The analysis of the document's previous version: its parse is reused where the text did not change. */
  previous?: FastAnalysis;
}

export function analyseText(uri: string, version: number, file: string, text: string, opts: AnalyseOptions = {}): FastAnalysis {
  const t0 = performance.now();
  let r: ReturnType<typeof checkText>;
  try {
    const prev = opts.previous?.parse ? { text: opts.previous.text, result: opts.previous.parse } : undefined;
    r = checkText(text, file, opts.fileExists ? { fileExists: opts.fileExists } : {}, prev);
  } catch (e) {
    // The core is written not to throw; if it does, say so where the user looks.
    const zero = { line: 0, character: 0 };
    const message = `Internal error while checking the plan: ${e instanceof Error ? e.message : String(e)}. Please report it with the file.`;
    return {
      uri,
      version,
      file,
      text,
      tokens: [],
      diagnostics: [{ range: { start: zero, end: zero }, severity: 'error', code: 'MP100', message }],
      ms: performance.now() - t0,
    };
  }
  const parsed = r.parse;
  return {
    uri,
    version,
    file,
    text,
    ast: parsed.document,
    parse: parsed,
    // On first use only: no feature reads the token list on the change path.
    get tokens() {
      return parsed.tokens;
    },
    plan: r.plan,
    diagnostics: r.diagnostics,
    ms: performance.now() - t0,
  };
}

/** Formats a whole plan; undefined when the core cannot (e.g. syntax errors). */
export function formatPlanText(text: string): string | undefined {
  const r = formatText(text);
  return 'text' in r ? r.text : undefined;
}

/** The plan text with these layers written as committed placement. */
export function writePlacementText(text: string, layers: { layer: number; placement: number[][] }[]): { text: string } | { error: string } {
  return writeCommittedPlacement(
    text,
    layers.map((l) => ({ layer: l.layer, gpus: l.placement })),
  );
}
