// Plans used by the end-to-end suites, taken from examples/ (never hard-coded
// results: expectations come from the CLI on the same files).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { projectRoot } from '../../scripts/e2e/setup.js';

let built = false;

/** Builds dist/ once per process (npm test builds first; single-file runs need it too). */
export function buildOnce(): void {
  if (built) return;
  const r = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: projectRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node esbuild.mjs failed:\n${r.stdout}\n${r.stderr}`);
  built = true;
}

export interface CliDiagnostic {
  path: string;
  line: number;
  column: number;
  severity: string;
  code: string;
  message: string;
}

/** Runs `moeplan check FILE` (dist/cli.js) and parses `path:line:col: severity CODE: message`. */
export function checkWithCli(file: string): { errors: CliDiagnostic[]; all: CliDiagnostic[]; status: number; raw: string } {
  const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'moeplan.js'), 'check', file], { encoding: 'utf8', timeout: 120_000 });
  const raw = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const all: CliDiagnostic[] = [];
  for (const line of raw.split('\n')) {
    const m = /^(.*):(\d+):(\d+): (error|warning|info|hint|information) ([\w.-]+): (.*)$/.exec(line.trim());
    if (m) all.push({ path: m[1]!, line: Number(m[2]), column: Number(m[3]), severity: m[4]!, code: m[5]!, message: m[6]! });
  }
  return { errors: all.filter((d) => d.severity === 'error'), all, status: r.status ?? -1, raw };
}

/** Runs `moeplan fmt` (which formats in place) on a temporary copy of `file`; returns the formatted text. */
export function formatWithCli(file: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'moeplan-fmt-'));
  try {
    const copy = join(dir, basename(file));
    copyFileSync(file, copy);
    const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'moeplan.js'), 'fmt', copy], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`moeplan fmt ${file} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    return readFileSync(copy, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Where to find something in a plan: a regex whose group 1 is the token. */
export interface TokenSpec {
  pattern: RegExp;
  describe: string;
}

/** 0-based line and character of group 1 of the first match of `spec` in `text`. */
export function findToken(text: string, spec: TokenSpec): { line: number; character: number } {
  const withIndices = new RegExp(spec.pattern.source, spec.pattern.flags.replace('g', '') + 'd');
  const m = withIndices.exec(text);
  if (!m || m[1] === undefined || !m.indices?.[1]) throw new Error(`plan has no ${spec.describe} (${spec.pattern})`);
  const offset = m.indices[1][0];
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

/** A committed assignment line `gpu G: e e e` — group 1 is its first expert id. */
const COMMITTED_EXPERT: TokenSpec = { pattern: /^[ \t]*gpu[ \t]+\d+[ \t]*:[ \t]*(\d+)/m, describe: 'committed expert on a gpu line' };
const PINNED_EXPERT: TokenSpec = { pattern: /\bexpert[ \t]+(\d+)/, describe: '`expert N` reference' };
const MODEL_PRESET: TokenSpec = { pattern: /^model[ \t]+([\w.-]+)/m, describe: 'model line' };

export interface ExamplePlan {
  name: string;
  path: string;
  text: string;
  expertToken: TokenSpec;
  modelToken: TokenSpec;
}

function planFiles(dir: string): string[] {
  const names = readdirSync(dir)
    .filter((n) => n.endsWith('.moeplan'))
    .sort();
  if (names.length === 0) throw new Error(`no .moeplan files in ${dir}: the examples have not landed`);
  return names;
}

/**
 * The example the suites work on, found in `dir` (a copy of examples/): the
 * smallest plan with a model line and a committed placement (so it has
 * experts to hover and a placement to apply), else the smallest with a model line.
 */
export function examplePlan(dir: string): ExamplePlan {
  const cands = planFiles(dir)
    .map((name) => {
      const path = join(dir, name);
      const text = readFileSync(path, 'utf8');
      return { name, path, text };
    })
    .filter((p) => MODEL_PRESET.pattern.test(p.text));
  if (cands.length === 0) throw new Error(`no example in ${dir} has a \`model\` line`);
  const preferred = process.env.MOEPLAN_E2E_EXAMPLE;
  const bySize = [...cands].sort((a, b) => a.text.length - b.text.length);
  const pick =
    (preferred ? cands.find((c) => c.name === preferred) : undefined) ??
    bySize.find((c) => COMMITTED_EXPERT.pattern.test(c.text) && checkQuick(c.path)) ??
    bySize.find((c) => checkQuick(c.path)) ??
    bySize[0]!;
  const expertToken = COMMITTED_EXPERT.pattern.test(pick.text) ? COMMITTED_EXPERT : PINNED_EXPERT;
  return { ...pick, expertToken, modelToken: MODEL_PRESET };
}

function checkQuick(path: string): boolean {
  return checkWithCli(path).errors.length === 0;
}

/**
 * Copies the example into `dir` as broken.moeplan with its model preset
 * misspelt (an error the language reports with a "nearest preset" fix).
 */
export function makeBrokenPlan(dir: string, source?: ExamplePlan): { path: string; name: string; brokenLine: number; original: string; misspelt: string } {
  const src = source ?? examplePlan(join(projectRoot, 'examples'));
  const pos = findToken(src.text, MODEL_PRESET);
  const lines = src.text.split('\n');
  const line = lines[pos.line]!;
  const original = MODEL_PRESET.pattern.exec(src.text)![1]!;
  // Drop one character from the middle: still close to the preset, no longer a preset.
  const cut = Math.floor(original.length / 2);
  const misspelt = original.slice(0, cut) + original.slice(cut + 1);
  lines[pos.line] = line.slice(0, pos.character) + misspelt + line.slice(pos.character + original.length);
  const path = join(dir, 'broken.moeplan');
  writeFileSync(path, lines.join('\n'));
  return { path, name: basename(path), brokenLine: pos.line + 1, original, misspelt };
}

/** A valid example re-spaced badly (indentation, spacing, blank lines) as messy.moeplan in `dir`. */
export function makeMessyPlan(dir: string, source: ExamplePlan): { path: string; name: string } {
  const messy = source.text
    .split('\n')
    .map((l, i) => {
      const t = l.trim();
      if (t === '' || t.startsWith('#')) return l;
      // Alternate odd indentation and doubled inner spaces.
      return (i % 2 ? '      ' : '') + t.replace(/ +/g, i % 3 === 0 ? '   ' : ' ');
    })
    .join('\n')
    .replace(/\n\n/g, '\n\n\n');
  const path = join(dir, 'messy.moeplan');
  writeFileSync(path, messy);
  return { path, name: basename(path) };
}
