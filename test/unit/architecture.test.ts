// docs/architecture.md against the tree: the import graph of server/src
// (read with the TypeScript compiler's parser) follows the folder table's
// "depends on" column, the planning core never reaches the editor, no value
// import closes a loop, and every path the page names exists.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(__dirname, '..', '..');
const SRC = join(ROOT, 'server', 'src');
const DOC = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');

/** The folders (and single-file modules) of server/src that the table has rows for. */
type Unit = string;

interface Edge {
  from: string;
  to: string;
  /** `import type` / `export type`: erased from the bundles. */
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

function resolveModule(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  for (const p of [base + '.ts', join(base, 'index.ts'), base]) if (existsSync(p) && statSync(p).isFile()) return p;
  return undefined;
}

function isTypeOnly(s: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(s)) {
    if (s.isTypeOnly) return true;
    const c = s.exportClause;
    return !!c && ts.isNamedExports(c) && c.elements.length > 0 && c.elements.every((e) => e.isTypeOnly);
  }
  const c = s.importClause;
  if (!c) return false; // a side-effect import runs code
  if (c.isTypeOnly) return true;
  if (c.name) return false;
  const b = c.namedBindings;
  return !!b && ts.isNamedImports(b) && b.elements.length > 0 && b.elements.every((e) => e.isTypeOnly);
}

/** Every static import and re-export of every file under server/src: file → module (a path, or a package name). */
function importGraph(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
    for (const s of sf.statements) {
      if (!(ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) || !s.moduleSpecifier || !ts.isStringLiteral(s.moduleSpecifier)) continue;
      const spec = s.moduleSpecifier.text;
      const to = spec.startsWith('.') ? resolveModule(file, spec) : spec;
      assert.ok(to, `${relative(ROOT, file)} imports '${spec}', which does not resolve to a file`);
      edges.push({ from: file, to, typeOnly: isTypeOnly(s) });
    }
  }
  return edges;
}

/** The table's unit of a file under server/src: its top folder, or the file's own name at the top. */
function unitOf(file: string): Unit | undefined {
  if (!file.startsWith(SRC + sep)) return undefined;
  const parts = relative(SRC, file).split(sep);
  return parts.length > 1 ? parts[0] : parts[0].replace(/\.ts$/, '');
}

interface Declared {
  deps: Map<string, { typesOnly: boolean }>;
}

/** The "depends on" column, for every `server/src/…` row of the folder table. */
function declaredLayers(): Map<Unit, Declared> {
  const out = new Map<Unit, Declared>();
  for (const line of DOC.split('\n')) {
    const m = /^\| `server\/src\/([A-Za-z]+)(?:\/|\.ts)` \|/.exec(line);
    if (!m) continue;
    const column = line.slice(line.lastIndexOf(' | ') + 3, line.lastIndexOf(' |'));
    const deps = new Map<string, { typesOnly: boolean }>();
    // "a, b (types only), c (a note); what happens at run time" — names before the first ';'.
    for (const item of column.split(';')[0].split(/,(?![^(]*\))/)) {
      const name = item.replace(/\(.*?\)/g, '').trim();
      if (name === '—' || name === '') continue;
      deps.set(name, { typesOnly: /\(types only\)/.test(item) });
    }
    out.set(m[1], { deps });
  }
  return out;
}

const edges = importGraph();
const layers = declaredLayers();
const VSCODE = /^vscode(-languageserver.*|-languageclient.*)?$/;

test('the folder table has a row for every folder and top-level module of server/src', () => {
  const units = new Set(sourceFiles(SRC).map((f) => unitOf(f)!));
  assert.deepEqual([...units].sort(), [...layers.keys()].sort());
});

test('every import between folders of server/src is one the table declares, type-only where it says so', () => {
  const problems: string[] = [];
  for (const e of edges) {
    const from = unitOf(e.from)!;
    const to = unitOf(e.to) ?? (VSCODE.test(e.to) ? e.to.replace(/\/.*$/, '') : undefined);
    if (to === undefined || to === from) continue; // packages other than the editor's are the dependencies doc's business
    const declared =
      layers.get(from)!.deps.get(to) ?? (to.startsWith('vscode-languageserver') ? layers.get(from)!.deps.get('vscode-languageserver') : undefined);
    const where = `${relative(ROOT, e.from)} → ${to.startsWith('vscode') ? to : relative(ROOT, e.to)}`;
    if (!declared) problems.push(`${where}: ${from} does not depend on ${to} in docs/architecture.md`);
    else if (declared.typesOnly && !e.typeOnly) problems.push(`${where}: a value import where the table says types only`);
  }
  assert.deepEqual(problems, []);
});

test('the planning core imports neither vscode, the LSP libraries, the server nor the CLI; the server never imports vscode', () => {
  const core = ['language', 'plan', 'workload', 'cost', 'solve', 'analysis', 'export', 'feedback', 'report', 'userFiles', 'display', 'protocol'];
  for (const u of core) assert.ok(layers.has(u), `docs/architecture.md has no row for ${u}`);
  const problems: string[] = [];
  for (const e of edges) {
    const from = unitOf(e.from)!;
    const to = unitOf(e.to);
    if (core.includes(from) && (VSCODE.test(e.to) || to === 'lsp' || to === 'cli')) problems.push(`${relative(ROOT, e.from)} imports ${to ?? e.to}`);
    if (e.to === 'vscode' || e.to.startsWith('vscode-languageclient')) problems.push(`${relative(ROOT, e.from)} imports ${e.to}`);
  }
  assert.deepEqual(problems, []);
});

/** A cycle in a directed graph, as a list of nodes, or undefined. */
function findCycle(nodes: Iterable<string>, next: (n: string) => Iterable<string>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, 'open');
    path.push(n);
    for (const m of next(n)) {
      if (state.get(m) === 'open') return [...path.slice(path.indexOf(m)), m];
      if (!state.has(m)) {
        const c = visit(m);
        if (c) return c;
      }
    }
    path.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of nodes) {
    if (state.has(n)) continue;
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

test('no value import closes a loop, between files or between folders', () => {
  const values = edges.filter((e) => !e.typeOnly && unitOf(e.to) !== undefined);
  const byFile = new Map<string, string[]>();
  for (const e of values) byFile.set(e.from, [...(byFile.get(e.from) ?? []), e.to]);
  const fileCycle = findCycle(byFile.keys(), (n) => byFile.get(n) ?? []);
  assert.equal(fileCycle?.map((f) => relative(SRC, f)).join(' → '), undefined);
  const byUnit = new Map<string, Set<string>>();
  for (const e of values) {
    const a = unitOf(e.from)!;
    const b = unitOf(e.to)!;
    if (a !== b) byUnit.set(a, (byUnit.get(a) ?? new Set()).add(b));
  }
  assert.equal(findCycle(byUnit.keys(), (n) => byUnit.get(n) ?? [])?.join(' → '), undefined);
});

test('the checks above see a loop and an undeclared import when there is one', () => {
  assert.deepEqual(
    findCycle(['a', 'b', 'c'], (n) => ({ a: ['b'], b: ['c'], c: ['a'] })[n] ?? []),
    ['a', 'b', 'c', 'a'],
  );
  assert.equal(
    findCycle(['a', 'b'], (n) => ({ a: ['b'] })[n] ?? []),
    undefined,
  );
  // The graph is real: the server imports the LSP library, the planning core does not.
  assert.ok(edges.some((e) => unitOf(e.from) === 'lsp' && e.to === 'vscode-languageserver/node'));
  assert.ok(edges.some((e) => unitOf(e.from) === 'protocol' && e.typeOnly));
  assert.equal(layers.get('language')!.deps.size, 0);
});

test('every path docs/architecture.md names exists', () => {
  const missing: string[] = [];
  let rowFolder = '';
  for (const line of DOC.split('\n')) {
    const row = /^\| `(server\/src\/[A-Za-z]+\/)` \|/.exec(line);
    rowFolder = row ? row[1] : '';
    for (const [, name] of line.matchAll(/`([^`\s]+)`/g)) {
      if (!/\.(ts|js|mjs|md)$|\/$/.test(name) || name.startsWith('dist/')) continue; // dist/ holds build outputs
      const candidates = [name, join('server/src', name), join(rowFolder, name), join('test', name)];
      const found = name.includes('*')
        ? candidates.some((c) => {
            const dir = join(ROOT, dirname(c));
            const re = new RegExp('^' + c.split('/').pop()!.replace(/\./g, '\\.').replace(/\*/g, '.*') + '$');
            return existsSync(dir) && readdirSync(dir).some((f) => re.test(f));
          })
        : candidates.some((c) => existsSync(join(ROOT, c)));
      if (!found) missing.push(name);
    }
  }
  assert.deepEqual(missing, []);
});
