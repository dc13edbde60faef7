// The parts of the TextMate grammar and of package.json that come from the
// plan vocabulary (server/src/plan/vocabulary.ts) and the presets:
// the grammar's preset, value, statement-word and number-with-unit patterns, and the enums of
// the settings that take a vocabulary word. `npm run build` (esbuild.mjs)
// rewrites the two files when they differ; test/unit/vocabulary.test.ts
// fails when the committed files are not what this gives.
import { POLICY, statementWords, valueWords, type WordSet } from '../server/src/plan/vocabulary';
import { GPU_PRESET_NAMES, MODEL_PRESET_NAMES } from '../server/src/plan/presets';
import { ALL_UNITS } from '../server/src/language/units';

type Json = Record<string, unknown>;

/** A word as a regular expression matches it. */
const escape = (w: string) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `\b(a|b|c)\b`, longest first so `h100-sxm` is not read as `h100` then `-sxm`. */
function alternation(words: readonly string[]): string {
  const unique = [...new Set(words)].sort((a, b) => b.length - a.length || a.localeCompare(b));
  return `\\b(${unique.map(escape).join('|')})\\b`;
}

/**
 * A number with an optional unit right after it (52 GiB, 10s, 450 GB/s,
 * 12%): the units are language/units.ts's, longest first; `%` is apart
 * because no word boundary follows it.
 */
function numberPattern(): string {
  const units = ALL_UNITS.map((u) => u.text).filter((u) => u !== '%');
  units.sort((a, b) => b.length - a.length || a.localeCompare(b));
  return `(?<![\\w.-])(-?\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?)(?:\\s*(${units.map(escape).join('|')})\\b|\\s*(%))?`;
}

/** The grammar with its word patterns rewritten from the vocabulary. */
export function grammarWith(grammar: Json): Json {
  const out = structuredClone(grammar);
  const repo = out.repository as Record<string, Json>;
  repo.preset = { ...repo.preset, match: alternation([...MODEL_PRESET_NAMES, ...GPU_PRESET_NAMES, 'custom']) };
  repo.value = { ...repo.value, match: alternation(valueWords()) };
  repo['sub-keyword'] = { ...repo['sub-keyword'], match: alternation(statementWords()) };
  repo.number = { ...repo.number, match: numberPattern() };
  return out;
}

/** Settings whose values are vocabulary words, after the leading choices they add. */
const SETTING_ENUMS: { key: string; leading: { value: string; description: string }[]; words: WordSet<string> }[] = [
  { key: 'moeplan.solver.policy', leading: [{ value: 'plan', description: "The plan's own `policy`." }], words: POLICY },
];

/** package.json with the vocabulary's enums written in. */
export function packageWith(pkg: Json): Json {
  const out = structuredClone(pkg);
  const properties = ((out.contributes as Json).configuration as Json).properties as Record<string, Json>;
  for (const s of SETTING_ENUMS) {
    const p = properties[s.key];
    if (!p) throw new Error(`package.json declares no setting ${s.key}`);
    p.enum = [...s.leading.map((l) => l.value), ...s.words.words];
    p.markdownEnumDescriptions = [...s.leading.map((l) => l.description), ...s.words.words.map((w) => `${s.words.info[w].detail}.`)];
  }
  return out;
}

/** The text a JSON file is written with (two spaces, final newline, as npm writes package.json). */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
