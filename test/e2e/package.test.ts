// The .vsix a user installs, built as `vsce package` builds it (with
// `vscode:prepublish`): minified bundles within budget, no source maps and no
// line pointing at one, the version of package.json in the bundles, and the
// icons, walkthrough pages, grammars and changelog the manifest names.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAndPackage } from '../../scripts/e2e/harness.js';
import { projectRoot } from '../../scripts/e2e/setup.js';
import { PACKAGED_JS_LIMIT_BYTES, packagedScriptBytes, vsixEntries } from '../../scripts/e2e/vsixContents.js';

it('the packaged extension is minified, within its JavaScript budget, and carries what its manifest names', { timeout: 5 * 60_000 }, async () => {
  const entries = vsixEntries(await buildAndPackage());
  const names = entries.map((e) => e.name);
  const text = (name: string) => Buffer.from(entries.find((e) => e.name === name)!.bytes).toString('utf8');

  const js = packagedScriptBytes(entries);
  process.stderr.write(
    `[package] ${js} bytes of JavaScript in the .vsix: ${entries
      .filter((e) => e.name.endsWith('.js'))
      .map((e) => `${e.name.replace('extension/', '')} ${e.bytes.length}`)
      .join(', ')}\n`,
  );
  assert.ok(js <= PACKAGED_JS_LIMIT_BYTES, `${js} bytes of JavaScript, over ${PACKAGED_JS_LIMIT_BYTES}`);
  assert.deepEqual(names.filter((n) => n.endsWith('.js')).sort(), ['extension/dist/client.js', 'extension/dist/server.js', 'extension/dist/webview.js']);
  assert.deepEqual(
    names.filter((n) => n.endsWith('.map')),
    [],
    'source maps are packaged',
  );
  for (const n of names.filter((x) => x.endsWith('.js') || x.endsWith('.css'))) {
    const body = text(n);
    assert.doesNotMatch(body.slice(-500), /sourceMappingURL/, `${n} points at a source map`);
    // Minified: few, long lines (a development build has one statement per line).
    assert.ok(body.length / body.split('\n').length > 500, `${n} does not look minified`);
  }

  const manifest = JSON.parse(text('extension/package.json')) as {
    version: string;
    icon: string;
    contributes: {
      languages: { icon?: { light: string; dark: string } }[];
      grammars: { path: string }[];
      walkthroughs: { steps: { media: { markdown: string } }[] }[];
      jsonValidation: { url: string }[];
    };
  };
  assert.equal(manifest.version, (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version);
  // The version the CLI, the server and the client report comes from the build, not from a literal.
  for (const bundle of ['server', 'client']) {
    assert.ok(text(`extension/dist/${bundle}.js`).includes(JSON.stringify(manifest.version)), `the ${bundle} bundle does not carry the package version`);
  }
  const named = [
    manifest.icon,
    ...manifest.contributes.languages.flatMap((l) => (l.icon ? [l.icon.light, l.icon.dark] : [])),
    ...manifest.contributes.grammars.map((g) => g.path),
    ...manifest.contributes.walkthroughs.flatMap((w) => w.steps.map((s) => s.media.markdown)),
    ...manifest.contributes.jsonValidation.map((v) => v.url),
  ];
  for (const file of named) assert.ok(names.includes(`extension/${file.replace(/^\.\//, '')}`), `${file} is named in package.json but not packaged`);
  assert.ok(
    names.some((n) => /^extension\/changelog\.md$/i.test(n)),
    'no CHANGELOG.md in the package',
  );
  // Sources, tests and node_modules stay out.
  assert.deepEqual(
    names.filter((n) => /\/(node_modules|test|server\/src|client\/src)\//.test(n)),
    [],
  );
});
