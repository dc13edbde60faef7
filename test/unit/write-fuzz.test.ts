// A fuzz property over the commands that write (fmt, solve --write, export -o,
// report -o): random plans with comments everywhere, given as different file
// kinds (regular, symbolic link, read-only, FIFO) and with outputs of those
// kinds, or the plan itself. Whatever the command answers, no byte of the
// user's text is lost (a rewritten plan keeps every comment; a refused one
// keeps every byte) and no FIFO, link or read-only file is replaced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../server/src/cli/main';
import { lex } from '../../server/src/language/lexer';
import { planText } from './plan-arbitraries';
import { SMALL_PLAN, mkfifo } from './fileKinds';

type Kind = 'regular' | 'symlink' | 'read-only' | 'fifo';
type OutKind = Kind | 'absent' | 'the plan' | 'link to the plan';

const comments = (text: string) =>
  lex(text)
    .tokens.filter((t) => t.kind === 'comment')
    .map((t) => t.text.trimEnd());

/** A comment at the end of random lines and on random lines of their own. */
const withComments = (text: string, marks: boolean[]) =>
  text
    .split('\n')
    .map((line, i) => (line && marks[i % marks.length] ? `${line}  # end ${i} ünï` : line) + (marks[(i + 1) % marks.length] ? `\n# own ${i} "q" {` : ''))
    .join('\n');

/** Creates `name` in dir as a file of this kind holding `text` (a FIFO holds nothing). */
function make(dir: string, name: string, kind: Kind, text: string): void {
  const p = join(dir, name);
  if (kind === 'fifo') return mkfifo(p);
  if (kind === 'symlink') {
    mkdirSync(join(dir, 'real'), { recursive: true });
    writeFileSync(join(dir, 'real', name), text);
    return symlinkSync(join('real', name), p);
  }
  writeFileSync(p, text);
  if (kind === 'read-only') chmodSync(p, 0o444);
}

const commandArb = fc.constantFrom('fmt', 'solve', 'export', 'report');
const kindArb = fc.constantFrom<Kind>('regular', 'symlink', 'read-only', 'fifo');
const outArb = fc.constantFrom<OutKind>('absent', 'regular', 'symlink', 'read-only', 'fifo', 'the plan', 'link to the plan');
const FAST = ['--time', '0.2'];

test("property: write commands never lose a byte of the user's text and never replace a FIFO, a link or a read-only file", async () => {
  let written = 0;
  await fc.assert(
    fc.asyncProperty(
      commandArb,
      kindArb,
      outArb,
      fc.oneof(fc.constant(SMALL_PLAN), planText),
      fc.array(fc.boolean(), { minLength: 3, maxLength: 12 }),
      async (command, planKind, outKind, plain, marks) => {
        const dir = mkdtempSync(join(tmpdir(), 'moeplan-write-fuzz-'));
        try {
          const text = withComments(plain, marks);
          make(dir, 'plan.moeplan', planKind, text);
          const outName = outKind === 'the plan' ? 'plan.moeplan' : 'out.file';
          if (outKind === 'link to the plan') symlinkSync('plan.moeplan', join(dir, outName));
          else if (outKind !== 'absent' && outKind !== 'the plan') make(dir, outName, outKind, 'previous output\n');
          const argv =
            command === 'fmt'
              ? ['fmt', 'plan.moeplan']
              : command === 'solve'
                ? ['solve', 'plan.moeplan', '--write', '--no-sweeps', '--policy', 'greedy', ...FAST]
                : command === 'export'
                  ? ['export', 'plan.moeplan', '--format', 'json', '-o', outName]
                  : ['report', 'plan.moeplan', '-o', outName, ...FAST];
          let err = '';
          const code = await main(argv, { out: () => undefined, err: (t) => (err += t), cwd: dir });
          if (code === 0) written++;

          const planFile = planKind === 'symlink' ? join(dir, 'real', 'plan.moeplan') : join(dir, 'plan.moeplan');
          // The plan: still its kind; its text kept whole, or (rewritten by fmt/solve) every comment kept.
          if (planKind === 'fifo') assert.ok(lstatSync(join(dir, 'plan.moeplan')).isFIFO(), 'the FIFO plan is still a FIFO');
          else {
            if (planKind === 'symlink') assert.ok(lstatSync(join(dir, 'plan.moeplan')).isSymbolicLink(), 'the plan link is still a link');
            const now = readFileSync(planFile, 'utf8');
            const rewrites = command === 'fmt' || command === 'solve';
            if (!rewrites || planKind === 'read-only' || code !== 0) assert.equal(now, text, `plan unchanged (${err})`);
            else {
              const after = comments(now);
              for (const c of comments(text)) assert.ok(after.includes(c), `comment lost: ${c}`);
            }
            if (planKind === 'read-only') assert.equal(statSync(planFile).mode & 0o777, 0o444);
          }
          // The output of export/report: never a FIFO replaced, never over the plan, links kept, read-only kept.
          if (command === 'export' || command === 'report') {
            const out = join(dir, outName);
            if (outKind === 'fifo') assert.ok(lstatSync(out).isFIFO(), 'the FIFO output is still a FIFO');
            if (outKind === 'symlink' || outKind === 'link to the plan') assert.ok(lstatSync(out).isSymbolicLink(), 'the output link is still a link');
            if (outKind === 'read-only') assert.equal(readFileSync(out, 'utf8'), 'previous output\n');
            if (outKind === 'the plan' || outKind === 'link to the plan') assert.notEqual(code, 0, 'writing over the plan is refused');
            if (code === 0 && outKind !== 'fifo') assert.ok(existsSync(out));
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    ),
    { numRuns: 60 },
  );
  assert.ok(written >= 5, `only ${written} runs wrote anything: the property would say little`);
});
