// Every command that writes (fmt, solve --write, export -o, report -o) and
// every command that reads a plan, against the file kinds and states that
// lost users' data before: the plan as the output, symbolic links, FIFOs,
// read-only plans (as root and as an unprivileged user), edits made while a
// command runs, text that is not UTF-8, BOMs and line endings, and plan
// "files" that never end. All in temporary folders; no device is touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NOBODY, SMALL_PLAN, cliCommand, giveToRoot, inTemp, isRoot, mkfifo, runCli, runCliUnprivileged } from './fileKinds';
import { execFileSync } from 'node:child_process';

const UNFORMATTED = SMALL_PLAN.replace('gpu h100-sxm x 2', 'gpu   h100-sxm x 2');
const FAST = ['--policy', 'greedy', '--no-sweeps', '--time', '0.2'];

test(
  'export PLAN -o PLAN, -o its trace, -o a link to it: refused, nothing written',
  inTemp('moeplan-cli-write-', async (dir) => {
    writeFileSync(join(dir, 'trace.jsonl'), '{"layer": 0, "experts": [0, 1]}\n');
    const plan = SMALL_PLAN.replace('synthetic tokens 2000 seed 3', 'trace "trace.jsonl"');
    writeFileSync(join(dir, 'plan.moeplan'), plan);
    symlinkSync('plan.moeplan', join(dir, 'link.json'));
    for (const [out, what] of [
      ['plan.moeplan', 'the plan'],
      ['trace.jsonl', "the plan's trace"],
      ['link.json', 'the plan'],
    ]) {
      const r = await runCli(['export', 'plan.moeplan', '--format', 'json', '-o', out], dir);
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, new RegExp(`^moeplan export: cannot write '${out.replace('.', '\\.')}': is ${what} itself`), r.err);
      assert.equal(r.out, '');
    }
    assert.equal(readFileSync(join(dir, 'plan.moeplan'), 'utf8'), plan);
    assert.equal(readFileSync(join(dir, 'trace.jsonl'), 'utf8'), '{"layer": 0, "experts": [0, 1]}\n');
    assert.ok(lstatSync(join(dir, 'link.json')).isSymbolicLink());
  }),
);

test(
  'fmt, solve --write, export -o and report -o write through a symbolic link: the target changes, the link stays',
  inTemp('moeplan-cli-write-', async (dir) => {
    mkdirSync(join(dir, 'real'));
    writeFileSync(join(dir, 'real', 'plan.moeplan'), UNFORMATTED);
    symlinkSync('real/plan.moeplan', join(dir, 'plan.moeplan'));
    const fmt = await runCli(['fmt', 'plan.moeplan'], dir);
    assert.equal(fmt.code, 0, fmt.err);
    assert.equal(readFileSync(join(dir, 'real', 'plan.moeplan'), 'utf8'), SMALL_PLAN);
    assert.ok(lstatSync(join(dir, 'plan.moeplan')).isSymbolicLink(), 'fmt kept the link');

    const solve = await runCli(['solve', 'plan.moeplan', '--write', ...FAST], dir);
    assert.equal(solve.code, 0, solve.err);
    assert.match(readFileSync(join(dir, 'real', 'plan.moeplan'), 'utf8'), /layer (0\.\.1|1) \{/);
    assert.ok(lstatSync(join(dir, 'plan.moeplan')).isSymbolicLink(), 'solve --write kept the link');

    writeFileSync(join(dir, 'real', 'old.json'), 'old');
    symlinkSync('real/old.json', join(dir, 'out.json'));
    const exp = await runCli(['export', 'plan.moeplan', '--format', 'json', '-o', 'out.json'], dir);
    assert.equal(exp.code, 0, exp.err);
    assert.ok(lstatSync(join(dir, 'out.json')).isSymbolicLink(), 'export kept the link');
    assert.match(readFileSync(join(dir, 'real', 'old.json'), 'utf8'), /^\{/);

    symlinkSync('real/report.html', join(dir, 'report.html'));
    const rep = await runCli(['report', 'plan.moeplan', '-o', 'report.html', '--time', '0.2'], dir);
    assert.equal(rep.code, 0, rep.err);
    assert.ok(lstatSync(join(dir, 'report.html')).isSymbolicLink(), 'report kept the (dangling) link');
    assert.match(readFileSync(join(dir, 'real', 'report.html'), 'utf8'), /^<!doctype html>/i);
  }),
);

test(
  'a FIFO given as the output or as the plan is refused at once and stays a FIFO; -o - prints',
  inTemp('moeplan-cli-write-', async (dir) => {
    writeFileSync(join(dir, 'plan.moeplan'), SMALL_PLAN);
    mkfifo(join(dir, 'out.fifo'));
    const exp = await runCli(['export', 'plan.moeplan', '--format', 'json', '-o', 'out.fifo'], dir);
    assert.equal(exp.code, 1);
    assert.equal(
      exp.err,
      "moeplan export: cannot write 'out.fifo': is a FIFO (named pipe); moeplan writes only regular files (use '-o -' to print to stdout)\n",
    );
    const rep = await runCli(['report', 'plan.moeplan', '-o', 'out.fifo'], dir);
    assert.equal(rep.code, 1);
    assert.match(rep.err, /^moeplan report: cannot write 'out\.fifo': is a FIFO/);
    assert.ok(lstatSync(join(dir, 'out.fifo')).isFIFO());
    for (const cmd of [['check'], ['fmt'], ['solve'], ['export', '--format', 'json'], ['report', '-o', 'r.html']]) {
      const r = await runCli([cmd[0]!, 'out.fifo', ...cmd.slice(1)], dir);
      assert.notEqual(r.code, 0);
      assert.match(r.err, new RegExp(`^moeplan ${cmd[0]}: cannot read 'out\\.fifo': is a FIFO \\(named pipe\\), not a plan file\\n`), r.err);
    }
    const stdout = await runCli(['export', 'plan.moeplan', '--format', 'json', '-o', '-'], dir);
    assert.equal(stdout.code, 0, stdout.err);
    assert.match(stdout.out, /^\{/);
  }),
);

test(
  'a plan over the size limit is refused before it is read',
  inTemp('moeplan-cli-write-', async (dir) => {
    const big = join(dir, 'big.moeplan');
    writeFileSync(big, '');
    truncateSync(big, 64 * 1024 * 1024); // sparse
    for (const cmd of ['check', 'fmt']) {
      const r = await runCli([cmd, 'big.moeplan'], dir);
      assert.equal(r.code, 2);
      assert.equal(r.err, `moeplan ${cmd}: cannot read 'big.moeplan': is 64.0 MiB; a plan file may be at most 16.0 MiB\n`);
    }
  }),
);

test(
  'a read-only plan (mode 444) is not rewritten by fmt or solve --write, even as root',
  inTemp('moeplan-cli-write-', async (dir) => {
    const p = join(dir, 'plan.moeplan');
    writeFileSync(p, UNFORMATTED);
    chmodSync(p, 0o444);
    const fmt = await runCli(['fmt', 'plan.moeplan'], dir);
    assert.equal(fmt.code, 1);
    assert.match(fmt.err, /^moeplan fmt: cannot write 'plan\.moeplan': is read-only \(mode 444\)/);
    const solve = await runCli(['solve', 'plan.moeplan', '--write', ...FAST], dir);
    assert.equal(solve.code, 1);
    assert.match(solve.err, /^moeplan solve: cannot write the placement into 'plan\.moeplan': is read-only \(mode 444\)/);
    assert.equal(solve.out, '', 'refused before solving');
    assert.equal(readFileSync(p, 'utf8'), UNFORMATTED);
  }),
);

test(
  'as an unprivileged user: a plan the user may not write is not replaced, though the folder allows a rename',
  inTemp('moeplan-cli-write-', async (dir) => {
    // The folder is writable by everyone (so a rename over the plan would succeed); the plan is not the user's.
    const work = join(dir, 'shared');
    mkdirSync(work);
    chmodSync(work, 0o777);
    chmodSync(dir, 0o755);
    const p = join(work, 'plan.moeplan');
    writeFileSync(p, UNFORMATTED);
    chmodSync(p, 0o644);
    giveToRoot(p);
    const fmt = runCliUnprivileged(['fmt', 'plan.moeplan'], work);
    assert.equal(fmt.code, 1, fmt.err);
    assert.match(fmt.err, /^moeplan fmt: cannot write 'plan\.moeplan': is not writable for you \(mode 644, owner uid 0\)/);
    const solve = runCliUnprivileged(['solve', 'plan.moeplan', '--write', ...FAST], work);
    assert.equal(solve.code, 1, solve.err);
    assert.match(solve.err, /is not writable for you/);
    assert.equal(readFileSync(p, 'utf8'), UNFORMATTED);
    assert.equal(lstatSync(p).uid, 0, 'still root’s file');
    // A folder the user may not write: the message names the folder, not a temporary file.
    const closed = join(dir, 'closed');
    mkdirSync(closed);
    chmodSync(closed, 0o755);
    giveToRoot(closed);
    const exp = runCliUnprivileged(['export', 'plan.moeplan', '--format', 'json', '-o', join(closed, 'out.json')], work);
    assert.equal(exp.code, 1, exp.err);
    assert.match(exp.err, /^moeplan export: cannot write '.*closed\/out\.json': cannot create files in the folder .*closed \(permission denied\)/);
    assert.doesNotMatch(exp.err, /tmp'|moeplan-tmp/);
    // The user's own file in that shared folder is formatted as usual.
    const own = join(work, 'own.moeplan');
    writeFileSync(own, UNFORMATTED);
    if (isRoot) chownSync(own, NOBODY, NOBODY);
    const ok = runCliUnprivileged(['fmt', 'own.moeplan'], work);
    assert.equal(ok.code, 0, ok.err);
    assert.equal(readFileSync(own, 'utf8'), SMALL_PLAN);
  }),
);

test(
  'fmt does not overwrite an edit made while it runs',
  inTemp('moeplan-cli-write-', async (dir) => {
    writeFileSync(join(dir, 'a.moeplan'), UNFORMATTED);
    writeFileSync(join(dir, 'b.moeplan'), UNFORMATTED);
    const edited = UNFORMATTED + '# typed while fmt ran\n';
    // fmt reads both files, then writes them one by one: edit b after a is written.
    const r = await runCli(['fmt', 'a.moeplan', 'b.moeplan'], dir, (t) => {
      if (t.startsWith('formatted a.moeplan')) writeFileSync(join(dir, 'b.moeplan'), edited);
    });
    assert.equal(r.code, 1);
    assert.equal(readFileSync(join(dir, 'a.moeplan'), 'utf8'), SMALL_PLAN);
    assert.equal(readFileSync(join(dir, 'b.moeplan'), 'utf8'), edited);
    assert.equal(r.err, "moeplan fmt: cannot write 'b.moeplan': changed since it was read; not overwritten (run the command again)\n");
  }),
);

test(
  'solve --write does not overwrite an edit made while it solves',
  inTemp('moeplan-cli-write-', async (dir) => {
    const p = join(dir, 'plan.moeplan');
    writeFileSync(p, SMALL_PLAN);
    const edited = SMALL_PLAN + '# typed while solving\n';
    const solving = runCli(['solve', 'plan.moeplan', '--write', ...FAST], dir);
    writeFileSync(p, edited); // the solve runs on worker threads; the plan was read already
    const r = await solving;
    assert.equal(r.code, 1);
    assert.match(r.err, /^moeplan solve: cannot write the placement into 'plan\.moeplan': changed since it was read; not overwritten/);
    assert.equal(readFileSync(p, 'utf8'), edited);
  }),
);

test(
  'fmt and solve --write refuse a plan that is not UTF-8, naming the byte and line; check still reads it',
  inTemp('moeplan-cli-write-', async (dir) => {
    const p = join(dir, 'latin1.moeplan');
    const bytes = Buffer.from(UNFORMATTED.replace('# two layers', '# caf\xe9: two layers'), 'latin1');
    writeFileSync(p, bytes);
    for (const argv of [
      ['fmt', 'latin1.moeplan'],
      ['solve', 'latin1.moeplan', '--write', ...FAST],
    ]) {
      const r = await runCli(argv, dir);
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, new RegExp(`^moeplan ${argv[0]}: 'latin1\\.moeplan' is not valid UTF-8 \\(byte 0xE9 at line 1, column 6\\); not rewritten`), r.err);
      assert.ok(readFileSync(p).equals(bytes), `${argv[0]} left every byte`);
    }
    const check = await runCli(['check', 'latin1.moeplan'], dir);
    assert.equal(check.code, 0, check.err);
  }),
);

test(
  'fmt and solve --write keep a BOM and the line endings (CRLF, CR)',
  inTemp('moeplan-cli-write-', async (dir) => {
    for (const [name, eol] of [
      ['crlf', '\r\n'],
      ['cr', '\r'],
      ['lf', '\n'],
    ] as const) {
      const p = join(dir, `${name}.moeplan`);
      writeFileSync(p, '\ufeff' + UNFORMATTED.replace(/\n/g, eol));
      const fmt = await runCli(['fmt', `${name}.moeplan`], dir);
      assert.equal(fmt.code, 0, fmt.err);
      assert.equal(readFileSync(p, 'utf8'), '\ufeff' + SMALL_PLAN.replace(/\n/g, eol), name);
      const solve = await runCli(['solve', `${name}.moeplan`, '--write', ...FAST], dir);
      assert.equal(solve.code, 0, solve.err);
      const after = readFileSync(p, 'utf8');
      assert.ok(after.startsWith('\ufeff# two layers'), `${name}: BOM kept`);
      assert.match(after, /layer (0\.\.1|1) \{/, `${name}: written`);
      const lines = after.split(eol);
      assert.ok(lines.length > 15 && lines.every((l) => !/[\r\n]/.test(l)), `${name}: every line ends with the file's own line end`);
    }
  }),
);

test(
  'the new text is fsynced before the rename, and the folder after it (seen with strace)',
  inTemp('moeplan-cli-write-', (dir) => {
    writeFileSync(join(dir, 'plan.moeplan'), UNFORMATTED);
    const trace = join(dir, 'trace.txt');
    execFileSync('strace', ['-f', '-qq', '-e', 'trace=openat,fsync,fdatasync,rename,renameat,renameat2', '-o', trace, ...cliCommand(['fmt', 'plan.moeplan'])], {
      cwd: dir,
      stdio: 'pipe',
    });
    const calls = readFileSync(trace, 'utf8')
      .split('\n')
      .map((l) => l.replace(/^\d+\s+/, ''))
      .filter((l) => l.includes(dir) || /^f(data)?sync\(/.test(l));
    const tmpOpen = calls.findIndex((l) => /^openat\(.*moeplan-tmp", O_WRONLY\|O_CREAT\|O_EXCL/.test(l));
    assert.ok(tmpOpen >= 0, calls.join('\n'));
    const tmpFd = /= (\d+)$/.exec(calls[tmpOpen]!)![1];
    const rename = calls.findIndex((l) => /^rename(at2?)?\(.*moeplan-tmp".*plan\.moeplan"/.test(l));
    const fileSync = calls.findIndex((l, i) => i > tmpOpen && l.startsWith(`fsync(${tmpFd})`));
    assert.ok(fileSync > tmpOpen && fileSync < rename, `file fsynced before the rename:\n${calls.join('\n')}`);
    const dirOpen = calls.findIndex((l, i) => i > rename && l.includes(`"${dir}", O_RDONLY`));
    assert.ok(dirOpen > rename, calls.join('\n'));
    const dirFd = /= (\d+)$/.exec(calls[dirOpen]!)![1];
    assert.ok(
      calls.slice(dirOpen).some((l) => l.startsWith(`fsync(${dirFd})`)),
      `folder fsynced after the rename:\n${calls.join('\n')}`,
    );
    assert.equal(readFileSync(join(dir, 'plan.moeplan'), 'utf8'), SMALL_PLAN);
  }),
);
