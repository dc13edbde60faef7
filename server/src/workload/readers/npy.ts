// NumPy .npy integer arrays shaped tokens × layers × k (how vLLM's and
// SGLang's per-token routed experts are usually saved). The header is parsed
// here: magic \x93NUMPY, version 1.x (2-byte header length) or 2.x/3.x
// (4-byte), then a Python dict literal with 'descr', 'fortran_order', 'shape'.
// Integer dtypes of 1, 2, 4 or 8 bytes, either byte order; C order only.
// The layer axis is the MoE layers, or all model layers (dense rows skipped).
import { openSync, readSync, closeSync } from 'node:fs';
import { WorkloadError } from '../types';
import { checkAborted, checkFile, modelLabel } from './common';
import { progressReporter } from './progress';
import { RequestIds, type RecordRules, type RoutingSink } from './records';
import type { SourceOptions, SourceSummary } from './source';

interface NpyHeader {
  dtype: { kind: 'i' | 'u'; bytes: 1 | 2 | 4 | 8; littleEndian: boolean; descr: string };
  shape: number[];
  /** Byte offset of the data. */
  dataOffset: number;
}

function parseNpyHeader(buf: Uint8Array, file: string): NpyHeader {
  if (buf.length < 10 || buf[0] !== 0x93 || String.fromCharCode(...buf.subarray(1, 6)) !== 'NUMPY')
    throw new WorkloadError('not a NumPy .npy file (missing the \\x93NUMPY magic)', file);
  const major = buf[6];
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new WorkloadError('truncated .npy header', file);
    headerLen = dv.getUint32(8, true);
    start = 12;
  } else throw new WorkloadError(`unsupported .npy format version ${major}.${buf[7]} (1.x, 2.x and 3.x are read)`, file);
  if (start + headerLen > buf.length) throw new WorkloadError('truncated .npy header', file);
  const text = Buffer.from(buf.subarray(start, start + headerLen)).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]+)['"]/.exec(text)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw new WorkloadError(`unreadable .npy header: ${text.trim().slice(0, 120)}`, file);
  if (fortran === 'True')
    throw new WorkloadError('array is in Fortran (column-major) order; save it in C order (numpy.ascontiguousarray) before planning', file);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => Number(s.replace(/L$/, '')));
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new WorkloadError(`unreadable shape (${shapeText}) in .npy header`, file);
  const dm = /^([<>|=])([iu])(\d)$/.exec(descr);
  if (!dm || !['1', '2', '4', '8'].includes(dm[3]))
    throw new WorkloadError(`dtype '${descr}' is not an integer type; expert ids must be saved as integers (e.g. int32 '<i4')`, file);
  const bytes = Number(dm[3]) as 1 | 2 | 4 | 8;
  return {
    dtype: { kind: dm[2] as 'i' | 'u', bytes, littleEndian: dm[1] !== '>', descr },
    shape,
    dataOffset: start + headerLen,
  };
}

/**
 * Streams a .npy trace into `sink`: one record per token and MoE layer, the
 * token's index as its position (one request). With a model, the layer axis
 * is its MoE layers or all its layers (dense rows skipped); without, every
 * row is a layer.
 */
export async function readNpyRecords(file: string, opts: SourceOptions, sink: RoutingSink, rules: RecordRules): Promise<SourceSummary> {
  const size = checkFile(file, opts.maxBytes);
  const m = rules.model;
  const fd = openSync(file, 'r');
  try {
    const probe = Buffer.alloc(Math.min(size, 65536));
    readSync(fd, probe, 0, probe.length, 0);
    const h = parseNpyHeader(probe, file);
    const shape = h.shape;
    if (shape.length !== 3)
      throw new WorkloadError(
        `array shape (${shape.join(', ')}) is ${shape.length}-D; expected tokens × layers × k` +
          (m ? `, i.e. (tokens, ${m.layers}, ${m.topK}) for ${modelLabel(m)}` : ''),
        file,
      );
    const [tokens, layerAxis, k] = shape;
    let skip = 0;
    let layers = layerAxis;
    if (m) {
      if (k !== m.topK) throw new WorkloadError(`array shape (${shape.join(', ')}): last axis ${k} must equal top-k ${m.topK} (${modelLabel(m)})`, file);
      const first = m.firstMoeLayer ?? 0;
      if (layerAxis === m.layers) skip = 0;
      else if (first > 0 && layerAxis === first + m.layers) skip = first;
      else
        throw new WorkloadError(
          `array shape (${shape.join(', ')}): layer axis ${layerAxis} does not match ${modelLabel(m)}` +
            (first > 0 ? `; expected ${m.layers} or ${first + m.layers}` : `; expected ${m.layers}`) +
            (shape[0] === m.layers || shape[0] === first + m.layers ? ' (the array looks like layers × tokens × k; transpose it to tokens × layers × k)' : ''),
          file,
        );
      layers = m.layers;
    } else if (k < 1 || layerAxis < 1) throw new WorkloadError(`array shape (${shape.join(', ')}) has an empty axis`, file);
    if (tokens === 0) throw new WorkloadError('array has no tokens', file);
    const item = h.dtype.bytes;
    const rowValues = layerAxis * k;
    const rowBytes = rowValues * item;
    const expected = h.dataOffset + tokens * rowBytes;
    if (size < expected) throw new WorkloadError(`file is ${size} bytes but its header promises ${expected} (truncated?)`, file);

    const perChunk = Math.max(1, Math.floor((4 << 20) / rowBytes));
    const buf = Buffer.alloc(perChunk * rowBytes);
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const ids = new Int32Array(k);
    const read = reader(h.dtype, dv);
    const maxId = m ? m.experts : 2 ** 31;
    const report = progressReporter(file, size, opts.onProgress, opts.progressEveryMs);
    for (let t0 = 0; t0 < tokens; t0 += perChunk) {
      checkAborted(opts.signal, file);
      report(h.dataOffset + t0 * rowBytes, t0 * layers);
      const nTok = Math.min(perChunk, tokens - t0);
      const want = nTok * rowBytes;
      let got = 0;
      while (got < want) {
        const r = readSync(fd, buf, got, want - got, h.dataOffset + t0 * rowBytes + got);
        if (r === 0) throw new WorkloadError('unexpected end of file', file);
        got += r;
      }
      for (let i = 0; i < nTok; i++) {
        const t = t0 + i;
        for (let l = 0; l < layers; l++) {
          const base = (i * rowValues + (l + skip) * k) * item;
          for (let j = 0; j < k; j++) {
            const v = read(base + j * item);
            // Checked as read: an Int32Array would wrap a 64-bit id into range.
            if (!(v >= 0 && v < maxId))
              throw new WorkloadError(
                `token ${t}, layer ${l + skip}: expert id ${v} is out of range (${m ? `${modelLabel(m)}; ids 0–${m.experts - 1}` : 'ids are 0 or more'})`,
                file,
              );
            ids[j] = v;
          }
          const problem = rules.idsProblem(ids, 'token 0');
          if (problem) throw new WorkloadError(`token ${t}, layer ${l + skip}: ${npyProblem(ids, problem)}`, file);
          sink.add(l, ids, 1, 0, t);
        }
      }
    }
    const notes: string[] = [];
    if (skip > 0) notes.push(`layer rows 0–${skip - 1} (dense layers) skipped`);
    return {
      records: tokens * layers,
      requests: new RequestIds(),
      notes,
      label: `npy ${h.dtype.descr}, ${tokens.toLocaleString('en-US')} tokens × ${layerAxis} layers × ${k}`,
    };
  } finally {
    closeSync(fd);
  }
}

/** The reason in the words the npy reader has always used. */
function npyProblem(ids: Int32Array, problem: string): string {
  for (let j = 0; j < ids.length; j++)
    for (let q = 0; q < j; q++) if (ids[q] === ids[j]) return `expert ${ids[j]} appears twice; a token's experts are distinct`;
  return problem;
}

function reader(d: NpyHeader['dtype'], dv: DataView): (off: number) => number {
  const le = d.littleEndian;
  switch (`${d.kind}${d.bytes}`) {
    case 'i1':
      return (o) => dv.getInt8(o);
    case 'u1':
      return (o) => dv.getUint8(o);
    case 'i2':
      return (o) => dv.getInt16(o, le);
    case 'u2':
      return (o) => dv.getUint16(o, le);
    case 'i4':
      return (o) => dv.getInt32(o, le);
    case 'u4':
      return (o) => dv.getUint32(o, le);
    case 'i8':
      return (o) => Number(dv.getBigInt64(o, le));
    default:
      return (o) => Number(dv.getBigUint64(o, le));
  }
}

/** Serialises an integer array as .npy v1.0 (for fixtures and exports). */
export function encodeNpy(values: ArrayLike<number>, shape: number[], descr = '<i4', fortranOrder = false): Buffer {
  const dm = /^([<>|=])([iu])(\d)$/.exec(descr);
  if (!dm) throw new RangeError(`unsupported dtype ${descr}`);
  const bytes = Number(dm[3]);
  const le = dm[1] !== '>';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${fortranOrder ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = Buffer.alloc(10 + header.length + values.length * bytes);
  out[0] = 0x93;
  out.write('NUMPY', 1, 'latin1');
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let o = 10 + header.length;
  for (let i = 0; i < values.length; i++, o += bytes) {
    const v = values[i];
    switch (`${dm[2]}${bytes}`) {
      case 'i1':
        dv.setInt8(o, v);
        break;
      case 'u1':
        dv.setUint8(o, v);
        break;
      case 'i2':
        dv.setInt16(o, v, le);
        break;
      case 'u2':
        dv.setUint16(o, v, le);
        break;
      case 'i4':
        dv.setInt32(o, v, le);
        break;
      case 'u4':
        dv.setUint32(o, v, le);
        break;
      case 'i8':
        dv.setBigInt64(o, BigInt(v), le);
        break;
      default:
        dv.setBigUint64(o, BigInt(v), le);
    }
  }
  return out;
}
