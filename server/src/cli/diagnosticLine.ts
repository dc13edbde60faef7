// One diagnostic as one line of CLI output, `file:line:column: severity
// CODE: message`: what `moeplan check` prints, what every command prints for
// a plan with errors, and what the `$moeplan` problem matcher in package.json
// reads (test/unit/problem-matcher.test.ts holds the two together).
import type { Diagnostic } from '../language/diagnostic';

export function formatLine(path: string, d: Diagnostic): string {
  return `${d.file ?? path}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity} ${d.code}: ${d.message}`;
}
