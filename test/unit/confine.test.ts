// confinedPath: where a path leads once links are followed, and whether that
// stays inside the workspace folders; links to files, to folders and to `/`,
// `..` after a link, chains, loops, absolute links back inside, and a
// workspace opened through a link. A property compares it with realpath.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { confinedPath, makeRoots, textuallyInside } from '../../server/src/userFiles/confine';
import { inTemp } from './fileKinds';

function layout(top: string) {
  const ws = join(top, 'ws');
  mkdirSync(join(ws, 'sub', 'deep'), { recursive: true });
  mkdirSync(join(top, 'outside'));
  writeFileSync(join(top, 'outside', 'secret'), 'x');
  writeFileSync(join(ws, 'sub', 'real.jsonl'), 'x');
  symlinkSync('../outside/secret', join(ws, 'to-file'));
  symlinkSync('../outside', join(ws, 'to-folder'));
  symlinkSync('/', join(ws, 'to-root'));
  symlinkSync('sub/real.jsonl', join(ws, 'inside'));
  symlinkSync('inside', join(ws, 'chain'));
  symlinkSync(join(ws, 'sub'), join(ws, 'absolute-inside'));
  symlinkSync('sub/deep/../../to-folder/secret', join(ws, 'dots'));
  symlinkSync('../../to-folder', join(ws, 'sub', 'deep', 'up'));
  symlinkSync('/no/such/place', join(ws, 'ghost'));
  symlinkSync('loop-b', join(ws, 'loop-a'));
  symlinkSync('loop-a', join(ws, 'loop-b'));
  symlinkSync('ws', join(top, 'ws-link'));
  return ws;
}

test(
  'links inside stay inside; links out (to a file, a folder, /, through ..) are outside',
  inTemp('moeplan-confine-', (top) => {
    const ws = layout(top);
    const real = realpathSync(ws);
    const roots = makeRoots([ws]);
    const at = (p: string) => confinedPath(join(ws, p), roots);
    assert.equal(at('inside'), join(real, 'sub', 'real.jsonl'));
    assert.equal(at('chain'), join(real, 'sub', 'real.jsonl'));
    assert.equal(at('absolute-inside/real.jsonl'), join(real, 'sub', 'real.jsonl'));
    assert.equal(at('sub/missing.jsonl'), join(real, 'sub', 'missing.jsonl'), 'a missing file inside is still inside');
    for (const out of ['to-file', 'to-folder/secret', 'to-root/etc/hostname', 'to-root', 'dots', 'sub/deep/up/secret', 'ghost', 'ghost/x', 'loop-a']) {
      assert.equal(at(out), undefined, out);
    }
    assert.equal(confinedPath(join(top, 'outside', 'secret'), roots), undefined, 'outside by its text');
    assert.equal(confinedPath('/etc/hostname', roots), undefined);
    assert.equal(confinedPath(join(ws, '..', 'outside'), roots), undefined);
  }),
);

test(
  'a workspace opened through a link: paths through the link and the real folder are both inside',
  inTemp('moeplan-confine-', (top) => {
    layout(top);
    const roots = makeRoots([join(top, 'ws-link')]);
    const real = realpathSync(join(top, 'ws'));
    assert.equal(confinedPath(join(top, 'ws-link', 'inside'), roots), join(real, 'sub', 'real.jsonl'));
    assert.equal(confinedPath(join(top, 'ws', 'sub', 'real.jsonl'), roots), join(real, 'sub', 'real.jsonl'));
    assert.equal(confinedPath(join(top, 'ws-link', 'to-file'), roots), undefined);
  }),
);

test(
  'property: inside exactly when realpath is inside (for paths that exist), and then the same path',
  inTemp('moeplan-confine-', (top) => {
    const ws = layout(top);
    const real = realpathSync(ws);
    const roots = makeRoots([ws]);
    const names = [
      'sub',
      'deep',
      '..',
      '.',
      'to-file',
      'to-folder',
      'to-root',
      'inside',
      'chain',
      'absolute-inside',
      'dots',
      'up',
      'real.jsonl',
      'secret',
      'outside',
      'etc',
      'ghost',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 6 }), (parts) => {
        const p = resolve(ws, ...parts);
        const got = confinedPath(p, roots);
        let rp: string | undefined;
        try {
          rp = realpathSync(p);
        } catch {
          rp = undefined;
        }
        if (rp !== undefined && textuallyInside(rp, real)) assert.equal(got, rp, parts.join('/'));
        if (rp !== undefined && !textuallyInside(rp, real)) assert.equal(got, undefined, parts.join('/'));
        if (got !== undefined) assert.ok(textuallyInside(got, real), parts.join('/'));
      }),
      { numRuns: 2000 },
    );
  }),
);
