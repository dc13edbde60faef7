// SGLang's expert-distribution dump as the server writes it: with
// --expert-distribution-recorder-mode stat, /dump_expert_distribution_record
// torch.save()s {"rank": int, "logical_count": int32 tensor [steps][layers][experts],
// "average_utilization_rate_over_window": float | None} as
// expert_distribution_recorder_<time>.pt (sgl-project/sglang,
// python/sglang/srt/eplb/expert_distribution.py, _StatAccumulator.dump).
// The tensor is read without running pickle code (torchSave.ts); its steps
// are summed and the loads go the way of the JSON form (sglang.ts).
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import type { Workload } from '../types';
import { WorkloadError } from '../types';
import type { ReadOptions } from './common';
import { checkAborted, checkFile, MAX_COUNT, MAX_COUNT_TEXT, modelLabel } from './common';
import { loadsToWorkload } from './sglang';
import { looksLikeTorchSave, readTorchSave, TorchSaveError, type PickleValue, type Tensor } from './torchSave';

/** What to run where moeplan cannot read a .pt file: PyTorch's own loader, allow-listed, to JSON. */
export const PT_TO_JSON = `python -c "import json,sys,torch; d=torch.load(sys.argv[1],weights_only=True); json.dump({'logical_count': d['logical_count'].tolist()}, open(sys.argv[2],'w'))" DUMP.pt counts.json`;

/** True when the file starts like a torch.save archive (SGLang's .pt dump) rather than JSON. */
export function isTorchSaveFile(file: string): boolean {
  const head = Buffer.alloc(256);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    return looksLikeTorchSave(head.subarray(0, readSync(fd, head, 0, head.length, 0)));
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export async function readSglangDump(file: string, opts: ReadOptions): Promise<Workload> {
  checkFile(file, opts.maxBytes);
  let doc: PickleValue;
  try {
    doc = readTorchSave(readFileSync(file));
  } catch (e) {
    if (!(e instanceof TorchSaveError)) throw e;
    throw new WorkloadError(
      `cannot read this torch.save file safely: ${e.message}. Convert it to JSON with PyTorch and name the JSON as the trace:\n  ${PT_TO_JSON}`,
      file,
    );
  }
  checkAborted(opts.signal, file);
  const entries = typeof doc === 'object' && doc !== null && !Array.isArray(doc) && doc.kind === 'dict' ? doc.entries : undefined;
  if (!entries) throw new WorkloadError('expected the dict SGLang dumps ({"logical_count": tensor, …})', file);
  const lc = entries.get('logical_count');
  if (lc === undefined) {
    const what = entries.has('records')
      ? 'a per-pass or per-token dump (--expert-distribution-recorder-mode per_pass|per_token)'
      : 'a dict without "logical_count"';
    throw new WorkloadError(`this is ${what}; moeplan reads the stat dump: start SGLang with --expert-distribution-recorder-mode stat`, file);
  }
  if (!isTensor(lc)) throw new WorkloadError('"logical_count" is not a tensor', file);
  const width = lc.shape[lc.shape.length - 1];
  if (width !== opts.model.experts)
    throw new WorkloadError(`"logical_count" has ${width} counts per layer but ${modelLabel(opts.model)}; one count per routed expert is needed`, file);
  return loadsToWorkload(sumLeadingAxes(lc, file), file, opts.model, opts, 'SGLang logical_count (.pt)');
}

/** [steps…][layers][experts] → [layers][experts], checking every count. */
function sumLeadingAxes(t: Tensor, file: string): number[][] {
  if (t.shape.length < 2)
    throw new WorkloadError(`"logical_count" has shape [${t.shape.join(', ')}]; expected [layers][experts] or [steps][layers][experts]`, file);
  const experts = t.shape[t.shape.length - 1];
  const layers = t.shape[t.shape.length - 2];
  const rows = Array.from({ length: layers }, () => new Array<number>(experts).fill(0));
  const plane = layers * experts;
  for (let i = 0; i < t.values.length; i++) {
    const v = t.values[i];
    if (!Number.isFinite(v) || v < 0) throw new WorkloadError(`"logical_count" holds ${v} at flat index ${i}; counts must be ≥ 0`, file);
    const r = i % plane;
    rows[Math.floor(r / experts)][r % experts] += v;
  }
  for (const row of rows) for (const v of row) if (v > MAX_COUNT) throw new WorkloadError(`a summed count exceeds ${MAX_COUNT_TEXT}`, file);
  return rows;
}

function isTensor(v: PickleValue | undefined): v is Tensor {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && v.kind === 'tensor';
}
