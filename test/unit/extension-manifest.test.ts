// What package.json promises the editor, held to the files and code behind
// it: commands registered, icons and walkthrough pages present, the Markdown
// injection grammar, honest capabilities, the problem matcher against the
// CLI's real output, the New Plan template through `moeplan check`, and the
// renamed trace-size setting with its deprecated fallback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../server/src/cli/main';
import { NEW_PLAN_TEMPLATE } from '../../client/src/planTemplate';
import { DEFAULT_SETTINGS, readSettings } from '../../server/src/lsp/settings';

const ROOT = join(__dirname, '..', '..');
interface Manifest {
  icon: string;
  activationEvents: string[];
  capabilities: { virtualWorkspaces: { supported: boolean | string }; untrustedWorkspaces: { restrictedConfigurations: string[] } };
  contributes: {
    commands: { command: string }[];
    languages: { id: string; icon?: { light: string; dark: string } }[];
    grammars: { scopeName: string; path: string; injectTo?: string[] }[];
    walkthroughs: { steps: { media: { markdown?: string }; description: string }[] }[];
    problemMatchers: {
      name: string;
      pattern: { regexp: string; file: number; line: number; column: number; severity: number; code: number; message: number };
    }[];
    taskDefinitions: { type: string; required: string[]; properties: { command: { enum: string[] } } }[];
    configuration: { properties: Record<string, { markdownDeprecationMessage?: string; default?: unknown }> };
  };
  scripts: Record<string, string>;
}
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;
const clientSource = readdirSync(join(ROOT, 'client', 'src'))
  .map((f) => readFileSync(join(ROOT, 'client', 'src', f), 'utf8'))
  .join('\n');

async function runCli(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += t), err: (t) => (err += t), cwd });
  return { code, out, err };
}

test('every contributed command is registered by the client, and every registered command is contributed', () => {
  const contributed = new Set(manifest.contributes.commands.map((c) => c.command));
  const registered = new Set([...clientSource.matchAll(/registerCommand\('([^']+)'/g)].map((m) => m[1]!));
  assert.deepEqual([...registered].sort(), [...contributed].sort());
  for (const c of ['moeplan.newPlan', 'moeplan.showOutput', 'moeplan.saveReport']) assert.ok(contributed.has(c), `${c} is not contributed`);
});

test('the icon is a 128×128 PNG and the file icons and walkthrough pages exist', () => {
  const png = readFileSync(join(ROOT, manifest.icon));
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'not a PNG');
  assert.equal(png.toString('ascii', 12, 16), 'IHDR');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128]);
  const language = manifest.contributes.languages.find((l) => l.id === 'moeplan');
  for (const svg of [language?.icon?.light, language?.icon?.dark]) {
    assert.ok(svg, 'the moeplan language has no light and dark icon');
    assert.match(readFileSync(join(ROOT, svg), 'utf8'), /^<svg [^>]*viewBox="0 0 16 16"/);
  }
  const steps = manifest.contributes.walkthroughs.flatMap((w) => w.steps);
  assert.ok(steps.length >= 4, 'the walkthrough has fewer than four steps');
  for (const s of steps) {
    assert.ok(s.media.markdown && existsSync(join(ROOT, s.media.markdown)), `walkthrough page ${s.media.markdown} is missing`);
    // Each step's button runs a command the extension contributes.
    const command = /\(command:([\w.]+)\)/.exec(s.description)?.[1];
    assert.ok(command && manifest.contributes.commands.some((c) => c.command === command), `step button runs ${command}`);
  }
});

test('the Markdown injection grammar is valid JSON, injected into Markdown, and embeds source.moeplan for ```moeplan blocks', () => {
  const entry = manifest.contributes.grammars.find((g) => g.injectTo?.includes('text.html.markdown'));
  assert.ok(entry, 'no grammar is injected into text.html.markdown');
  const grammar = JSON.parse(readFileSync(join(ROOT, entry.path), 'utf8')) as {
    scopeName: string;
    injectionSelector: string;
    repository: Record<string, { begin: string; patterns: { patterns: { include: string }[] }[] }>;
  };
  assert.equal(grammar.scopeName, entry.scopeName);
  assert.match(grammar.injectionSelector, /text\.html\.markdown/);
  const block = Object.values(grammar.repository)[0]!;
  assert.ok(JSON.stringify(block.patterns).includes('"include":"source.moeplan"'), 'the block does not include source.moeplan');
  // Oniguruma's (?i:…) group as JavaScript reads it: case-insensitive.
  const begin = new RegExp(block.begin.replace('(?i:', '(?:'), 'i');
  for (const fence of ['```moeplan', '~~~moeplan', '  ```MoePlan title="x"']) assert.match(fence, begin);
  for (const fence of ['```python', '```', '```moeplanx']) assert.doesNotMatch(fence, begin);
});

test('capabilities are honest: no virtual workspaces, activation at the workspace root only', () => {
  assert.equal(manifest.capabilities.virtualWorkspaces.supported, false);
  // The language client's document selector is what limits the server to local files.
  assert.deepEqual([...clientSource.matchAll(/scheme: '(\w+)', language: LANGUAGE_ID/g)].map((m) => m[1]).sort(), ['file', 'untitled']);
  const contains = manifest.activationEvents.filter((e) => e.startsWith('workspaceContains:'));
  assert.deepEqual(contains, ['workspaceContains:*.moeplan']);
  assert.ok(manifest.activationEvents.includes('onLanguage:moeplan'));
  assert.equal(manifest.scripts['vscode:prepublish'], 'node esbuild.mjs --production');
});

test('the $moeplan problem matcher reads every diagnostic line `moeplan check` prints', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'moeplan-matcher-'));
  try {
    writeFileSync(join(dir, 'bad.moeplan'), 'model mixtral-8x7b\ngpu h100-sxm x 2\nfoo\n');
    const r = await runCli(['check', 'bad.moeplan'], dir);
    assert.equal(r.code, 1);
    const matcher = manifest.contributes.problemMatchers.find((m) => m.name === 'moeplan')!;
    const re = new RegExp(matcher.pattern.regexp);
    const lines = (r.out + r.err).split('\n').filter((l) => /\bMP\d{3}\b/.test(l));
    assert.ok(lines.length >= 2, `expected an error and an information line, got:\n${r.out}${r.err}`);
    const matched = lines.map((l) => re.exec(l));
    for (const [i, m] of matched.entries()) assert.ok(m, `the matcher misses: ${lines[i]}`);
    const unknown = matched.find((m) => m![matcher.pattern.code] === 'MP110')!;
    assert.equal(unknown[matcher.pattern.file], 'bad.moeplan');
    assert.equal(unknown[matcher.pattern.line], '3');
    assert.equal(unknown[matcher.pattern.column], '1');
    assert.equal(unknown[matcher.pattern.severity], 'error');
    assert.match(unknown[matcher.pattern.message]!, /Unknown top-level keyword `foo`/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the task type offers the CLI commands the tasks run', () => {
  const def = manifest.contributes.taskDefinitions.find((t) => t.type === 'moeplan');
  assert.ok(def);
  assert.deepEqual(def.required, ['command', 'file']);
  assert.deepEqual(def.properties.command.enum, ['check', 'solve']);
  assert.match(clientSource, /const COMMANDS: MoeplanTaskDefinition\['command'\]\[\] = \['check', 'solve'\]/);
});

test('the New Plan template passes `moeplan check` with no warning', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'moeplan-template-'));
  try {
    writeFileSync(join(dir, 'new.moeplan'), NEW_PLAN_TEMPLATE);
    const r = await runCli(['check', 'new.moeplan'], dir);
    assert.equal(r.code, 0, r.out + r.err);
    assert.doesNotMatch(r.out + r.err, /error|warning/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('moeplan.traces.maxSizeMB is read, and the deprecated moeplan.trace.maxSizeMB when the new one is at its default', () => {
  const props = manifest.contributes.configuration.properties;
  assert.equal(props['moeplan.traces.maxSizeMB']?.default, DEFAULT_SETTINGS.traceMaxSizeMB);
  assert.match(props['moeplan.trace.maxSizeMB']?.markdownDeprecationMessage ?? '', /moeplan\.traces\.maxSizeMB/);
  assert.equal(props['moeplan.trace.maxSizeMB']?.default, null);
  assert.ok(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.includes('moeplan.traces.maxSizeMB'));
  const d = DEFAULT_SETTINGS.traceMaxSizeMB;
  // As VS Code sends the section: both names, the new one with its default, the old one null unless set.
  const sent = (traces: unknown, old: unknown) => readSettings({ traces: { maxSizeMB: traces }, trace: { server: 'off', maxSizeMB: old } }).traceMaxSizeMB;
  assert.equal(sent(d, null), d);
  assert.equal(sent(100, null), 100);
  assert.equal(sent(d, 64), 64, 'the old name, set alone, is not read');
  assert.equal(sent(100, 64), 100, 'the new name does not win over the old one');
  assert.equal(sent(0, null), d, 'a value under 1 MB is not refused');
  assert.equal(readSettings({}).traceMaxSizeMB, d);
});
