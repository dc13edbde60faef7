// Error-tolerant recursive-descent parser for .moeplan text.
//
//   document  = { line } EOF
//   line      = [ statement ] [ comment ] ( newline | ";" )
//   statement = word { value } [ block ]
//   block     = "{" [ comment ] { line } "}"
//   value     = word | number [ unit ] | number ".." number | string | ":" | "," | "="
//
// The parser knows only this shape; keyword meanings live in plan/. On an
// error it reports, skips to the end of the line (keeping braces balanced)
// and continues, so one pass reports several errors and keeps every
// statement it could read. If a block is never closed, the file is parsed
// again with indentation as a hint: a line indented no deeper than the
// unclosed block's keyword closes it, which keeps the rest of the tree in
// the right place while the user is still typing. Blocks nest at most
// MAX_NESTING deep (the language needs three); a deeper block is skipped
// with MP108, so no input can exhaust the stack. At most MAX_DIAGNOSTICS
// problems are kept; the rest are counted in `omitted`.
import type { Block, Comment, Document, NumberValue, Range, Statement, Token, Value, WordValue } from './ast';
import { DiagnosticSink, MAX_DIAGNOSTICS, addOmitted, type Diagnostic, type Omitted } from './diagnostic';
import { lex } from './lexer';
import { Scanner, type ScanKind } from './scanner';

export interface ParseResult {
  document: Document;
  /** Every token of the text; built on first use (the tree alone does not need them). */
  tokens: Token[];
  diagnostics: Diagnostic[];
  /** Problems found beyond MAX_DIAGNOSTICS (checkText reports them as one MP109). */
  omitted?: Omitted;
}

/** Deepest block nesting read (`placement { layer 0 { … } }` is 2). */
export const MAX_NESTING = 32;

export function parse(text: string): ParseResult {
  try {
    const first = new Parser(new Scanner(text)).parseDocument();
    if (first.unclosed.size === 0) return finish(text, first);
    const second = new Parser(new Scanner(text), Math.min(...first.unclosed)).parseDocument();
    return finish(text, second);
  } catch (e) {
    // Defensive: the parser is written not to throw; if it ever does, report instead of crashing.
    return internalError(e);
  }
}

function finish(text: string, r: { document: Document; diagnostics: Diagnostic[]; lexDiagnostics: Diagnostic[]; omitted: Omitted }): ParseResult {
  const all = [...r.lexDiagnostics, ...r.diagnostics].sort(
    (a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character,
  );
  // Scanner and parser keep MAX_DIAGNOSTICS each: together, the first ones in the text.
  let omitted = r.omitted;
  for (const d of all.slice(MAX_DIAGNOSTICS)) omitted = addOmitted(omitted, { count: 1, worst: d.severity });
  const diagnostics = all.length > MAX_DIAGNOSTICS ? all.slice(0, MAX_DIAGNOSTICS) : all;
  const result: Omit<ParseResult, 'tokens'> = { document: r.document, diagnostics };
  if (omitted.count > 0) result.omitted = omitted;
  return withLazyTokens(result, text);
}

/**
 * The result with `tokens` built from the text on first read (only semantic
 * highlighting needs them; the change path never reads them).
 */
export function withLazyTokens(r: Omit<ParseResult, 'tokens'>, text: string): ParseResult {
  const result = r as ParseResult;
  let tokens: Token[] | undefined;
  Object.defineProperty(result, 'tokens', {
    enumerable: true,
    configurable: true,
    get: () => (tokens ??= lex(text).tokens),
    set: (v: Token[]) => {
      tokens = v;
    },
  });
  return result;
}
/**
 * Top-level statements of the lines from offset `from` (the start of line
 * `line`) to offset `limit` (a line start or the end of the text), as a
 * whole-text parse would read them there, given that a statement starts
 * with the first of these lines. For re-reading one edited part of a plan.
 */
export function parseRegion(
  text: string,
  from: number,
  line: number,
  limit: number,
): { statements: Statement[]; trailingComments: Comment[]; diagnostics: Diagnostic[] } {
  const s = new Scanner(text, from, line, limit);
  const p = new Parser(s);
  const r = p.parseTopLevel();
  return { ...r, diagnostics: [...s.diagnostics, ...r.diagnostics] };
}

function internalError(e: unknown): ParseResult {
  const zero: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  return {
    document: { kind: 'document', statements: [], trailingComments: [], range: zero },
    tokens: [],
    diagnostics: [{ range: zero, severity: 'error', code: 'MP100', message: `Internal parser error: ${String(e)}. Please report this with the file.` }],
  };
}

const rangeOf = (a: Range, b: Range): Range => ({ start: a.start, end: b.end });

class Parser {
  private readonly sink = new DiagnosticSink();
  private get diags(): Diagnostic[] {
    return this.sink.list;
  }
  /** Blocks open around the current token. */
  private depth = 0;
  /** Token indices of `{` that were never closed. */
  readonly unclosed = new Set<number>();

  constructor(
    /** Positioned at the current token; `next()` consumes it. */
    private readonly s: Scanner,
    /** Blocks opened at or after this token index close by indentation (second pass). */
    private readonly recoverFrom = Infinity,
  ) {}

  private kindNow(): ScanKind {
    return this.s.kind;
  }

  private error(range: Range, code: string, message: string, extra?: Partial<Diagnostic>) {
    this.sink.push({ range, severity: 'error', code, message, ...extra });
  }

  private comment(): Comment {
    const c: Comment = { text: this.s.tokenText().trimEnd(), range: this.s.range() };
    this.s.next();
    return c;
  }

  parseDocument(): { document: Document; diagnostics: Diagnostic[]; lexDiagnostics: Diagnostic[]; omitted: Omitted; unclosed: Set<number> } {
    const { statements, trailingComments } = this.parseLines(undefined);
    const document: Document = {
      kind: 'document',
      statements,
      trailingComments,
      range: { start: { line: 0, character: 0 }, end: this.s.endPosition() },
    };
    return {
      document,
      diagnostics: this.diags,
      lexDiagnostics: this.s.diagnostics,
      omitted: addOmitted(this.sink.omitted, this.s.sink.omitted),
      unclosed: this.unclosed,
    };
  }

  parseTopLevel(): { statements: Statement[]; trailingComments: Comment[]; diagnostics: Diagnostic[] } {
    const { statements, trailingComments } = this.parseLines(undefined);
    return { statements, trailingComments, diagnostics: this.diags };
  }

  /**
   * Lines until EOF (top level) or the `}` of a block. `block` is the
   * enclosing block's keyword indentation when inside a block.
   */
  private parseLines(block: { indent: number; recover: boolean } | undefined): {
    statements: Statement[];
    trailingComments: Comment[];
    closedBy?: Range;
  } {
    const s = this.s;
    const statements: Statement[] = [];
    let pending: Comment[] = [];
    for (;;) {
      const kind = s.kind;
      if (kind === 'eof') break;
      if (kind === 'newline') {
        s.next();
        continue;
      }
      if (kind === 'comment') {
        pending.push(this.comment());
        continue;
      }
      if (kind === 'rbrace') {
        const range = s.range();
        s.next();
        if (block) return { statements, trailingComments: pending, closedBy: range };
        this.error(range, 'MP105', 'This `}` closes no block: remove it, or add the `{` it belongs to.');
        continue;
      }
      if (block && block.recover && s.firstOnLine && s.col <= block.indent) {
        // The enclosing block was never closed; this line belongs outside it.
        return { statements, trailingComments: pending };
      }
      if (kind === 'invalid') {
        // Already reported by the scanner; read the rest of the line normally.
        s.next();
        continue;
      }
      if (kind !== 'word') {
        this.error(
          s.range(),
          'MP103',
          kind === 'lbrace'
            ? 'A block `{` needs a keyword before it, e.g. `workload {`.'
            : `A statement starts with a keyword, not \`${s.tokenText()}\`: start the line with a keyword such as \`model\`, or remove it.`,
        );
        this.skipLine();
        continue;
      }
      statements.push(this.parseStatement(pending));
      pending = [];
    }
    return { statements, trailingComments: pending };
  }

  /** Skip to the end of the current line, skipping whole blocks met on the way. */
  private skipLine() {
    const s = this.s;
    let depth = 0;
    for (;;) {
      const kind = s.kind;
      if (kind === 'eof') return;
      if (kind === 'newline' && depth === 0) return;
      if (kind === 'rbrace') {
        if (depth === 0) return;
        depth--;
      }
      if (kind === 'lbrace') depth++;
      s.next();
    }
  }

  private parseStatement(leadingComments: Comment[]): Statement {
    const s = this.s;
    const kwRange = s.range();
    const kwIndent = s.col;
    const keyword: WordValue = { kind: 'word', text: s.tokenText(), range: kwRange };
    s.next();
    const args: Value[] = [];
    let block: Block | undefined;
    let trailingComment: Comment | undefined;
    let end = kwRange;
    for (;;) {
      const kind = s.kind;
      if (kind === 'eof' || kind === 'newline' || kind === 'rbrace') break;
      if (kind === 'comment') {
        trailingComment = this.comment();
        break;
      }
      if (kind === 'lbrace') {
        block = this.depth >= MAX_NESTING ? this.skipDeepBlock() : this.parseBlock(kwIndent);
        end = block.range;
        // After `}` only a comment or the end of the line may follow.
        const after = s.kind;
        if (after === 'comment') {
          trailingComment = this.comment();
        } else if (after !== 'eof' && block.close && after !== 'newline' && after !== 'rbrace') {
          this.error(s.range(), 'MP106', 'Expected the end of the line after `}`: put the next statement on its own line.');
          this.skipLine();
        }
        break;
      }
      const v = this.parseValue();
      if (v) {
        args.push(v);
        end = v.range;
      }
    }
    return {
      kind: 'statement',
      keyword,
      args,
      block,
      leadingComments,
      trailingComment,
      range: rangeOf(kwRange, end),
    };
  }

  private parseValue(): Value | undefined {
    const s = this.s;
    switch (s.kind) {
      case 'word': {
        const v: Value = { kind: 'word', text: s.tokenText(), range: s.range() };
        s.next();
        return v;
      }
      case 'string': {
        const v: Value = { kind: 'string', value: s.str, raw: s.tokenText(), range: s.range() };
        s.next();
        return v;
      }
      case 'punct': {
        const v: Value = { kind: 'punct', text: s.tokenText() as ':' | ',' | '=', range: s.range() };
        s.next();
        return v;
      }
      case 'number': {
        const num = this.parseNumber();
        // kindNow(): the switch above narrowed s.kind, but parseNumber() moved on.
        if (this.kindNow() === 'range') {
          const r = s.range();
          s.next();
          if (this.kindNow() === 'number') {
            const toNum = this.parseNumber();
            return { kind: 'range', from: num, to: toNum, range: rangeOf(num.range, toNum.range) };
          }
          this.error(r, 'MP107', `A range needs a number after \`..\`, e.g. \`${num.raw}..${num.raw === '0' ? 7 : Number(num.value) + 1}\`.`);
        }
        return num;
      }
      case 'range':
        this.error(s.range(), 'MP107', 'A range needs a number before `..`, e.g. `0..7`.');
        s.next();
        return undefined;
      case 'unit':
        // Only reachable when a unit follows a range's end; the scanner attaches units to numbers.
        this.error(s.range(), 'MP115', `Unexpected unit \`${s.tokenText()}\` here: remove it.`);
        s.next();
        return undefined;
      default:
        // invalid tokens were reported by the scanner
        s.next();
        return undefined;
    }
  }

  /** The current number token and the unit right after it, if any. */
  private parseNumber(): NumberValue {
    const s = this.s;
    const num: NumberValue = { kind: 'number', value: s.value, raw: s.tokenText(), range: s.range() };
    s.next();
    if (s.kind === 'unit') {
      const range = s.range();
      num.unit = { text: s.tokenText(), range };
      num.range = rangeOf(num.range, range);
      s.next();
    }
    return num;
  }

  /**
   * A block nested deeper than MAX_NESTING: reported and skipped to its
   * matching `}` in one loop (no recursion), its contents left unread.
   */
  private skipDeepBlock(): Block {
    const s = this.s;
    const open = s.range();
    this.error(
      open,
      'MP108',
      `Blocks are nested more than ${MAX_NESTING} deep here; a plan needs three at most (\`placement { layer 0 { … } }\`): remove the extra \`{\`, or check that this is a plan file.`,
    );
    let depth = 0;
    let close: Range | undefined;
    for (; s.kind !== 'eof'; s.next()) {
      if (s.kind === 'lbrace') depth++;
      else if (s.kind === 'rbrace' && --depth === 0) {
        close = s.range();
        s.next();
        break;
      }
    }
    const end = close ?? open;
    return { kind: 'block', open, close, statements: [], trailingComments: [], range: rangeOf(open, end) };
  }

  private parseBlock(keywordIndent: number): Block {
    this.depth++;
    try {
      return this.parseBlockBody(keywordIndent);
    } finally {
      this.depth--;
    }
  }

  private parseBlockBody(keywordIndent: number): Block {
    const s = this.s;
    const openIndex = s.index;
    const open = s.range();
    s.next();
    // A comment right after `{` on the same line stays there.
    let openComment: Comment | undefined;
    if (s.kind === 'comment') openComment = this.comment();
    const { statements, trailingComments, closedBy } = this.parseLines({ indent: keywordIndent, recover: openIndex >= this.recoverFrom });
    let end: Range;
    if (closedBy) {
      end = closedBy;
    } else {
      this.unclosed.add(openIndex);
      const last = statements[statements.length - 1]?.range ?? open;
      const lastComment = trailingComments[trailingComments.length - 1]?.range;
      end = lastComment && lastComment.end.line > last.end.line ? lastComment : last;
      this.error(open, 'MP104', 'This `{` is never closed: add a `}` on its own line where the block ends.', {
        fixes: [
          {
            title: 'Add the missing `}`',
            edits: [{ range: { start: end.end, end: end.end }, newText: '\n' + ' '.repeat(keywordIndent) + '}' }],
            preferred: true,
          },
        ],
      });
    }
    const block: Block = {
      kind: 'block',
      open,
      close: closedBy,
      statements,
      trailingComments,
      range: rangeOf(open, end),
    };
    if (openComment) block.openComment = openComment;
    return block;
  }
}
