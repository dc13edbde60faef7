// Recognises a trace's format from its first bytes, not its extension:
//   \x93NUMPY                                   → npy
//   PAR1                                        → parquet
//   a JSON object mentioning "logical_count"    → sglang
//   a torch.save zip (SGLang's .pt dump)        → sglang
//   TensorRT-LLM's meta_info.json               → trtllm
//   a JSON object per line                      → jsonl
//   a header line naming layer/experts columns  → csv (comma, tab or semicolon)
import { openSync, readSync, closeSync } from 'node:fs';
import type { TraceFormat } from '../../plan/types';
import { WorkloadError } from '../types';
import { looksLikeTorchSave } from './torchSave';
import { looksLikeTrtllmMeta } from './trtllmStats';
import { looksLikeParquet } from './parquet';

const PROBE_BYTES = 64 * 1024;

export function detectFormat(file: string): TraceFormat {
  let buf: Buffer;
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    buf = Buffer.alloc(PROBE_BYTES);
    const n = readSync(fd, buf, 0, PROBE_BYTES, 0);
    buf = buf.subarray(0, n);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new WorkloadError(
      code === 'ENOENT' ? 'file not found (paths in a plan are relative to the plan file)' : `cannot read: ${(e as Error).message}`,
      file,
    );
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const f = detectFromBytes(buf);
  if (!f)
    throw new WorkloadError(
      'cannot tell the trace format from its content: expected JSON lines with "layer" and "experts", ' +
        'a CSV/TSV with a header "layer,experts,count", SGLang {"logical_count": …} JSON, a NumPy .npy array or a Parquet file ' +
        '(or name the format in the plan: trace "…" format jsonl|csv|parquet|sglang|npy|trtllm)',
      file,
    );
  return f;
}

function detectFromBytes(buf: Uint8Array): TraceFormat | undefined {
  if (buf.length >= 6 && buf[0] === 0x93 && String.fromCharCode(...buf.subarray(1, 6)) === 'NUMPY') return 'npy';
  if (looksLikeParquet(buf)) return 'parquet';
  if (looksLikeTorchSave(buf)) return 'sglang';
  let text = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    if (looksLikeTrtllmMeta(trimmed)) return 'trtllm';
    if (/^\{\s*"logical_count"\s*:/.test(trimmed) || (!firstLineIsObject(trimmed) && trimmed.includes('"logical_count"'))) return 'sglang';
    return 'jsonl';
  }
  const firstLine = trimmed.split(/\r\n|\r|\n/).find((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  if (firstLine && /\blayer\b/i.test(firstLine) && /\bexperts?\b/i.test(firstLine)) return 'csv';
  return undefined;
}

function firstLineIsObject(text: string): boolean {
  const line = text.split(/\r\n|\r|\n/, 1)[0].trim();
  if (!line.endsWith('}')) return false;
  try {
    const v = JSON.parse(line);
    return v !== null && typeof v === 'object' && !Array.isArray(v) && !('logical_count' in v);
  } catch {
    return false;
  }
}
