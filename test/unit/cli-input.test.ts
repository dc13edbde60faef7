// Every subcommand reads plan files and refuses plans with errors the same
// way (server/src/cli/planInput.ts): which file, why, and the exit status
// each command documents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../server/src/cli/main';
import { splitInlineOption } from '../../server/src/cli/planInput';

async function run(argv: string[], cwd: string) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t), cwd });
  return { code, out, err };
}

test('splitInlineOption: --name=value splits at the first =; anything else is left whole', () => {
  assert.deepEqual(splitInlineOption('--time=2'), { name: '--time', inline: '2' });
  assert.deepEqual(splitInlineOption('--title=a=b'), { name: '--title', inline: 'a=b' });
  assert.deepEqual(splitInlineOption('--json'), { name: '--json' });
  assert.deepEqual(splitInlineOption('-o=x'), { name: '-o=x' });
  assert.deepEqual(splitInlineOption('plan=1.moeplan'), { name: 'plan=1.moeplan' });
});

test('solve, export, report and fmt: a missing plan, a folder, a plan with errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'moeplan-cli-input-'));
  try {
    mkdirSync(join(dir, 'folder.moeplan'));
    writeFileSync(join(dir, 'bad.moeplan'), 'model mixtral-8x7b\ngpu h100 x 2\nreserve 16 per gpu\n');
    // [argv before the plan, argv after, exit status when the plan cannot be read, words in the refusal]
    const commands: [string[], string[], number, string | undefined][] = [
      [['solve'], [], 2, 'solving'],
      [['export', '--format=json'], [], 2, 'exporting'],
      [['report'], ['-o', 'out.html'], 1, 'making a report'],
      [['fmt'], [], 2, undefined],
    ];
    for (const [before, afterArgs, unreadable, doing] of commands) {
      const name = before[0]!;
      const missing = await run([...before, 'nope.moeplan', ...afterArgs], dir);
      assert.equal(missing.code, unreadable, `${name}: ${missing.err}`);
      assert.match(missing.err, new RegExp(`^moeplan ${name}: cannot read 'nope\\.moeplan': no such file\\n`), name);
      const folder = await run([...before, 'folder.moeplan', ...afterArgs], dir);
      assert.equal(folder.code, unreadable, `${name}: ${folder.err}`);
      assert.match(folder.err, /cannot read 'folder\.moeplan': is a folder, not a plan file/, name);
      if (!doing) continue;
      const bad = await run([...before, 'bad.moeplan', ...afterArgs], dir);
      assert.equal(bad.code, 1, `${name}: ${bad.err}`);
      assert.match(bad.err, /^bad\.moeplan:3:9: error MP114: /m, name);
      assert.match(bad.err, new RegExp(`^1 error in bad\\.moeplan: fix it before ${doing} \\(see 'moeplan check'\\)$`, 'm'), name);
      assert.equal(bad.out, '', name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
