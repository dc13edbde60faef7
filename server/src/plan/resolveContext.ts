// Reading statement arguments: numbers with units, words from a set, and
// the diagnostics (with quick fixes) when they are missing or wrong.
import type { NumberValue, Range, Statement, Value, WordValue } from '../language/ast';
import { DiagnosticSink, type Diagnostic, type Omitted, type QuickFix, type Severity } from '../language/diagnostic';
import { KIND_NAMES, lookupUnit, unitsOfKind, type UnitKind } from '../language/units';
import type { PlanRef } from './types';
import { nearest } from './nearest';
import { printValue } from '../language/formatter';
import { CONTEXTS, homesOf, keywordsOf, type Context, type KeywordOf } from './vocabulary';

export class Ctx {
  /** At most MAX_DIAGNOSTICS kept, quotes shortened; the rest counted. */
  private readonly sink = new DiagnosticSink();
  readonly refs: PlanRef[] = [];

  get diags(): readonly Diagnostic[] {
    return this.sink.list;
  }

  get omitted(): Omitted {
    return this.sink.omitted;
  }

  /** Every diagnostic reported so far, kept or not (to tell whether a step reported any). */
  get reported(): number {
    return this.sink.list.length + this.sink.omitted.count;
  }

  report(range: Range, severity: Severity, code: string, message: string, extra?: Partial<Diagnostic>): Diagnostic {
    const d: Diagnostic = { range, severity, code, message, ...extra };
    this.sink.push(d);
    return d;
  }

  /** A diagnostic made earlier (a replayed statement's). */
  keep(d: Diagnostic): void {
    this.sink.push(d);
  }

  field(path: string, range: Range) {
    this.refs.push({ kind: 'field', path, range });
  }
}

export interface NumSpec {
  /** How messages name the value, e.g. "`experts`". */
  what: string;
  int?: boolean;
  /** Bounds in base units (after unit conversion). */
  min?: number;
  max?: number;
  /** Strictly greater than min. */
  above?: number;
  unit?: UnitKind;
  /** A plain number is fine (read in base units, or as a fraction for %). */
  unitOptional?: boolean;
  /** Unit suggested (and assumed) when missing. */
  suggest?: string;
  example?: string;
}

/** "set in the plan, line N" — the source of a figure the user wrote. */
export const planSource = (r: Range) => `set in the plan (line ${r.start.line + 1})`;

export const at = (r: Range): Range => ({ start: r.end, end: r.end });

export function describe(v: Value): string {
  return printValue(v);
}

/** Convert a number node per spec, reporting MP112/MP114/MP115/MP116. Returns base-unit value. */
export function readNumberValue(ctx: Ctx, v: NumberValue, spec: NumSpec): number | undefined {
  let value = v.value;
  // The unit the value was read in, so that limits are said in it (`-5 GiB`, not -5368709120).
  let shownUnit: { text: string; factor: number } | undefined;
  if (!Number.isFinite(value)) {
    ctx.report(v.range, 'error', 'MP112', `${spec.what} needs a finite number, not \`${v.raw}\`.`);
    return undefined;
  }
  if (spec.unit) {
    if (!v.unit) {
      if (!spec.unitOptional) {
        const suggest = spec.suggest ?? unitsOfKind(spec.unit)[0].text;
        ctx.report(v.range, 'error', 'MP114', `${spec.what} needs a unit: ${KIND_NAMES[spec.unit]}. Write e.g. \`${v.raw} ${suggest}\`.`, {
          fixes: [{ title: `Add unit \`${suggest}\``, edits: [{ range: at(v.range), newText: ' ' + suggest }], preferred: true }],
        });
        value = scale(value, lookupUnit(suggest)?.factor ?? 1);
        shownUnit = { text: suggest, factor: lookupUnit(suggest)?.factor ?? 1 };
      }
    } else {
      const u = lookupUnit(v.unit.text);
      if (u && u.kind === spec.unit) {
        value = scale(value, u.factor);
        shownUnit = { text: v.unit.text, factor: u.factor };
      } else {
        const candidates = unitsOfKind(spec.unit).map((x) => x.text);
        const near = nearest(v.unit.text, candidates) ?? spec.suggest ?? candidates[0];
        const why = u
          ? `\`${v.unit.text}\` is ${KIND_NAMES[u.kind].split(' (')[0]}, but ${spec.what} needs ${KIND_NAMES[spec.unit]}`
          : `Unknown unit \`${v.unit.text}\`: ${spec.what} needs ${KIND_NAMES[spec.unit]}`;
        ctx.report(v.unit.range, 'error', 'MP115', `${why}. Did you mean \`${near}\`?`, {
          fixes: [{ title: `Change unit to \`${near}\``, edits: [{ range: v.unit.range, newText: near }], preferred: true }],
        });
        value = scale(value, lookupUnit(near)?.factor ?? 1);
      }
    }
  } else if (v.unit) {
    ctx.report(v.unit.range, 'error', 'MP115', `${spec.what} is a plain number: remove the unit \`${v.unit.text}\`.`, {
      fixes: [{ title: `Remove \`${v.unit.text}\``, edits: [{ range: { start: rangeEndOfRaw(v), end: v.unit.range.end }, newText: '' }], preferred: true }],
    });
  }
  const bounds = checkBounds(value, spec, shownUnit);
  if (bounds) {
    ctx.report(v.range, 'error', 'MP116', `${spec.what} ${bounds}.`);
    return undefined;
  }
  return value;
}

/** value × factor, dividing for small factors so `5 us` is exactly 5e-6. */
function scale(value: number, factor: number): number {
  return factor < 1 ? value / Math.round(1 / factor) : value * factor;
}

function rangeEndOfRaw(v: NumberValue): Range['start'] {
  return { line: v.range.start.line, character: v.range.start.character + v.raw.length };
}

function checkBounds(value: number, spec: NumSpec, unit?: { text: string; factor: number }): string | undefined {
  // Values and limits in the unit the plan wrote (a percentage as one), else as plain numbers.
  const show = (x: number) => {
    if (!unit || unit.factor === 1) return x.toLocaleString('en-US', { maximumSignificantDigits: 15 });
    const inUnit = unit.factor < 1 ? x * Math.round(1 / unit.factor) : x / unit.factor;
    const sep = unit.text === '%' ? '' : ' ';
    return `${Number(inUnit.toPrecision(12)).toLocaleString('en-US', { maximumSignificantDigits: 12 })}${sep}${unit.text}`;
  };
  if (spec.int && !Number.isInteger(value)) return `must be a whole number, not ${show(value)}`;
  if (spec.above !== undefined && !(value > spec.above)) return `must be more than ${show(spec.above)}, not ${show(value)}`;
  if (spec.min !== undefined && value < spec.min) return `must be at least ${show(spec.min)}, not ${show(value)}`;
  if (spec.max !== undefined && value > spec.max) return `must be at most ${show(spec.max)}, not ${show(value)}`;
  return undefined;
}

/** A cursor over one statement's arguments. */
export class Args {
  i = 0;
  constructor(
    readonly ctx: Ctx,
    readonly stmt: Statement,
  ) {}

  get done(): boolean {
    return this.i >= this.stmt.args.length;
  }

  peek(o = 0): Value | undefined {
    return this.stmt.args[this.i + o];
  }

  take(): Value | undefined {
    return this.stmt.args[this.i++];
  }

  /** Where a missing value would go: after the last value read. */
  here(): Range {
    const prev = this.stmt.args[this.i - 1];
    return at(prev ? prev.range : this.stmt.keyword.range);
  }

  isWord(text: string, o = 0): boolean {
    const v = this.peek(o);
    return v?.kind === 'word' && v.text.toLowerCase() === text;
  }

  /** Consume the word `text` if it is next. */
  optWord(text: string): WordValue | undefined {
    if (!this.isWord(text)) return undefined;
    return this.take() as WordValue;
  }

  optPunct(text: string): boolean {
    const v = this.peek();
    if (v?.kind === 'punct' && v.text === text) {
      this.i++;
      return true;
    }
    return false;
  }

  /** The word `text`, reporting MP112 when something else is there. */
  expectWord(text: string, hint: string): boolean {
    if (this.optWord(text)) return true;
    const v = this.peek();
    this.ctx.report(
      v ? v.range : this.here(),
      'error',
      'MP112',
      v ? `Expected \`${text}\` here, not \`${describe(v)}\`: ${hint}.` : `Expected \`${text}\` next: ${hint}.`,
    );
    return false;
  }

  /** A number per spec; MP112 when missing or not a number. */
  number(spec: NumSpec): { value: number; node: NumberValue } | undefined {
    const v = this.peek();
    if (!v || v.kind !== 'number') {
      const eg = spec.example ? ` (e.g. \`${spec.example}\`)` : '';
      this.ctx.report(
        v ? v.range : this.here(),
        'error',
        'MP112',
        v ? `${spec.what} needs a number${eg}, not \`${describe(v)}\`.` : `${spec.what} needs a number${eg}.`,
      );
      if (v && v.kind !== 'punct') this.i++;
      return undefined;
    }
    this.i++;
    const value = readNumberValue(this.ctx, v, spec);
    return value === undefined ? undefined : { value, node: v };
  }

  /** One of `choices` (case-insensitive); MP112 with the nearest as a fix. */
  choice<T extends string>(what: string, choices: readonly T[], aliases: Record<string, T> = {}, code = 'MP112'): { value: T; node: WordValue } | undefined {
    const v = this.peek();
    const list = choices.map((c) => `\`${c}\``).join(', ');
    if (!v || v.kind !== 'word') {
      this.ctx.report(v ? v.range : this.here(), 'error', 'MP112', `${what} needs one of ${list}${v ? `, not \`${describe(v)}\`` : ''}.`);
      if (v && v.kind !== 'punct') this.i++;
      return undefined;
    }
    this.i++;
    const key = v.text.toLowerCase();
    const hit = choices.find((c) => c === key) ?? (Object.hasOwn(aliases, key) ? aliases[key] : undefined);
    if (hit) return { value: hit, node: v };
    const near = nearest(v.text, [...choices, ...Object.keys(aliases)]);
    const target = near ? ((choices as readonly string[]).includes(near) ? near : Object.hasOwn(aliases, near) ? aliases[near] : undefined) : undefined;
    this.ctx.report(v.range, 'error', code, `${what} must be one of ${list}, not \`${v.text}\`${target ? `: did you mean \`${target}\`?` : '.'}`, {
      fixes: target ? [{ title: `Change to \`${target}\``, edits: [{ range: v.range, newText: target }], preferred: true }] : undefined,
    });
    return undefined;
  }

  /** on|off (also yes/no, true/false). */
  toggle(what: string): boolean | undefined {
    const r = this.choice(what, ['on', 'off'] as const, { yes: 'on', no: 'off', true: 'on', false: 'off' });
    return r ? r.value === 'on' : undefined;
  }

  /** Report any arguments left (MP113) with a fix removing them. */
  end(hint?: string) {
    if (this.done) return;
    const first = this.stmt.args[this.i];
    const last = this.stmt.args[this.stmt.args.length - 1];
    const prev = this.stmt.args[this.i - 1]?.range ?? this.stmt.keyword.range;
    const range: Range = { start: first.range.start, end: last.range.end };
    const fix: QuickFix = { title: 'Remove the extra values', edits: [{ range: { start: prev.end, end: last.range.end }, newText: '' }] };
    this.ctx.report(
      range,
      'error',
      'MP113',
      `Unexpected \`${this.stmt.args.slice(this.i).map(describe).join(' ')}\` after \`${this.stmt.keyword.text}\`${hint ? `: ${hint}` : ': remove it'}.`,
      {
        fixes: [fix],
      },
    );
    this.i = this.stmt.args.length;
  }
}

/** MP117 when a statement that takes no block has one. */
export function noBlock(ctx: Ctx, stmt: Statement) {
  if (stmt.block) {
    ctx.report(stmt.block.open, 'error', 'MP117', `\`${stmt.keyword.text}\` takes no \`{ … }\` block: remove the block.`);
  }
}

/** The statements of a block, or MP117 when the statement needs one. */
export function needBlock(ctx: Ctx, stmt: Statement, example: string): Statement[] {
  if (!stmt.block) {
    ctx.report(stmt.range, 'error', 'MP117', `\`${stmt.keyword.text}\` needs a block: \`${example}\`.`);
    return [];
  }
  return stmt.block.statements;
}

/**
 * Dispatch a block's statements by keyword. The handlers are exactly the
 * context's keywords in the vocabulary (a type error otherwise). Unknown
 * keywords get MP110 (saying where they belong, or the nearest known keyword
 * as a fix); single-use keywords given twice get MP111.
 */
export function dispatch<C extends Context>(ctx: Ctx, statements: Statement[], context: C, handlers: { [K in KeywordOf<C>]: (s: Statement) => void }) {
  const table = keywordsOf(context);
  const where = CONTEXTS[context].name;
  const seen = new Map<string, Statement>();
  const known = Object.keys(handlers);
  for (const s of statements) {
    const key = s.keyword.text.toLowerCase();
    const h = Object.hasOwn(handlers, key) ? (handlers as Record<string, (s: Statement) => void>)[key] : undefined;
    if (!h) {
      const homes = homesOf(key);
      if (homes.length > 0) {
        ctx.report(
          s.keyword.range,
          'error',
          'MP110',
          `\`${s.keyword.text}\` is not allowed in ${where}: it belongs inside ${homes.map((c) => CONTEXTS[c].name).join(' or ')}.`,
        );
        continue;
      }
      const near = nearest(s.keyword.text, known);
      ctx.report(
        s.keyword.range,
        'error',
        'MP110',
        `Unknown ${where} keyword \`${s.keyword.text}\`${near ? `: did you mean \`${near}\`?` : '.'} Known here: ${known.map((k) => `\`${k}\``).join(', ')}.`,
        { fixes: near ? [{ title: `Change to \`${near}\``, edits: [{ range: s.keyword.range, newText: near }], preferred: true }] : undefined },
      );
      continue;
    }
    if (!table[key]?.repeatable) {
      const first = seen.get(key);
      if (first) {
        ctx.report(s.keyword.range, 'error', 'MP111', `\`${key}\` is given twice in ${where}: keep one and remove the other.`, {
          related: [{ message: `first \`${key}\` here`, range: first.range }],
        });
        continue;
      }
      seen.set(key, s);
    }
    h(s);
  }
}
