// Routing statistics as the engines dump them. The .pt fixtures were written
// by PyTorch's own torch.save (test/fixtures/engines/make_sglang_dumps.py),
// and the expected counts are what torch read back from them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { detectFormat, readTrace } from '../../server/src/workload/readers/index';
import { readTorchSave, TorchSaveError, type PickleValue, type Tensor } from '../../server/src/workload/readers/torchSave';
import { PT_TO_JSON } from '../../server/src/workload/readers/sglangDump';
import { WorkloadError } from '../../server/src/workload/types';

const FIXTURES = join(__dirname, '..', 'fixtures', 'engines');
const expected = JSON.parse(readFileSync(join(FIXTURES, 'sglang-dumps.expected.json'), 'utf8')) as { torch: string; counts: Record<string, number[][]> };
const model = { layers: 4, experts: 8, topK: 2, firstMoeLayer: 2, name: 'Tiny' };
let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'moeplan-dumps-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

function tensorIn(doc: PickleValue, key: string): Tensor {
  assert.ok(doc && typeof doc === 'object' && !Array.isArray(doc) && doc.kind === 'dict');
  const t = doc.entries.get(key);
  assert.ok(t && typeof t === 'object' && !Array.isArray(t) && t.kind === 'tensor');
  return t;
}

function summed(t: Tensor): number[][] {
  const [E, L] = [t.shape[t.shape.length - 1], t.shape[t.shape.length - 2]];
  const rows = Array.from({ length: L }, () => new Array<number>(E).fill(0));
  t.values.forEach((v, i) => (rows[Math.floor((i % (L * E)) / E)][i % E] += v));
  return rows;
}

test('torch.save files are read without running pickle code: the tensors equal what PyTorch reads', () => {
  for (const [file, counts] of Object.entries(expected.counts)) {
    const t = tensorIn(readTorchSave(readFileSync(join(FIXTURES, file))), 'logical_count');
    assert.deepEqual(summed(t), counts, file);
  }
  const stat = readTorchSave(readFileSync(join(FIXTURES, 'sglang-stat.pt')));
  assert.equal(tensorIn(stat, 'logical_count').dtype, 'int32');
  assert.deepEqual(tensorIn(stat, 'logical_count').shape, [4, 6, 8]);
  assert.equal(tensorIn(readTorchSave(readFileSync(join(FIXTURES, 'sglang-stat-int64.pt'))), 'logical_count').dtype, 'int64');
});

test('an SGLang .pt dump is detected by content and gives the same workload as the same counts in JSON', async () => {
  const pt = join(FIXTURES, 'sglang-stat.pt');
  assert.equal(detectFormat(pt), 'sglang');
  const json = join(dir, 'same.json');
  writeFileSync(json, JSON.stringify({ logical_count: expected.counts['sglang-stat.pt'] }));
  const fromPt = await readTrace(pt, { model });
  const fromJson = await readTrace(json, { model });
  assert.deepEqual(fromPt.layers, fromJson.layers);
  assert.match(fromPt.notes.join('\n'), /co-activation unknown \(SGLang logical_count \(\.pt\) has per-expert loads only\)/);
  const strided = await readTrace(join(FIXTURES, 'sglang-stat-strided.pt'), { model });
  assert.equal(strided.layers.length, 4);
});

test('dumps moeplan cannot use are refused with what to do; code in a pickle is never run', async () => {
  await assert.rejects(readTrace(join(FIXTURES, 'sglang-per-token.pt'), { model }), (e: unknown) => {
    assert.ok(e instanceof WorkloadError);
    assert.match(e.message, /per-pass or per-token dump.*--expert-distribution-recorder-mode stat/);
    return true;
  });
  await assert.rejects(readTrace(join(FIXTURES, 'pickle-runs-code.pt'), { model }), (e: unknown) => {
    assert.ok(e instanceof WorkloadError);
    assert.match(e.message, /refers to posix\.system, which moeplan does not load/);
    assert.ok(e.message.includes(PT_TO_JSON), 'the message gives the conversion command');
    return true;
  });
  await assert.rejects(readTrace(join(FIXTURES, 'sglang-stat.pt'), { model: { ...model, experts: 16 } }), /8 counts per layer but Tiny/);
});

test('damaged .pt files give a WorkloadError, never another exception', async () => {
  const original = readFileSync(join(FIXTURES, 'sglang-stat.pt'));
  const file = join(dir, 'damaged.pt');
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.nat({ max: original.length - 1 }), fc.nat({ max: 255 })), { minLength: 1, maxLength: 6 }),
      fc.nat({ max: original.length }),
      async (flips, cut) => {
        const bytes = Buffer.from(original.subarray(0, Math.max(cut, 40)));
        for (const [at, v] of flips) if (at < bytes.length) bytes[at] = v;
        writeFileSync(file, bytes);
        try {
          await readTrace(file, { model, format: 'sglang' });
        } catch (e) {
          assert.ok(e instanceof WorkloadError, `${(e as Error).name}: ${(e as Error).message}`);
        }
      },
    ),
    { numRuns: 150 },
  );
  assert.throws(() => readTorchSave(Buffer.from('PK\u0003\u0004 not a zip')), TorchSaveError);
});

test("TensorRT-LLM's expert statistics (meta_info.json + rank files) give the loads summed over ranks and iterations", async () => {
  const meta = join(FIXTURES, 'trtllm-stats', 'meta_info.json');
  assert.equal(detectFormat(meta), 'trtllm');
  const { loads } = JSON.parse(readFileSync(join(FIXTURES, 'trtllm-stats.expected.json'), 'utf8')) as { loads: number[][] };
  const json = join(dir, 'loads.json');
  writeFileSync(json, JSON.stringify({ logical_count: loads }));
  const fromStats = await readTrace(meta, { model });
  assert.deepEqual(fromStats.layers, (await readTrace(json, { model })).layers);
  assert.match(fromStats.notes.join('\n'), /2 rank files, 3 iterations \(100\.\.102\), summed/);

  await assert.rejects(
    readTrace(meta, { model: { ...model, firstMoeLayer: 0 } }),
    /cover model layers 2\.\.5, but Tiny: 4 MoE layers, 8 routed experts, top-2, i\.e\. layers 0\.\.3/,
  );
  await assert.rejects(readTrace(meta, { model: { ...model, topK: 3 } }), /num_experts_per_token 2 but/);
  const lonely = join(dir, 'lonely');
  mkdirSync(lonely);
  writeFileSync(join(lonely, 'meta_info.json'), '{"num_experts": 8, "num_experts_per_token": 2}');
  await assert.rejects(readTrace(join(lonely, 'meta_info.json'), { model }), /no rank<r>\.safetensors beside meta_info\.json/);
  writeFileSync(join(lonely, 'rank0.safetensors'), Buffer.concat([Buffer.from([200, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{}')]));
  await assert.rejects(readTrace(join(lonely, 'meta_info.json'), { model }), /header length 200 does not fit a 10-byte safetensors file/);
});
