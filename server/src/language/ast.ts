// Syntax tree of a .moeplan file.
//
// The language is a uniform statement language: every line is
// `keyword arg* [{ block }]`. The parser knows only this shape; the meaning
// of each keyword lives in plan/ (the resolver). That keeps the parser small
// and error-tolerant, the formatter generic, and lets every node carry an
// exact range for diagnostics, hovers and semantic tokens.

/** Zero-based line and UTF-16 column, as in LSP. */
export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface Comment {
  /** Text including the leading `#`. */
  text: string;
  range: Range;
}

export interface NumberValue {
  kind: 'number';
  value: number;
  /** The number as written, e.g. `1.5e3`. */
  raw: string;
  /** A unit written right after the number (`52 GiB`, `10s`, `12%`). */
  unit?: { text: string; range: Range };
  range: Range;
}

export interface WordValue {
  kind: 'word';
  text: string;
  range: Range;
}

export interface StringValue {
  kind: 'string';
  /** Unescaped contents. */
  value: string;
  raw: string;
  range: Range;
}

/** `a..b`, inclusive, integers (expert, GPU or layer ids). */
export interface RangeValue {
  kind: 'range';
  from: NumberValue;
  to: NumberValue;
  range: Range;
}

export interface PunctValue {
  kind: 'punct';
  text: ':' | ',' | '=';
  range: Range;
}

export type Value = NumberValue | WordValue | StringValue | RangeValue | PunctValue;

export interface Block {
  kind: 'block';
  /** Range of `{`. */
  open: Range;
  /** Range of `}`; undefined when the block was never closed. */
  close?: Range;
  statements: Statement[];
  /** A comment on the line of `{`, after it. */
  openComment?: Comment;
  /** Comments after the last statement, before `}`. */
  trailingComments: Comment[];
  range: Range;
}

export interface Statement {
  kind: 'statement';
  keyword: WordValue;
  args: Value[];
  block?: Block;
  /** Comment lines directly above the statement. */
  leadingComments: Comment[];
  /** A comment on the same line after the statement. */
  trailingComment?: Comment;
  range: Range;
}

export interface Document {
  kind: 'document';
  statements: Statement[];
  /** Comments after the last statement of the file. */
  trailingComments: Comment[];
  range: Range;
}

export type TokenKind = 'word' | 'number' | 'unit' | 'string' | 'comment' | 'punct' | 'lbrace' | 'rbrace' | 'newline' | 'range' | 'invalid';

/** A lexical token; the parser keeps them for semantic highlighting. */
export interface Token {
  kind: TokenKind;
  text: string;
  range: Range;
}
