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
