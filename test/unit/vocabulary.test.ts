// The plan vocabulary is the one list of the language's words: the resolver
// reads every keyword of it in its place (and only there), the generated
// grammar and package.json enums are what the committed files hold, the
// docs name every word, and the units completion offers are real units.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkText } from '../../server/src/plan/check';
import {
  CONTEXT_NAMES,
  CONTEXTS,
  SUGGESTED_UNITS,
  WORD_SETS,
  homesOf,
  keywordsOf,
  valueWords,
  statementWords,
  type Context,
} from '../../server/src/plan/vocabulary';
import { lookupUnit, type UnitKind } from '../../server/src/language/units';
import { readSettings } from '../../server/src/lsp/settings';
import { POLICY } from '../../server/src/plan/vocabulary';
import { grammarWith, jsonText, packageWith } from '../../scripts/contributions';
import { ROOT } from './plan-arbitraries';

const PLAN = 'model mixtral-8x7b\ngpu h100-sxm x 2\n';

/** A plan with `line` written inside the block of `context`. */
function inContext(context: Context, line: string): string {
  switch (context) {
    case 'top':
      return PLAN + line + '\n';
    case 'model':
      return `model mixtral-8x7b {\n  ${line}\n}\ngpu h100-sxm x 2\n`;
    case 'gpu':
      return `model mixtral-8x7b\ngpu h100-sxm x 2 {\n  ${line}\n}\n`;
    case 'workload':
    case 'placement':
    case 'offload':
    case 'serve':
      return `${PLAN}${context} {\n  ${line}\n}\n`;
    case 'layer':
      return `${PLAN}placement {\n  layer 0 {\n    ${line}\n  }\n}\n`;
    case 'subsets':
      return `${PLAN}workload {\n  subsets {\n    ${line}\n  }\n}\n`;
    case 'subsets-layer':
      return `${PLAN}workload {\n  subsets {\n    layer 0 {\n      ${line}\n    }\n  }\n}\n`;
  }
}

const check = (text: string) => checkText(text, join(ROOT, 'examples', 'vocabulary.moeplan'), { fileExists: () => true }).diagnostics;

test('the resolver reads every keyword of the vocabulary in its own block', () => {
  let n = 0;
  for (const context of CONTEXT_NAMES) {
    for (const keyword of Object.keys(keywordsOf(context))) {
      const unknown = check(inContext(context, keyword)).filter((d) => d.code === 'MP110');
      assert.deepEqual(
        unknown.map((d) => d.message),
        [],
        `${keyword} in ${context}`,
      );
      n++;
    }
  }
  assert.ok(n >= 40, `${n} keywords`);
});

test('a keyword written in another block is told where it belongs', () => {
  for (const context of CONTEXT_NAMES) {
    for (const other of CONTEXT_NAMES) {
      for (const keyword of Object.keys(keywordsOf(other))) {
        if (Object.hasOwn(keywordsOf(context), keyword)) continue;
        const d = check(inContext(context, keyword)).find((x) => x.code === 'MP110');
        assert.ok(d, `${keyword} in ${context}`);
        for (const home of homesOf(keyword)) assert.ok(d.message.includes(CONTEXTS[home].name), `${d.message} names ${CONTEXTS[home].name}`);
        assert.match(d.message, new RegExp(`not allowed in ${CONTEXTS[context].name.replace(/[`]/g, '.')}`));
      }
    }
  }
});

test('single-use keywords given twice are reported; repeatable ones are not', () => {
  for (const context of CONTEXT_NAMES) {
    for (const [keyword, info] of Object.entries(keywordsOf(context))) {
      if (keyword === 'layer' && context === 'placement') continue; // the same layer twice is MP408, by design
      const twice = check(inContext(context, `${keyword}\n${keyword}`)).filter((d) => d.code === 'MP111');
      assert.equal(twice.length > 0, !info.repeatable, `${keyword} twice in ${context}`);
    }
  }
});

test('the committed grammar and package.json are what the vocabulary gives (run `npm run build` after changing it)', () => {
  for (const [file, update] of [
    ['syntaxes/moeplan.tmLanguage.json', grammarWith],
    ['package.json', packageWith],
  ] as const) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    assert.equal(text, jsonText(update(JSON.parse(text))), `${file} drifted from server/src/plan/vocabulary.ts`);
  }
});

test('the generated grammar highlights every word of the vocabulary as the semantic tokens do', () => {
  const grammar = JSON.parse(readFileSync(join(ROOT, 'syntaxes', 'moeplan.tmLanguage.json'), 'utf8'));
  const matches = (pattern: string, word: string) => {
    const m = new RegExp(pattern).exec(` ${word} `);
    return m?.[1] === word;
  };
  for (const w of valueWords()) assert.ok(matches(grammar.repository.value.match, w), w);
  for (const w of statementWords()) assert.ok(matches(grammar.repository['sub-keyword'].match, w), w);
  // The longest alternative wins: `h100-sxm` is one preset, not `h100` then `-sxm`.
  assert.ok(matches(grammar.repository.preset.match, 'h100-sxm'));
  assert.ok(matches(grammar.repository.value.match, 'layer-lru'));
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  assert.deepEqual(pkg.contributes.configuration.properties['moeplan.solver.policy'].enum, ['plan', ...POLICY.words]);
});

test('the settings accept every policy of the vocabulary and nothing else', () => {
  for (const p of POLICY.words) assert.equal(readSettings({ solver: { policy: p } }).policy, p);
  assert.equal(readSettings({ solver: { policy: 'plan' } }).policy, 'plan');
  assert.equal(readSettings({ solver: { policy: 'fastest' } }).policy, 'plan');
});

test('every argument word and alias is read by the resolver as its word', () => {
  for (const set of WORD_SETS) {
    for (const [alias, word] of Object.entries(set.aliases)) {
      assert.ok(set.has(word), `${alias} → ${word}`);
      assert.ok(!set.has(alias), `${alias} is both a word and an alias`);
    }
  }
  for (const [alias, word] of Object.entries(POLICY.aliases)) {
    const r = checkText(inContext('placement', `policy ${alias}`), join(ROOT, 'examples', 'x.moeplan'));
    assert.equal(r.plan?.placement.policy.value, word, alias);
  }
});

test('the units completion offers are units of their kind', () => {
  for (const [kind, units] of Object.entries(SUGGESTED_UNITS) as [UnitKind, readonly string[]][]) {
    for (const u of units) assert.equal(lookupUnit(u)?.kind, kind, u);
  }
});

test('docs/language.md names every keyword and every argument word', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'language.md'), 'utf8');
  const missing: string[] = [];
  for (const c of CONTEXT_NAMES) for (const k of Object.keys(keywordsOf(c))) if (!new RegExp(`\\b${k}\\b`).test(doc)) missing.push(k);
  for (const w of valueWords()) if (!new RegExp(`(^|[^\\w-])${w}([^\\w-]|$)`, 'm').test(doc)) missing.push(w);
  assert.deepEqual(missing, []);
});
