// One call for "what is wrong with this plan text": parse, resolve, and all
// diagnostics in document order. Used by the CLI, the language server and tests.
import { addOmitted, capDiagnostics, type Diagnostic } from '../language/diagnostic';
import { parse, type ParseResult } from '../language/parser';
import { reparse, type PreviousParse } from '../language/incremental';
import type { Plan } from './types';
import { resolvePlan, type ResolveOptions } from './resolve';

interface CheckResult {
  parse: ParseResult;
  plan?: Plan;
  diagnostics: Diagnostic[];
}

/** `previous`: the last text checked and its parse, to re-read only what an edit changed (the editor). */
export function checkText(text: string, file: string, opts: Omit<ResolveOptions, 'file'> = {}, previous?: PreviousParse): CheckResult {
  const parsed = previous ? reparse(text, previous) : parse(text);
  const resolved = resolvePlan(parsed.document, { ...opts, file });
  const all = sortDiagnostics([...parsed.diagnostics, ...resolved.diagnostics]);
  // At most MAX_DIAGNOSTICS per file, then one MP109 saying how many more.
  const diagnostics = capDiagnostics(all, addOmitted(parsed.omitted, resolved.omitted));
  return { parse: parsed, plan: resolved.plan, diagnostics };
}

const RANK: Record<Diagnostic['severity'], number> = { error: 0, warning: 1, information: 2, hint: 3 };

function sortDiagnostics(d: Diagnostic[]): Diagnostic[] {
  return d.sort(
    (a, b) =>
      a.range.start.line - b.range.start.line ||
      a.range.start.character - b.range.start.character ||
      RANK[a.severity] - RANK[b.severity] ||
      a.code.localeCompare(b.code),
  );
}
