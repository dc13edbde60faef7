// One entry point for every trace format.
import type { TraceFormat } from '../../plan/types';
import type { Workload } from '../types';
import { WorkloadError } from '../types';
import type { ReadOptions, TraceModel } from './common';
import { checkFile } from './common';
import { detectFormat } from './detect';
import { readSglang } from './sglang';
import { isTorchSaveFile, readSglangDump } from './sglangDump';
import { readTrtllmStats } from './trtllmStats';
import { isRecordFormat, readRecordWorkload } from './recordSources';

export { detectFormat } from './detect';

interface ReadTraceOptions extends Omit<ReadOptions, 'model'> {
  format?: TraceFormat;
  model: TraceModel;
}

/**
 * Reads a routing trace into per-layer subset distributions, checked against
 * the model (expert ids < experts, k = top-k, every MoE layer present).
 * Throws WorkloadError (file, 1-based line where there is one) on bad input.
 */
export async function readTrace(absPath: string, opts: ReadTraceOptions): Promise<Workload> {
  checkFile(absPath, opts.maxBytes);
  const m = opts.model;
  if (!(m.layers >= 1 && m.experts >= 1 && m.topK >= 1 && m.topK <= m.experts))
    throw new WorkloadError(`the model figures are incomplete (layers ${m.layers}, experts ${m.experts}, top-k ${m.topK}); fix the model first`, absPath);
  const format = opts.format ?? detectFormat(absPath);
  if (isRecordFormat(format)) return readRecordWorkload(format, absPath, opts);
  switch (format) {
    case 'sglang':
      return isTorchSaveFile(absPath) ? readSglangDump(absPath, opts) : readSglang(absPath, opts);
    case 'trtllm':
      return readTrtllmStats(absPath, opts);
    default:
      throw new WorkloadError(`unknown trace format '${String(format)}' (use jsonl, csv, parquet, sglang, npy or trtllm)`, absPath);
  }
}
