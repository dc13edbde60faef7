// Frozen copy of server/src/plan/check.ts as of commit 296b76c (before the
// resolver's allocation work): the reference the fast path is compared with.
// One call for "what is wrong with this plan text": parse, resolve, and all
// diagnostics in document order. Used by the CLI, the language server and tests.
import type { Diagnostic } from '../../../server/src/language/diagnostic';
import { referenceParse as parse, type RefParseResult as ParseResult } from '../language-reference';
import type { Plan } from '../../../server/src/plan/types';
import { resolvePlan, type ResolveOptions } from './resolve';

export interface CheckResult {
  parse: ParseResult;
  plan?: Plan;
  diagnostics: Diagnostic[];
}

export function checkText(text: string, file: string, opts: Omit<ResolveOptions, 'file'> = {}): CheckResult {
  const parsed = parse(text);
  const resolved = resolvePlan(parsed.document, { ...opts, file });
  const diagnostics = [...parsed.diagnostics, ...resolved.diagnostics];
  sortDiagnostics(diagnostics);
  return { parse: parsed, plan: resolved.plan, diagnostics };
}

const RANK: Record<Diagnostic['severity'], number> = { error: 0, warning: 1, information: 2, hint: 3 };

export function sortDiagnostics(d: Diagnostic[]): Diagnostic[] {
  return d.sort(
    (a, b) =>
      a.range.start.line - b.range.start.line ||
      a.range.start.character - b.range.start.character ||
      RANK[a.severity] - RANK[b.severity] ||
      a.code.localeCompare(b.code),
  );
}
