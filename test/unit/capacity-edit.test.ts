// Writing a capacity point into plan text: whatever way the plan sizes its
// memory (slots, a reserve in bytes or percent, nothing) and writes its
// batch, the plan that results resolves to exactly the slots and batch asked
// for, and every comment and every other line is kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkText } from '../../server/src/plan/check';
import { servingPointEdits, reserveFor } from '../../server/src/plan/servingEdit';
import { applyEdits } from './plan-arbitraries';
import type { Plan } from '../../server/src/plan/types';

const FILE = '/plans/p.moeplan';
const resolve = (text: string): Plan => {
  const r = checkText(text, FILE, { fileExists: () => true });
  assert.ok(r.plan, JSON.stringify(r.diagnostics));
  return r.plan;
};

function write(text: string, slotsPerGpu: number, batch: number): string {
  const edits = servingPointEdits(text, resolve(text), { slotsPerGpu, batch });
  assert.ok(Array.isArray(edits), JSON.stringify(edits));
  return applyEdits(text, edits);
}

const MEMORY_LINES = ['slots 5 per gpu  # five', 'reserve 16 GiB per gpu  # dense and KV', 'reserve 20%', ''];
const WORKLOAD_BLOCKS = [
  'workload {\n  # routing\n  synthetic tokens 2000 seed 3\n  batch 32 tokens  # per step\n}\n',
  'workload {\n  synthetic tokens 2000 seed 3\n}\n',
  'workload { synthetic tokens 2000 seed 3 }\n',
  '',
];

test('any way of sizing memory and batch: the written plan resolves to the slots and batch asked for, comments kept', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...MEMORY_LINES),
      fc.constantFrom(...WORKLOAD_BLOCKS),
      fc.integer({ min: 4, max: 6 }),
      fc.integer({ min: 1, max: 4096 }),
      (memory, workload, slots, batch) => {
        const text = `# Mixtral on two H100s\nmodel mixtral-8x7b\ngpu h100-sxm x 2  # one node\n${memory}\n${workload}serve {\n  context 4096 tokens\n}\n`;
        const out = write(text, slots, batch);
        const plan = resolve(out);
        assert.equal(plan.hardware.slotsPerGpu[0], slots, out);
        assert.equal(plan.workload.batch.value, batch, out);
        for (const comment of text.match(/#[^\n]*/g) ?? []) assert.ok(out.includes(comment), `${comment} kept:\n${out}`);
        // Only the numbers change: every line of the plan but the edited ones is kept.
        const kept = text.split('\n').filter((l) => !/^\s*(slots|reserve|batch|gpu|workload)\b/.test(l) && l.trim() !== '}');
        for (const l of kept) assert.ok(out.split('\n').includes(l), `'${l}' kept:\n${out}`);
      },
    ),
    { numRuns: 120 },
  );
});

test('slots, reserve and batch are rewritten in place; a missing batch goes inside the workload block', () => {
  const text =
    'model mixtral-8x7b\ngpu h100-sxm x 2\nreserve 16 GiB per gpu  # dense and KV\nworkload {\n  synthetic tokens 2000 seed 3\n  batch 32 tokens  # per step\n}\n';
  assert.equal(
    write(text, 4, 88),
    'model mixtral-8x7b\ngpu h100-sxm x 2\nreserve 32 GiB per gpu  # dense and KV\nworkload {\n  synthetic tokens 2000 seed 3\n  batch 88 tokens  # per step\n}\n',
  );
  const slots = 'model mixtral-8x7b\ngpu h100-sxm x 2\nslots 5 per gpu\nworkload {\n  synthetic tokens 2000 seed 3\n}\n';
  assert.equal(
    write(slots, 4, 64),
    'model mixtral-8x7b\ngpu h100-sxm x 2\nslots 4 per gpu\nworkload {\n  synthetic tokens 2000 seed 3\n  batch 64 tokens\n}\n',
  );
  const bare = 'model mixtral-8x7b\ngpu h100-sxm x 2\n';
  assert.equal(write(bare, 4, 64), 'model mixtral-8x7b\ngpu h100-sxm x 2\nslots 4 per gpu\n\nworkload {\n  batch 64 tokens\n}\n');
});

test('the reserve written leaves exactly the slots asked for, in whole GiB when one does', () => {
  const plan = resolve('model deepseek-v3\ngpu h100-sxm x 32 in 4 nodes\nreserve 52 GiB per gpu\n');
  for (let s = 8; s <= 20; s++) {
    const r = reserveFor(plan, s);
    assert.equal(resolve(`model deepseek-v3\ngpu h100-sxm x 32 in 4 nodes\nreserve ${r} per gpu\n`).hardware.slotsPerGpu[0], s, `${s}: ${r}`);
  }
  assert.match(reserveFor(plan, 9), /^\d+ GiB$/);
});

test('a plan with syntax errors is not edited', () => {
  const text = 'model mixtral-8x7b\ngpu h100-sxm x 2\nworkload {\n';
  const plan = resolve('model mixtral-8x7b\ngpu h100-sxm x 2\n');
  const r = servingPointEdits(text, plan, { slotsPerGpu: 4, batch: 8 });
  assert.ok(!Array.isArray(r) && /syntax errors/.test(r.error));
});
