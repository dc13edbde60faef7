// Lexer for .moeplan text: the whole token list, for callers that want the
// tokens themselves (completion, tests). The parser reads tokens straight
// from the scanner instead and builds this list only when asked.
//
// Never throws: characters it cannot read become `invalid` tokens with a
// diagnostic. Positions are 0-based lines and UTF-16 columns, as in LSP.
import type { Token } from './ast';
import type { Diagnostic } from './diagnostic';
import { Scanner } from './scanner';

/** A token plus what the parser needs. */
interface LexToken extends Token {
  /** For numbers: the parsed value (NaN when malformed). */
  value?: number;
  /** For strings: the unescaped contents. */
  str?: string;
}

interface LexResult {
  tokens: LexToken[];
  diagnostics: Diagnostic[];
  /** Offset of the start of each line. */
  lineStarts: number[];
  /** Position just past the end of the text. */
  end: { line: number; character: number };
}

export function lex(text: string): LexResult {
  const s = new Scanner(text);
  const tokens: LexToken[] = [];
  for (; s.kind !== 'eof'; s.next()) {
    const kind = s.kind;
    if (kind === 'newline' && !s.semicolon) {
      // Line breaks carry only their kind, text and range.
      tokens.push({ kind, text: s.end - s.start === 2 ? '\r\n' : text[s.start], range: s.range() });
      continue;
    }
    tokens.push({
      kind,
      text: s.tokenText(),
      range: s.range(),
      value: kind === 'number' ? s.value : undefined,
      str: kind === 'string' ? s.str : undefined,
    });
  }
  return { tokens, diagnostics: s.diagnostics, lineStarts: s.lineStarts, end: s.endPosition() };
}
