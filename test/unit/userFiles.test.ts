// The one read and write path for user files (server/src/userFiles/): every
// file kind (regular, symbolic link, dangling link, folder, FIFO, socket),
// inputs as outputs, read-only files, changes between read and write,
// encodings, and messages that name no temporary file. Everything happens in
// a temporary folder; no real device is touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import {
  chmodSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { readUserFile, MAX_PLAN_BYTES } from '../../server/src/userFiles/read';
import { outputProblem, writeTarget, writeUserFile } from '../../server/src/userFiles/write';
import { UserFileError, errnoText } from '../../server/src/userFiles/errors';
import { decodeText, describeUtf8Problem, firstInvalidUtf8 } from '../../server/src/userFiles/encoding';
import { inTemp, mkfifo } from './fileKinds';

const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof UserFileError, `a UserFileError, not ${String(e)}`);
    assert.doesNotMatch(e.message, /moeplan-tmp|EACCES|ENOENT|open '/, 'words, no raw error or temporary file');
    return e.message;
  }
  assert.fail('expected a refusal');
};

test(
  'a regular file is replaced atomically: mode kept, no temporary file left, a new file created',
  inTemp('moeplan-userfiles-', (dir) => {
    const p = join(dir, 'plan.moeplan');
    writeFileSync(p, 'old\n');
    chmodSync(p, 0o640);
    writeUserFile(p, 'new\n');
    assert.equal(readFileSync(p, 'utf8'), 'new\n');
    assert.equal(statSync(p).mode & 0o777, 0o640);
    writeUserFile(join(dir, 'fresh.moeplan'), 'x');
    assert.deepEqual(readdirSync(dir).sort(), ['fresh.moeplan', 'plan.moeplan']);
    const missing = refusal(() => writeUserFile(join(dir, 'missing-dir', 'x.moeplan'), 'x', { shown: 'missing-dir/x.moeplan' }));
    assert.equal(missing, 'the folder missing-dir does not exist');
    assert.deepEqual(readdirSync(dir).sort(), ['fresh.moeplan', 'plan.moeplan']);
  }),
);

test(
  'a symbolic link is followed: its target is rewritten and the link stays a link (also dangling, also chained)',
  inTemp('moeplan-userfiles-', (dir) => {
    mkdirSync(join(dir, 'real'));
    const target = join(dir, 'real', 'plan.moeplan');
    writeFileSync(target, 'old\n');
    symlinkSync('real/plan.moeplan', join(dir, 'link.moeplan'));
    symlinkSync('link.moeplan', join(dir, 'chain.moeplan'));
    assert.equal(writeTarget(join(dir, 'chain.moeplan')), target);
    writeUserFile(join(dir, 'chain.moeplan'), 'new\n');
    assert.equal(readFileSync(target, 'utf8'), 'new\n');
    assert.ok(lstatSync(join(dir, 'link.moeplan')).isSymbolicLink());
    assert.ok(lstatSync(join(dir, 'chain.moeplan')).isSymbolicLink());
    assert.equal(readlinkSync(join(dir, 'link.moeplan')), 'real/plan.moeplan');
    // A link to a file that does not exist yet: the target is created, the link kept.
    symlinkSync('real/out.json', join(dir, 'out.json'));
    writeUserFile(join(dir, 'out.json'), '{}');
    assert.equal(readFileSync(join(dir, 'real', 'out.json'), 'utf8'), '{}');
    assert.ok(lstatSync(join(dir, 'out.json')).isSymbolicLink());
    // A loop of links is refused in words.
    symlinkSync('loop-b', join(dir, 'loop-a'));
    symlinkSync('loop-a', join(dir, 'loop-b'));
    assert.match(
      refusal(() => writeUserFile(join(dir, 'loop-a'), 'x')),
      /too many levels of symbolic links/,
    );
  }),
);

test(
  'a folder, a FIFO, a socket and a link to a folder are refused and left as they were',
  inTemp('moeplan-userfiles-', async (dir) => {
    mkdirSync(join(dir, 'folder'));
    mkfifo(join(dir, 'fifo'));
    symlinkSync('folder', join(dir, 'folder-link'));
    symlinkSync('fifo', join(dir, 'fifo-link'));
    const server = createServer();
    await new Promise<void>((ok) => server.listen(join(dir, 'sock'), ok));
    try {
      assert.match(
        refusal(() => writeUserFile(join(dir, 'folder'), 'x')),
        /^is a folder; moeplan writes only regular files$/,
      );
      assert.match(
        refusal(() => writeUserFile(join(dir, 'folder-link'), 'x')),
        /^is a folder \(through a link to .*folder\); moeplan writes only regular files$/,
      );
      // Neither opened (a FIFO would block) nor replaced.
      assert.match(
        refusal(() => writeUserFile(join(dir, 'fifo'), 'x')),
        /^is a FIFO \(named pipe\); moeplan writes only regular files$/,
      );
      assert.match(
        refusal(() => writeUserFile(join(dir, 'fifo-link'), 'x')),
        /is a FIFO/,
      );
      assert.match(
        refusal(() => writeUserFile(join(dir, 'sock'), 'x')),
        /^is a socket; /,
      );
      assert.ok(lstatSync(join(dir, 'fifo')).isFIFO());
      assert.ok(lstatSync(join(dir, 'sock')).isSocket());
      assert.ok(lstatSync(join(dir, 'folder')).isDirectory());
      assert.equal(outputProblem(join(dir, 'fifo')), 'is a FIFO (named pipe); moeplan writes only regular files');
      assert.equal(outputProblem(join(dir, 'new.json')), undefined);
    } finally {
      server.close();
    }
  }),
);

test(
  'the output is never an input: by path, through a link, or as a hard link',
  inTemp('moeplan-userfiles-', (dir) => {
    const plan = join(dir, 'plan.moeplan');
    const trace = join(dir, 'trace.jsonl');
    writeFileSync(plan, 'model dbrx\n');
    writeFileSync(trace, '{}\n');
    symlinkSync('plan.moeplan', join(dir, 'plan-link'));
    linkSync(plan, join(dir, 'plan-hard'));
    const inputs = [
      { path: plan, what: 'the plan' },
      { path: trace, what: "the plan's trace" },
    ];
    assert.match(
      refusal(() => writeUserFile(plan, '{}', { inputs })),
      /^is the plan itself; choose another output file$/,
    );
    assert.match(
      refusal(() => writeUserFile(join(dir, 'plan-link'), '{}', { inputs })),
      /^is the plan itself \(through a link to .*plan\.moeplan\); /,
    );
    assert.match(
      refusal(() => writeUserFile(join(dir, 'plan-hard'), '{}', { inputs })),
      /^is the plan itself; /,
    );
    assert.match(
      refusal(() => writeUserFile(trace, '{}', { inputs })),
      /^is the plan's trace itself; /,
    );
    assert.equal(readFileSync(plan, 'utf8'), 'model dbrx\n');
    assert.equal(readFileSync(trace, 'utf8'), '{}\n');
    writeUserFile(join(dir, 'plan.json'), '{}', { inputs });
  }),
);

test(
  'a read-only file (no write bit, mode 444) is not rewritten, even by root',
  inTemp('moeplan-userfiles-', (dir) => {
    const p = join(dir, 'plan.moeplan');
    writeFileSync(p, 'old\n');
    chmodSync(p, 0o444);
    assert.match(
      refusal(() => writeUserFile(p, 'new\n')),
      /^is read-only \(mode 444\); make it writable first/,
    );
    assert.equal(readFileSync(p, 'utf8'), 'old\n');
    assert.equal(statSync(p).mode & 0o777, 0o444);
  }),
);

test(
  'a rewrite with `expected` happens only if the file still holds the bytes read',
  inTemp('moeplan-userfiles-', (dir) => {
    const p = join(dir, 'plan.moeplan');
    writeFileSync(p, 'one\n');
    const read = readUserFile(p);
    writeFileSync(p, 'edited meanwhile\n');
    assert.match(
      refusal(() => writeUserFile(p, 'formatted\n', { expected: read })),
      /^changed since it was read; not overwritten/,
    );
    assert.equal(readFileSync(p, 'utf8'), 'edited meanwhile\n');
    rmSync(p);
    assert.match(
      refusal(() => writeUserFile(p, 'formatted\n', { expected: read })),
      /changed since it was read \(no such file\)/,
    );
    writeFileSync(p, 'one\n');
    writeUserFile(p, 'formatted\n', { expected: readUserFile(p) });
    assert.equal(readFileSync(p, 'utf8'), 'formatted\n');
  }),
);

test(
  'reading: only regular files under the size limit, FIFOs refused without blocking',
  inTemp('moeplan-userfiles-', (dir) => {
    mkfifo(join(dir, 'fifo.moeplan'));
    mkdirSync(join(dir, 'folder.moeplan'));
    const big = join(dir, 'big.moeplan');
    writeFileSync(big, '');
    truncateSync(big, MAX_PLAN_BYTES + 1); // sparse: no disk used
    assert.equal(
      refusal(() => readUserFile(join(dir, 'fifo.moeplan'))),
      'is a FIFO (named pipe), not a plan file',
    );
    assert.equal(
      refusal(() => readUserFile(join(dir, 'folder.moeplan'))),
      'is a folder, not a plan file',
    );
    assert.equal(
      refusal(() => readUserFile(big)),
      'is 16.0 MiB; a plan file may be at most 16.0 MiB',
    );
    assert.equal(
      refusal(() => readUserFile(join(dir, 'nope.moeplan'))),
      'no such file',
    );
    symlinkSync('fifo.moeplan', join(dir, 'link.moeplan'));
    assert.match(
      refusal(() => readUserFile(join(dir, 'link.moeplan'))),
      /is a FIFO/,
    );
  }),
);

test('encoding: invalid UTF-8 located by line, column and byte; a BOM kept in the text', () => {
  const latin1 = Buffer.from('model dbrx\n# caf\xe9 au lait\n', 'latin1');
  const bad = firstInvalidUtf8(latin1)!;
  assert.deepEqual(bad, { line: 2, column: 6, byte: 0xe9, offset: 16 });
  assert.equal(describeUtf8Problem(bad), 'byte 0xE9 at line 2, column 6');
  assert.equal(firstInvalidUtf8(Buffer.from('# µs 🚀\r\nx\n')), undefined);
  // CR-only line ends count as lines; characters, not bytes, count as columns.
  assert.deepEqual(firstInvalidUtf8(Buffer.concat([Buffer.from('a\rµ'), Buffer.from([0xc0, 0x80])])), { line: 2, column: 2, byte: 0xc0, offset: 4 });
  // Overlong forms, surrogates, code points above U+10FFFF and a cut sequence are all invalid.
  for (const bytes of [
    [0xc0, 0xaf],
    [0xe0, 0x80, 0xaf],
    [0xed, 0xa0, 0x80],
    [0xf4, 0x90, 0x80, 0x80],
    [0xe2, 0x82],
  ]) {
    assert.equal(firstInvalidUtf8(Buffer.from(bytes))?.offset, 0, bytes.join(' '));
  }
  assert.equal(decodeText(Buffer.from('\ufeffmodel dbrx\n')), '\ufeffmodel dbrx\n');
});

test('system errors in words, without the path they name', () => {
  const err = (code: string, message = `${code}: something, open '/x/.plan.moeplan.1-ab.moeplan-tmp'`) => Object.assign(new Error(message), { code });
  assert.equal(errnoText(err('ENOENT')), 'no such file');
  assert.equal(errnoText(err('EACCES')), 'permission denied');
  assert.equal(errnoText(err('ENOSPC')), 'no space left on the device');
  assert.equal(errnoText(err('EROFS')), 'the file system is read-only');
  assert.equal(errnoText(err('EWHATEVER')), 'EWHATEVER: something');
  assert.equal(errnoText('odd'), 'odd');
});
