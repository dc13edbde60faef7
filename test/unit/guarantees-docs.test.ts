// docs/guarantees.md names the test behind each promise: every file it
// names must exist, so the page cannot point at a test that was renamed or
// removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './plan-arbitraries';

test('every file docs/guarantees.md names exists', () => {
  const text = readFileSync(join(ROOT, 'docs', 'guarantees.md'), 'utf8');
  const names = [...text.matchAll(/`([\w./-]+\.(?:ts|md))`/g)].map((m) => m[1]!);
  assert.ok(names.length >= 10, `only ${names.length} files named`);
  const tests = new Set([...readdirSync(join(ROOT, 'test', 'unit')), ...readdirSync(join(ROOT, 'test', 'lsp'))]);
  for (const name of names) {
    const found = name.includes('/') ? existsSync(join(ROOT, name)) : tests.has(name);
    assert.ok(found, `${name} (named in docs/guarantees.md) does not exist`);
  }
});
