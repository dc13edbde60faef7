// Diagnostics produced by the planning core. The LSP and the CLI translate
// these into their own shapes; codes are stable and documented in
// docs/diagnostics.md.
import type { Range } from './ast';

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export interface RelatedInfo {
  message: string;
  range: Range;
  /** Absolute path of another file, when the related place is not the plan. */
  file?: string;
}

/** A machine-applicable edit, used for quick fixes in the editor. */
export interface TextEdit {
  range: Range;
  newText: string;
}

export interface QuickFix {
  title: string;
  edits: TextEdit[];
  /** The fix most users want; the editor may apply it on "fix all". */
  preferred?: boolean;
}

export interface Diagnostic {
  range: Range;
  severity: Severity;
  /** Stable code such as `MP101`; see docs/diagnostics.md. */
  code: string;
  message: string;
  related?: RelatedInfo[];
  fixes?: QuickFix[];
  /** Absolute path when the diagnostic is about another file (e.g. a trace line). */
  file?: string;
}

/**
 * Problems kept per file. A wrong file opened as a plan (a 5 MB line of
 * `}`, a binary) could otherwise make hundreds of thousands of them: a
 * publishDiagnostics of a hundred megabytes, a server of a gigabyte. The
 * rest are counted and said in one closing MP109.
 */
export const MAX_DIAGNOSTICS = 1000;

/** A quoted token in a message: longer than this, only its ends are shown. */
const MAX_QUOTED = 48;
/** A message longer than this is cut (whatever it quotes). */
const MAX_MESSAGE = 2000;

/** A run without spaces longer than this (a token echoed from a file, not a path) is shortened too. */
const MAX_RUN = 200;
const LONG_RUN = new RegExp(`\\S{${MAX_RUN + 1},}`, 'g');

const excerpt = (inner: string) => `${inner.slice(0, 32)}…${inner.slice(-8)}`;
const length = (inner: string) => `(${inner.length.toLocaleString('en-US')} characters)`;

/**
 * The message with every `quoted` part longer than MAX_QUOTED, and every
 * run without spaces longer than MAX_RUN, shortened to its ends and its
 * length; at most MAX_MESSAGE characters in all.
 */
export function shortQuotes(message: string): string {
  const out = message
    .replace(/`([^`]*)`/g, (whole, inner: string) => (inner.length <= MAX_QUOTED ? whole : `\`${excerpt(inner)}\` ${length(inner)}`))
    .replace(LONG_RUN, (run) => `${excerpt(run)} ${length(run)}`);
  return out.length <= MAX_MESSAGE ? out : `${out.slice(0, MAX_MESSAGE - 1)}…`;
}

/** Diagnostics left out: how many, and the most severe of them. */
export interface Omitted {
  count: number;
  worst?: Severity;
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, information: 2, hint: 3 };

function worse(a: Severity | undefined, b: Severity | undefined): Severity | undefined {
  if (!a) return b;
  if (!b) return a;
  return RANK[a] <= RANK[b] ? a : b;
}

/** Both counts together. */
export function addOmitted(a: Omitted | undefined, b: Omitted | undefined): Omitted {
  return { count: (a?.count ?? 0) + (b?.count ?? 0), worst: worse(a?.worst, b?.worst) };
}

/** Collects diagnostics up to MAX_DIAGNOSTICS, counting the rest; quotes in messages kept short. */
export class DiagnosticSink {
  readonly list: Diagnostic[] = [];
  readonly omitted: Omitted = { count: 0 };
  constructor(private readonly max = MAX_DIAGNOSTICS) {}
  push(d: Diagnostic): void {
    if (this.list.length >= this.max) {
      this.omitted.count++;
      this.omitted.worst = worse(this.omitted.worst, d.severity);
      return;
    }
    d.message = shortQuotes(d.message);
    this.list.push(d);
  }
}

/**
 * At most `max` of `sorted` (in document order), and when some are left out
 * (here, or earlier: `omitted`) a closing MP109 that says how many, placed
 * where the first one left out is, as severe as the worst of them (so a
 * check still fails when an error was among them).
 */
export function capDiagnostics(sorted: Diagnostic[], omitted?: Omitted, max = MAX_DIAGNOSTICS): Diagnostic[] {
  let all: Omitted = omitted ?? { count: 0 };
  for (const d of sorted.slice(max)) all = addOmitted(all, { count: 1, worst: d.severity });
  if (all.count === 0) return sorted;
  const kept = sorted.slice(0, max);
  const at = (sorted[max] ?? sorted[sorted.length - 1])?.range.start ?? { line: 0, character: 0 };
  const n = all.count;
  kept.push({
    range: { start: at, end: at },
    severity: all.worst ?? 'information',
    code: 'MP109',
    message: `${n.toLocaleString('en-US')} more problem${n === 1 ? '' : 's'} not shown (${max.toLocaleString('en-US')} per file at most): fix the ones shown and check again. Is this a plan file?`,
  });
  return kept;
}
