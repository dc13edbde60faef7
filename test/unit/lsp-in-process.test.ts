// Completion, hover and go-to-definition through the server's own handlers,
// in process (test/unit/lspFixture.ts): a plan with a `$0` cursor marker.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cursorFixture, definitionAt, expectCompletion, hoverAt, inProcessFeatures } from './lspFixture';
import { POLICY } from '../../server/src/plan/vocabulary';
import { GPU_PRESET_NAMES, MODEL_PRESET_NAMES } from '../../server/src/plan/presets';

/** Mixtral on 4 GPUs, 3 slots each, synthetic routing, a committed layer 0; `placement` replaces the block's body. */
function plan(
  placement = '  policy greedy\n  pin expert 0 on gpu 0 layer 0\n  layer 0 {\n    gpu 0: 0 1\n    gpu 1: 2 3\n    gpu 2: 4 5\n    gpu 3: 6 7\n  }\n',
): string {
  return `model mixtral-8x7b
gpu h100-sxm x 4
slots 3 per gpu

workload {
  synthetic tokens 4000 seed 7
}

placement {
${placement}}
`;
}

test('the cursor marker: removed from the text, its position is where it was', () => {
  const { text, position } = cursorFixture('model mix$0tral-8x7b\ngpu ');
  assert.equal(text, 'model mixtral-8x7b\ngpu ');
  assert.deepEqual(position, { line: 0, character: 9 });
  assert.throws(() => cursorFixture('no marker'), /exactly one/);
  assert.throws(() => cursorFixture('$0 twice $0'), /exactly one/);
});

test('completion after `policy ` offers every policy and no keyword', async () => {
  await expectCompletion(plan('  policy $0\n'), { includes: [...POLICY.words], excludes: ['pin', 'model'] });
});

test('completion at the start of a line offers the keywords of the enclosing block', async () => {
  await expectCompletion(plan('  $0\n'), { includes: ['policy', 'pin', 'forbid', 'layer'], excludes: ['model', 'synthetic'] });
  await expectCompletion(`model mixtral-8x7b\n$0\n`, { includes: ['gpu', 'slots', 'workload', 'placement'], excludes: ['policy'] });
});

test('completion offers the presets after `model` and `gpu`', async () => {
  await expectCompletion('model $0\n', { includes: [...MODEL_PRESET_NAMES], excludes: [...GPU_PRESET_NAMES] });
  await expectCompletion('model mixtral-8x7b\ngpu $0\n', { includes: [...GPU_PRESET_NAMES] });
});

test('hover on an expert id in a committed layer names the expert and where it lives', async () => {
  const h = await hoverAt(plan('  policy greedy\n  layer 0 {\n    gpu 0: 0 1\n    gpu 1: 2 $03\n    gpu 2: 4 5\n    gpu 3: 6 7\n  }\n'));
  assert.ok(h, 'a hover on expert 3');
  assert.match(h, /[Ee]xpert 3/);
});

test('hover on the model preset shows its figures with their source', async () => {
  const h = await hoverAt(plan().replace('model mixtral-8x7b', 'model mixtral$0-8x7b'));
  assert.ok(h);
  assert.match(h, /Mixtral/);
  assert.match(h, /config\.json|Hugging Face/);
});

test('no hover on a comment or blank space', async () => {
  assert.equal(await hoverAt(`# a comment$0\n${plan()}`), undefined);
});

test('definition of an expert in a `pin` jumps to the GPU line that holds it in the committed layer', async () => {
  const marked = plan().replace('pin expert 0 on', 'pin expert $00 on');
  const d = await definitionAt(marked);
  assert.ok(d, 'a definition');
  const { text } = cursorFixture(marked);
  const lines = text.split('\n');
  assert.match(lines[d.range.start.line]!, /gpu 0: 0 1/);
});

test('definition of a GPU in a `pin` jumps to that GPU in the committed layer', async () => {
  const marked = plan().replace('on gpu 0 layer', 'on gpu $00 layer');
  const d = await definitionAt(marked);
  assert.ok(d);
  assert.match(cursorFixture(marked).text.split('\n')[d.range.start.line]!, /gpu 0: 0 1/);
});

test('definition on the committed placement itself is no jump', async () => {
  assert.equal(await definitionAt(plan().replace('gpu 1: 2 3', 'gpu 1: 2 $03')), undefined);
});

test('the in-process document is the analysed plan (no errors in the fixture plan)', () => {
  const f = inProcessFeatures(plan());
  assert.ok(f.analysis.plan, JSON.stringify(f.analysis.diagnostics.map((d) => d.message)));
  assert.deepEqual(
    f.analysis.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
});

/** A plan file in a fresh folder with a `traces/` folder holding a routing file and a note. */
const folders: string[] = [];
after(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

function planFolder(): { file: string; trace: string } {
  const dir = mkdtempSync(join(tmpdir(), 'moeplan-fixture-'));
  folders.push(dir);
  mkdirSync(join(dir, 'traces'));
  writeFileSync(join(dir, 'traces', 'chat.jsonl'), '');
  writeFileSync(join(dir, 'traces', 'notes.md'), '');
  return { file: join(dir, 'plan.moeplan'), trace: join(dir, 'traces', 'chat.jsonl') };
}

test('completion inside a trace path lists the routing files beside the plan, not other files', async () => {
  const { file } = planFolder();
  const marked = plan().replace('  synthetic tokens 4000 seed 7', '  trace "traces/$0');
  await expectCompletion(marked, { includes: ['chat.jsonl'], excludes: ['notes.md'] }, { file });
});

test('definition of a trace path opens the file it names', async () => {
  const { file, trace } = planFolder();
  const marked = plan().replace('  synthetic tokens 4000 seed 7', '  trace "traces/ch$0at.jsonl"');
  const d = await definitionAt(marked, { file });
  assert.ok(d, 'a definition');
  assert.equal(d.uri, pathToFileURL(trace).href);
});
