// Generators shared by the language and plan property tests: well-formed
// plans with random content and layout, mutations of plan text, and a
// validity check for every range the checker reports.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Range } from '../../server/src/language/ast';
import type { Diagnostic } from '../../server/src/language/diagnostic';

export const ROOT = join(__dirname, '..', '..');
export const EXAMPLE_NAMES = ['mixtral-8x7b', 'dbrx', 'deepseek-v3'];
export const examplePath = (name: string) => join(ROOT, 'examples', `${name}.moeplan`);
export const EXAMPLES: { name: string; path: string; text: string }[] = EXAMPLE_NAMES.map((name) => ({
  name,
  path: examplePath(name),
  text: readFileSync(examplePath(name), 'utf8'),
}));

const MODELS = ['mixtral-8x7b', 'mixtral-8x22b', 'dbrx', 'deepseek-v3', 'deepseek-r1', 'qwen3-235b-a22b', 'qwen3-30b-a3b', 'olmoe-1b-7b', 'gpt-oss-120b'];
const GPUS = ['a100-80g', 'h100-sxm', 'h200', 'b200'];

const comment = fc.constantFrom('# note', '#x', '# ünïcödé µs 🚀', '# a { b } "c"');
const space = fc.constantFrom(' ', '  ', '\t');

/** A statement line: keyword, args, optional trailing comment, with random spacing. */
function line(parts: string[], sp: string, trailing?: string): string {
  return parts.join(sp) + (trailing ? sp + trailing : '');
}

/** Well-formed plan text (syntax-valid; semantics may or may not be). */
export const planText: fc.Arbitrary<string> = fc
  .record({
    model: fc.constantFrom(...MODELS),
    override: fc.option(fc.record({ topK: fc.integer({ min: 1, max: 8 }), layers: fc.integer({ min: 1, max: 64 }) }), { nil: undefined }),
    gpu: fc.constantFrom(...GPUS),
    count: fc.integer({ min: 1, max: 16 }),
    nodes: fc.constantFrom(1, 2),
    reserve: fc.integer({ min: 0, max: 60 }),
    slots: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
    batch: fc.integer({ min: 1, max: 512 }),
    seed: fc.integer({ min: 0, max: 1000 }),
    policy: fc.constantFrom('greedy', 'search', 'eplb', 'contiguous', 'round-robin', 'exact'),
    layers: fc.array(
      fc.record({
        from: fc.integer({ min: 0, max: 40 }),
        span: fc.integer({ min: 0, max: 3 }),
        gpus: fc.array(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 6 }), { minLength: 1, maxLength: 4 }),
      }),
      { maxLength: 4 },
    ),
    comments: fc.array(fc.option(comment, { nil: undefined }), { minLength: 16, maxLength: 16 }),
    sp: space,
    blank: fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
    offload: fc.boolean(),
    semis: fc.boolean(),
  })
  .map((r) => {
    const c = (i: number) => r.comments[i];
    const out: string[] = [];
    const push = (s: string, i: number) => {
      if (r.blank[i]) out.push('');
      out.push(s);
    };
    if (r.override) {
      push(line(['model', r.model, '{'], r.sp, c(0)), 0);
      out.push(`  top-k ${r.override.topK}`);
      out.push(`  layers ${r.override.layers}`);
      out.push('}');
    } else push(line(['model', r.model], r.sp, c(0)), 0);
    push(line(['gpu', r.gpu, 'x', String(r.count * r.nodes), 'in', String(r.nodes), 'nodes'], r.sp, c(1)), 1);
    push(line(['reserve', `${r.reserve}`, 'GiB', 'per', 'gpu'], r.sp, c(2)), 2);
    if (r.slots !== undefined) push(line(['slots', String(r.slots), 'per', 'gpu'], r.sp), 3);
    push(line(['link', 'nvlink', '450', 'GB/s,', 'network', '50', 'GB/s', '3', 'us'], r.sp, c(4)), 4);
    const wl = ['workload {', `  synthetic seed ${r.seed} tokens 1000`, `  batch ${r.batch} tokens`, '  phase decode output 128 tokens', '}'];
    push(r.semis ? 'workload { batch ' + r.batch + '; phase decode }' : wl.join('\n'), 5);
    const pl = ['placement {' + (c(6) ? ' ' + c(6) : ''), `  policy ${r.policy}`];
    for (const l of r.layers) {
      pl.push(`  layer ${r.layers.length && l.span ? `${l.from}..${l.from + l.span}` : l.from} {`);
      l.gpus.forEach((g, i) => pl.push(`    gpu ${i}:${g.length ? ' ' + g.join(' ') : ''}`));
      pl.push('  }');
    }
    if (c(7)) pl.push('  ' + c(7));
    pl.push('}');
    push(pl.join('\n'), 6);
    if (r.offload) push('offload {\n  policy layer-lru\n  prefetch on\n}', 7);
    if (c(8)) push(c(8)!, 8);
    return out.join('\n') + '\n';
  });

const INSERTS = ['{', '}', '"', '#', ':', '..', '\n', ' ', 'x', '1', '%', 'GiB', ';', ',', 'layer', 'gpu 9:', '-', '.', '\r\n', 'µ', '😀'];

export type Mutation = { kind: 'delete' | 'insert' | 'dupChar' | 'deleteLine' | 'dupLine' | 'swapLines'; at: number; len: number; ins: string };

export const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('delete', 'insert', 'dupChar', 'deleteLine', 'dupLine', 'swapLines'),
  at: fc.nat(),
  len: fc.integer({ min: 1, max: 8 }),
  ins: fc.constantFrom(...INSERTS),
}) as fc.Arbitrary<Mutation>;

export function mutate(text: string, muts: Mutation[]): string {
  let t = text;
  for (const m of muts) {
    const lines = t.split('\n');
    const p = t.length === 0 ? 0 : m.at % (t.length + 1);
    const li = lines.length === 0 ? 0 : m.at % lines.length;
    switch (m.kind) {
      case 'delete':
        t = t.slice(0, p) + t.slice(p + m.len);
        break;
      case 'insert':
        t = t.slice(0, p) + m.ins + t.slice(p);
        break;
      case 'dupChar':
        t = t.slice(0, p) + t.slice(p, p + m.len) + t.slice(p);
        break;
      case 'deleteLine':
        lines.splice(li, 1);
        t = lines.join('\n');
        break;
      case 'dupLine':
        lines.splice(li, 0, lines[li] ?? '');
        t = lines.join('\n');
        break;
      case 'swapLines': {
        const lj = (li + m.len) % Math.max(1, lines.length);
        [lines[li], lines[lj]] = [lines[lj], lines[li]];
        t = lines.join('\n');
        break;
      }
    }
  }
  return t;
}

/** Lengths (UTF-16) of each line, splitting on \n, \r\n and \r as LSP does. */
export function lineLengths(text: string): number[] {
  return text.split(/\r\n|\r|\n/).map((l) => l.length);
}

export function rangeProblem(r: Range, lens: number[]): string | undefined {
  for (const p of [r.start, r.end]) {
    if (!Number.isInteger(p.line) || !Number.isInteger(p.character)) return 'non-integer position';
    if (p.line < 0 || p.line >= lens.length) return `line ${p.line} outside 0..${lens.length - 1}`;
    if (p.character < 0 || p.character > lens[p.line]) return `column ${p.character} outside line ${p.line} (length ${lens[p.line]})`;
  }
  if (r.start.line > r.end.line || (r.start.line === r.end.line && r.start.character > r.end.character)) return 'start after end';
  return undefined;
}

/** Every diagnostic, related location and fix edit has a valid range. */
export function diagnosticProblems(text: string, diags: Diagnostic[]): string[] {
  const lens = lineLengths(text);
  const out: string[] = [];
  for (const d of diags) {
    const check = (r: Range, what: string) => {
      const p = rangeProblem(r, lens);
      if (p) out.push(`${d.code} ${what}: ${p} (${JSON.stringify(r)})`);
    };
    check(d.range, 'range');
    if (!/^MP\d{3}$/.test(d.code)) out.push(`bad code ${d.code}`);
    if (!d.message) out.push(`${d.code}: empty message`);
    for (const r of d.related ?? []) if (!r.file) check(r.range, 'related');
    for (const f of d.fixes ?? []) for (const e of f.edits) check(e.range, `fix "${f.title}"`);
  }
  return out;
}

/** Apply LSP-style edits (non-overlapping) to text. */
export function applyEdits(text: string, edits: { range: Range; newText: string }[]): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\r' && text[i + 1] === '\n') {
      i++;
      starts.push(i + 1);
    } else if (text[i] === '\n' || text[i] === '\r') starts.push(i + 1);
  }
  const off = (p: { line: number; character: number }) => starts[p.line] + p.character;
  const sorted = [...edits].sort((a, b) => off(b.range.start) - off(a.range.start));
  let t = text;
  for (const e of sorted) t = t.slice(0, off(e.range.start)) + e.newText + t.slice(off(e.range.end));
  return t;
}
