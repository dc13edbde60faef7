// Core shapes → LSP shapes.
import { pathToFileURL } from 'node:url';
import type { Diagnostic as LspDiagnostic, DiagnosticRelatedInformation } from 'vscode-languageserver';
import { DiagnosticSeverity } from 'vscode-languageserver';
import type { Diagnostic as CoreDiagnostic, Severity } from '../language/diagnostic';
import { diagnosticDocUrl } from '../feedback/codes';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** Data attached to each LSP diagnostic so code actions can find the core one again. */
export interface DiagnosticData {
  /** Index in the list the server published for this version. */
  index: number;
  version: number;
  source: 'core' | 'solver';
  layer?: number;
}

export function toLspDiagnostic(d: CoreDiagnostic, uri: string, data: DiagnosticData): LspDiagnostic {
  const related: DiagnosticRelatedInformation[] | undefined = d.related?.map((r) => ({
    message: r.message,
    location: { uri: r.file ? pathToFileURL(r.file).href : uri, range: r.range },
  }));
  let message = d.message;
  if (d.file) message = `${d.file}: ${message}`;
  return {
    range: d.range,
    severity: SEVERITY[d.severity] ?? DiagnosticSeverity.Error,
    code: d.code,
    codeDescription: { href: diagnosticDocUrl(d.code) },
    source: 'moeplan',
    message,
    relatedInformation: related && related.length ? related : undefined,
    data,
  };
}
