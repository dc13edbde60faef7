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
// the right place while the user is still typing.
import type { Block, Comment, Document, NumberValue, Range, Statement, Token, Value, WordValue } from './ast';
import type { Diagnostic } from './diagnostic';
import { lex, type LexResult, type LexToken } from './lexer';

export interface ParseResult {
  document: Document;
  tokens: Token[];
  diagnostics: Diagnostic[];
}

export function parse(text: string): ParseResult {
  let lexed: LexResult;
  try {
    lexed = lex(text);
  } catch (e) {
    // Defensive: the lexer is written not to throw; if it ever does, report instead of crashing.
    return internalError(e);
  }
  try {
    const first = new Parser(lexed).parseDocument();
    if (first.unclosed.size === 0) return finish(lexed, first);
    const second = new Parser(lexed, Math.min(...first.unclosed)).parseDocument();
    return finish(lexed, second);
  } catch (e) {
    return internalError(e);
  }
}

function finish(lexed: LexResult, r: { document: Document; diagnostics: Diagnostic[] }): ParseResult {
  const diagnostics = [...lexed.diagnostics, ...r.diagnostics].sort(
    (a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character,
  );
  // The lexer's tokens carry a few extra fields (offsets, values); they are Tokens all the same.
  const tokens: Token[] = lexed.tokens;
  return { document: r.document, tokens, diagnostics };
}

function internalError(e: unknown): ParseResult {
  const zero: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  return {
    document: { kind: 'document', statements: [], trailingComments: [], range: zero },
    tokens: [],
    diagnostics: [
      { range: zero, severity: 'error', code: 'MP100', message: `Internal parser error: ${String(e)}. Please report this with the file.` },
    ],
  };
}

const rangeOf = (a: Range, b: Range): Range => ({ start: a.start, end: b.end });

class Parser {
  private pos = 0;
  private readonly toks: LexToken[];
  private readonly diags: Diagnostic[] = [];
  /** Token indices of `{` that were never closed. */
  readonly unclosed = new Set<number>();

  constructor(
    private readonly lexed: LexResult,
    /** Blocks opened at or after this token index close by indentation (second pass). */
    private readonly recoverFrom = Infinity,
  ) {
    this.toks = lexed.tokens;
  }

  private peek(o = 0): LexToken | undefined {
    return this.toks[this.pos + o];
  }

  private error(range: Range, code: string, message: string, extra?: Partial<Diagnostic>) {
    this.diags.push({ range, severity: 'error', code, message, ...extra });
  }

  parseDocument(): { document: Document; diagnostics: Diagnostic[]; unclosed: Set<number> } {
    const { statements, trailingComments } = this.parseLines(undefined);
    const end = this.lexed.end;
    const document: Document = {
      kind: 'document',
      statements,
      trailingComments,
      range: { start: { line: 0, character: 0 }, end },
    };
    return { document, diagnostics: this.diags, unclosed: this.unclosed };
  }

  /** Whether token t is the first non-space token on its line. */
  private firstOnLine(index: number): boolean {
    const prev = this.toks[index - 1];
    return !prev || (prev.kind === 'newline' && prev.text !== ';');
  }

  /**
   * Lines until EOF (top level) or the `}` of a block. `block` is the
   * enclosing block's keyword indentation when inside a block.
   */
  private parseLines(block: { indent: number; recover: boolean } | undefined): {
    statements: Statement[];
    trailingComments: Comment[];
    closedBy?: LexToken;
  } {
    const statements: Statement[] = [];
    let pending: Comment[] = [];
    for (;;) {
      const t = this.peek();
      if (!t) break;
      if (t.kind === 'newline') {
        this.pos++;
        continue;
      }
      if (t.kind === 'comment') {
        pending.push({ text: t.text.trimEnd(), range: t.range });
        this.pos++;
        continue;
      }
      if (t.kind === 'rbrace') {
        if (block) {
          this.pos++;
          return { statements, trailingComments: pending, closedBy: t };
        }
        this.error(t.range, 'MP105', 'This `}` closes no block: remove it, or add the `{` it belongs to.');
        this.pos++;
        continue;
      }
      if (block && block.recover && this.firstOnLine(this.pos) && t.range.start.character <= block.indent) {
        // The enclosing block was never closed; this line belongs outside it.
        return { statements, trailingComments: pending };
      }
      if (t.kind === 'invalid') {
        // Already reported by the lexer; read the rest of the line normally.
        this.pos++;
        continue;
      }
      if (t.kind !== 'word') {
        this.error(
          t.range,
          'MP103',
          t.kind === 'lbrace'
            ? 'A block `{` needs a keyword before it, e.g. `workload {`.'
            : `A statement starts with a keyword, not \`${t.text}\`: start the line with a keyword such as \`model\`, or remove it.`,
        );
        this.skipLine();
        continue;
      }
      const stmt = this.parseStatement(pending);
      pending = [];
      statements.push(stmt);
    }
    return { statements, trailingComments: pending };
  }

  /** Skip to the end of the current line, skipping whole blocks met on the way. */
  private skipLine() {
    let depth = 0;
    for (;;) {
      const t = this.peek();
      if (!t) return;
      if (t.kind === 'newline' && depth === 0) return;
      if (t.kind === 'rbrace') {
        if (depth === 0) return;
        depth--;
      }
      if (t.kind === 'lbrace') depth++;
      this.pos++;
    }
  }

  private parseStatement(leadingComments: Comment[]): Statement {
    const kw = this.toks[this.pos++];
    const keyword: WordValue = { kind: 'word', text: kw.text, range: kw.range };
    const args: Value[] = [];
    let block: Block | undefined;
    let trailingComment: Comment | undefined;
    let end = kw.range;
    for (;;) {
      const t = this.peek();
      if (!t || t.kind === 'newline' || t.kind === 'rbrace') break;
      if (t.kind === 'comment') {
        trailingComment = { text: t.text.trimEnd(), range: t.range };
        this.pos++;
        break;
      }
      if (t.kind === 'lbrace') {
        block = this.parseBlock(kw.range.start.character);
        end = block.range;
        // After `}` only a comment or the end of the line may follow.
        const after = this.peek();
        if (after && after.kind === 'comment') {
          trailingComment = { text: after.text.trimEnd(), range: after.range };
          this.pos++;
        } else if (after && block.close && after.kind !== 'newline' && after.kind !== 'rbrace') {
          this.error(after.range, 'MP106', 'Expected the end of the line after `}`: put the next statement on its own line.');
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
      range: rangeOf(kw.range, end),
    };
  }

  private parseValue(): Value | undefined {
    const t = this.toks[this.pos++];
    switch (t.kind) {
      case 'word':
        return { kind: 'word', text: t.text, range: t.range };
      case 'string':
        return { kind: 'string', value: t.str ?? '', raw: t.text, range: t.range };
      case 'punct':
        return { kind: 'punct', text: t.text as ':' | ',' | '=', range: t.range };
      case 'number': {
        const num = this.finishNumber(t);
        const r = this.peek();
        if (r && r.kind === 'range') {
          this.pos++;
          const to = this.peek();
          if (to && to.kind === 'number') {
            this.pos++;
            const toNum = this.finishNumber(to);
            return { kind: 'range', from: num, to: toNum, range: rangeOf(num.range, toNum.range) };
          }
          this.error(r.range, 'MP107', `A range needs a number after \`..\`, e.g. \`${num.raw}..${num.raw === '0' ? 7 : Number(num.value) + 1}\`.`);
        }
        return num;
      }
      case 'range':
        this.error(t.range, 'MP107', 'A range needs a number before `..`, e.g. `0..7`.');
        return undefined;
      case 'unit':
        // Only reachable when a unit follows a range's end; the lexer attaches units to numbers.
        this.error(t.range, 'MP115', `Unexpected unit \`${t.text}\` here: remove it.`);
        return undefined;
      default:
        // invalid tokens were reported by the lexer
        return undefined;
    }
  }

  private finishNumber(t: LexToken): NumberValue {
    const num: NumberValue = { kind: 'number', value: t.value ?? NaN, raw: t.text, range: t.range };
    const u = this.peek();
    if (u && u.kind === 'unit') {
      this.pos++;
      num.unit = { text: u.text, range: u.range };
      num.range = rangeOf(t.range, u.range);
    }
    return num;
  }

  private parseBlock(keywordIndent: number): Block {
    const openIndex = this.pos;
    const open = this.toks[this.pos++];
    // A comment right after `{` on the same line stays there.
    let openComment: Comment | undefined;
    const c = this.peek();
    if (c && c.kind === 'comment') {
      openComment = { text: c.text.trimEnd(), range: c.range };
      this.pos++;
    }
    const { statements, trailingComments, closedBy } = this.parseLines({ indent: keywordIndent, recover: openIndex >= this.recoverFrom });
    let end: Range;
    if (closedBy) {
      end = closedBy.range;
    } else {
      this.unclosed.add(openIndex);
      const last = statements[statements.length - 1]?.range ?? open.range;
      const lastComment = trailingComments[trailingComments.length - 1]?.range;
      end = lastComment && lastComment.end.line > last.end.line ? lastComment : last;
      this.error(open.range, 'MP104', 'This `{` is never closed: add a `}` on its own line where the block ends.', {
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
      open: open.range,
      close: closedBy?.range,
      statements,
      trailingComments,
      range: rangeOf(open.range, end),
    };
    if (openComment) block.openComment = openComment;
    return block;
  }
}
