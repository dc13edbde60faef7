// TensorRT-LLM's expert statistics: with EXPERT_STATISTIC_ITER_RANGE=a-b set,
// every rank counts the experts its tokens pick in each MoE layer and writes
// $EXPERT_STATISTIC_PATH/rank<r>.safetensors, one tensor per (iteration,
// layer) named "<iter>_<layer>" (torch.bincount, int64, one count per
// expert, layer = model layer index), and rank 0 writes meta_info.json
// {"num_experts", "num_experts_per_token"} (NVIDIA/TensorRT-LLM,
// tensorrt_llm/_torch/expert_statistic.py, ExpertStatistic._write, commit
// c85e872; read back by examples/wide_ep/ep_load_balancer/utils.py).
// The trace names meta_info.json; the rank files beside it are summed over
// ranks and iterations into per-expert loads per MoE layer.
//
// safetensors (huggingface/safetensors): an 8-byte little-endian header
// length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]},
// "__metadata__"?: {...}}, then the data, offsets relative to its start.
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Workload } from '../types';
import { WorkloadError } from '../types';
import type { ReadOptions } from './common';
import { checkAborted, checkFile, MAX_COUNT, MAX_COUNT_TEXT, modelLabel } from './common';
import { loadsToWorkload } from './sglang';

const SOURCE = 'TensorRT-LLM expert statistics';
const ITEM: Record<string, { bytes: number; read: (v: DataView, at: number) => number }> = {
  I64: { bytes: 8, read: (v, at) => Number(v.getBigInt64(at, true)) },
  I32: { bytes: 4, read: (v, at) => v.getInt32(at, true) },
  I16: { bytes: 2, read: (v, at) => v.getInt16(at, true) },
  U8: { bytes: 1, read: (v, at) => v.getUint8(at) },
  F64: { bytes: 8, read: (v, at) => v.getFloat64(at, true) },
  F32: { bytes: 4, read: (v, at) => v.getFloat32(at, true) },
};
/** Largest safetensors JSON header read (the statistics' headers are a few hundred bytes per tensor). */
const MAX_HEADER = 64 * 1024 * 1024;

/** True for the meta_info.json TensorRT-LLM writes beside its rank files. */
export function looksLikeTrtllmMeta(text: string): boolean {
  if (!/"num_experts_per_token"\s*:/.test(text) || !/"num_experts"\s*:/.test(text)) return false;
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) && 'num_experts' in v && 'num_experts_per_token' in v;
  } catch {
    return false;
  }
}

export async function readTrtllmStats(metaFile: string, opts: ReadOptions): Promise<Workload> {
  checkFile(metaFile, opts.maxBytes);
  const m = opts.model;
  let meta: { num_experts?: unknown; num_experts_per_token?: unknown };
  try {
    meta = JSON.parse(readFileSync(metaFile, 'utf8')) as typeof meta;
  } catch (e) {
    throw new WorkloadError(`meta_info.json is not valid JSON (${(e as Error).message})`, metaFile, 1);
  }
  if (meta.num_experts !== m.experts) throw new WorkloadError(`meta_info.json says num_experts ${String(meta.num_experts)} but ${modelLabel(m)}`, metaFile, 1);
  if (meta.num_experts_per_token !== m.topK)
    throw new WorkloadError(`meta_info.json says num_experts_per_token ${String(meta.num_experts_per_token)} but ${modelLabel(m)}`, metaFile, 1);

  const dir = dirname(metaFile);
  const ranks = readdirSync(dir)
    .filter((f) => /^rank\d+\.safetensors$/.test(f))
    .sort((a, b) => Number(a.slice(4, -12)) - Number(b.slice(4, -12)));
  if (ranks.length === 0)
    throw new WorkloadError(
      `no rank<r>.safetensors beside ${basename(metaFile)}: TensorRT-LLM writes them at the end of EXPERT_STATISTIC_ITER_RANGE`,
      metaFile,
    );

  const byLayer = new Map<number, number[]>();
  const iterations = new Set<number>();
  for (const rank of ranks) {
    checkAborted(opts.signal, metaFile);
    const file = join(dir, rank);
    checkFile(file, opts.maxBytes);
    for (const { name, counts } of readSafetensors(file)) {
      const key = /^(\d+)_(\d+)$/.exec(name);
      if (!key) throw new WorkloadError(`tensor "${name}" is not named <iteration>_<layer>`, file);
      if (counts.length !== m.experts) throw new WorkloadError(`tensor "${name}" has ${counts.length} counts but ${modelLabel(m)}`, file);
      iterations.add(Number(key[1]));
      const layer = Number(key[2]);
      const sum = byLayer.get(layer) ?? new Array<number>(m.experts).fill(0);
      counts.forEach((c, e) => {
        if (!Number.isFinite(c) || c < 0) throw new WorkloadError(`tensor "${name}", expert ${e}: count ${c} is not ≥ 0`, file);
        sum[e] += c;
        if (sum[e] > MAX_COUNT) throw new WorkloadError(`layer ${layer}, expert ${e}: the summed count exceeds ${MAX_COUNT_TEXT}`, file);
      });
      byLayer.set(layer, sum);
    }
  }
  const layers = [...byLayer.keys()].sort((a, b) => a - b);
  const first = m.firstMoeLayer ?? 0;
  const expected = Array.from({ length: m.layers }, (_, l) => first + l);
  if (layers.length !== m.layers || layers.some((id, i) => id !== expected[i]))
    throw new WorkloadError(`the statistics cover model layers ${rangeText(layers)}, but ${modelLabel(m)}, i.e. layers ${rangeText(expected)}`, metaFile);
  const w = loadsToWorkload(
    layers.map((id) => byLayer.get(id)!),
    metaFile,
    m,
    opts,
    SOURCE,
  );
  w.notes.push(
    `${SOURCE}: ${ranks.length} rank file${ranks.length > 1 ? 's' : ''}, ${iterations.size} iteration${iterations.size > 1 ? 's' : ''} (${rangeText([...iterations].sort((a, b) => a - b))}), summed`,
  );
  return w;
}

/** Every tensor of a safetensors file as a flat list of numbers. */
function readSafetensors(file: string): { name: string; counts: number[] }[] {
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(8);
    if (readSync(fd, head, 0, 8, 0) !== 8) throw new WorkloadError('shorter than a safetensors header', file);
    const n = Number(head.readBigUInt64LE(0));
    if (n < 2 || n > MAX_HEADER || 8 + n > size) throw new WorkloadError(`header length ${n} does not fit a ${size}-byte safetensors file`, file);
    const json = Buffer.alloc(n);
    readSync(fd, json, 0, n, 8);
    let header: Record<string, { dtype?: unknown; shape?: unknown; data_offsets?: unknown }>;
    try {
      header = JSON.parse(json.toString('utf8')) as typeof header;
    } catch (e) {
      throw new WorkloadError(`safetensors header is not JSON (${(e as Error).message})`, file);
    }
    const dataStart = 8 + n;
    const out: { name: string; counts: number[] }[] = [];
    for (const [name, t] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const item = typeof t.dtype === 'string' ? ITEM[t.dtype] : undefined;
      const offs = t.data_offsets;
      const shape = t.shape;
      if (!item) throw new WorkloadError(`tensor "${name}": dtype ${String(t.dtype)} is not a count type (I64, I32, I16, U8, F64, F32)`, file);
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new WorkloadError(`tensor "${name}": bad shape`, file);
      if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0))
        throw new WorkloadError(`tensor "${name}": bad data_offsets`, file);
      const [begin, end] = offs as number[];
      const count = (shape as number[]).reduce((a, b) => a * b, 1);
      if (end - begin !== count * item.bytes || dataStart + end > size)
        throw new WorkloadError(`tensor "${name}": data_offsets [${begin}, ${end}] do not hold ${count} × ${t.dtype}`, file);
      const data = Buffer.alloc(end - begin);
      readSync(fd, data, 0, data.length, dataStart + begin);
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      out.push({ name, counts: Array.from({ length: count }, (_, i) => item.read(view, i * item.bytes)) });
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** "3..60" for consecutive ids, else a short list. */
function rangeText(ids: readonly number[]): string {
  if (ids.length === 0) return 'none';
  const consecutive = ids.every((id, i) => i === 0 || id === ids[i - 1] + 1);
  if (consecutive) return ids.length === 1 ? `${ids[0]}` : `${ids[0]}..${ids[ids.length - 1]}`;
  return ids.length > 8 ? `${ids.slice(0, 8).join(', ')}, … (${ids.length})` : ids.join(', ');
}
