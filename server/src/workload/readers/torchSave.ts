// Reads a file written by PyTorch's torch.save without running any of its
// pickle code. torch.save writes a zip archive (PyTorch's "zip file
// serialization", the default since 1.6): <name>/data.pkl holds a pickle
// (protocol 2) of the saved object in which every tensor is a call of
// torch._utils._rebuild_tensor_v2(storage, offset, size, stride, …) and every
// storage a persistent id ('storage', torch.<Type>Storage, key, location,
// numel) whose bytes are the entry <name>/data/<key>; <name>/byteorder says
// "little" or "big" (absent before PyTorch 2.1: little).
//
// The pickle is interpreted by a small machine that knows only the opcodes
// such files use and only these callables: _rebuild_tensor_v2 and
// collections.OrderedDict (empty, for backward hooks). Any other global,
// and any opcode outside that set, stops the read with a message: nothing in
// the file is ever executed. This is the same allow-list idea as
// torch.load(weights_only=True), narrower.
import { unzipSync } from 'fflate';

export class TorchSaveError extends Error {}

export type DType = 'int8' | 'uint8' | 'int16' | 'int32' | 'int64' | 'float16' | 'bfloat16' | 'float32' | 'float64' | 'bool';

/** A tensor, values widened to doubles (int64 beyond 2^53 loses precision; counts never reach it). */
export interface Tensor {
  kind: 'tensor';
  dtype: DType;
  shape: number[];
  /** Row-major values. */
  values: Float64Array;
}

export type PickleValue = null | boolean | number | bigint | string | PickleValue[] | PickleTuple | PickleDict | Tensor | Global | Storage;
export interface PickleTuple {
  kind: 'tuple';
  items: PickleValue[];
}
export interface PickleDict {
  kind: 'dict';
  entries: Map<string | number, PickleValue>;
}
interface Global {
  kind: 'global';
  name: string;
}
interface Storage {
  kind: 'storage';
  dtype: DType;
  bytes: Uint8Array;
  littleEndian: boolean;
}

const STORAGE_TYPES: Record<string, DType> = {
  ByteStorage: 'uint8',
  CharStorage: 'int8',
  ShortStorage: 'int16',
  IntStorage: 'int32',
  LongStorage: 'int64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  BoolStorage: 'bool',
};
const ITEM_BYTES: Record<DType, number> = { int8: 1, uint8: 1, bool: 1, int16: 2, float16: 2, bfloat16: 2, int32: 4, float32: 4, int64: 8, float64: 8 };
const ALLOWED_GLOBALS = new Set(['torch._utils._rebuild_tensor_v2', 'collections.OrderedDict', ...Object.keys(STORAGE_TYPES).map((t) => `torch.${t}`)]);

/** True when the bytes start like a torch.save zip (a local header whose first entry is …/data.pkl or …/byteorder, …/version). */
export function looksLikeTorchSave(head: Uint8Array): boolean {
  if (head.length < 34 || head[0] !== 0x50 || head[1] !== 0x4b || head[2] !== 0x03 || head[3] !== 0x04) return false;
  const nameLength = head[26] | (head[27] << 8);
  const name = Buffer.from(head.buffer, head.byteOffset + 30, Math.min(nameLength, head.length - 30)).toString('latin1');
  return /^[^/]+\/(data\.pkl|byteorder|version|\.format_version)$/.test(name);
}

/** The object torch.save wrote, with tensors read from their storages. */
export function readTorchSave(bytes: Uint8Array): PickleValue {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (e) {
    throw new TorchSaveError(`not a readable zip archive (${(e as Error).message})`);
  }
  const pkl = Object.keys(entries).find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pkl) throw new TorchSaveError('no <name>/data.pkl in the archive: not written by torch.save (PyTorch ≥ 1.6)');
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const order = entries[`${prefix}byteorder`];
  const littleEndian = !order || Buffer.from(order).toString('latin1').trim() !== 'big';
  return new Unpickler(entries[pkl], (key, dtype) => {
    const data = entries[`${prefix}data/${key}`];
    if (!data) throw new TorchSaveError(`storage ${key} is missing from the archive`);
    return { kind: 'storage', dtype, bytes: data, littleEndian };
  }).run();
}

const MARK = Symbol('mark');
type StackItem = PickleValue | typeof MARK;

class Unpickler {
  private pos = 0;
  private readonly stack: StackItem[] = [];
  private readonly memo = new Map<number, PickleValue>();
  private readonly view: DataView;

  constructor(
    private readonly data: Uint8Array,
    private readonly storage: (key: string, dtype: DType) => Storage,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  run(): PickleValue {
    for (;;) {
      if (this.pos >= this.data.length) throw new TorchSaveError('the pickle ends without STOP');
      const op = this.data[this.pos++];
      switch (op) {
        case 0x80: // PROTO
          this.pos++;
          break;
        case 0x95: // FRAME (protocol 4): a length we do not need
          this.take(8);
          break;
        case 0x2e: // STOP
          return this.pop();
        case 0x28: // MARK
          this.stack.push(MARK);
          break;
        case 0x4e: // NONE
          this.stack.push(null);
          break;
        case 0x88: // NEWTRUE
          this.stack.push(true);
          break;
        case 0x89: // NEWFALSE
          this.stack.push(false);
          break;
        case 0x4b: // BININT1
          this.stack.push(this.take(1)[0]);
          break;
        case 0x4d: // BININT2
          this.stack.push(this.view.getUint16(this.skip(2), true));
          break;
        case 0x4a: // BININT
          this.stack.push(this.view.getInt32(this.skip(4), true));
          break;
        case 0x8a: // LONG1
          this.stack.push(this.long(this.take(1)[0]));
          break;
        case 0x47: // BINFLOAT
          this.stack.push(this.view.getFloat64(this.skip(8), false));
          break;
        case 0x58: // BINUNICODE
          this.stack.push(this.text(this.view.getUint32(this.skip(4), true)));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.stack.push(this.text(this.take(1)[0]));
          break;
        case 0x5d: // EMPTY_LIST
          this.stack.push([]);
          break;
        case 0x7d: // EMPTY_DICT
          this.stack.push({ kind: 'dict', entries: new Map() });
          break;
        case 0x29: // EMPTY_TUPLE
          this.stack.push({ kind: 'tuple', items: [] });
          break;
        case 0x85: // TUPLE1
        case 0x86: // TUPLE2
        case 0x87: {
          // TUPLE3
          const n = op - 0x84;
          const items = this.stack.splice(this.stack.length - n, n);
          if (items.length !== n || items.includes(MARK)) throw new TorchSaveError('malformed tuple');
          this.stack.push({ kind: 'tuple', items: items as PickleValue[] });
          break;
        }
        case 0x74: // TUPLE
          this.stack.push({ kind: 'tuple', items: this.popMark() });
          break;
        case 0x61: {
          // APPEND
          const v = this.pop();
          this.list().push(v);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = this.popMark();
          this.list().push(...items);
          break;
        }
        case 0x73: {
          // SETITEM
          const v = this.pop();
          const k = this.pop();
          this.dict().entries.set(key(k), v);
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = this.popMark();
          const d = this.dict();
          for (let i = 0; i + 1 < items.length; i += 2) d.entries.set(key(items[i]), items[i + 1]);
          break;
        }
        case 0x71: // BINPUT
          this.memo.set(this.take(1)[0], this.top());
          break;
        case 0x72: // LONG_BINPUT
          this.memo.set(this.view.getUint32(this.skip(4), true), this.top());
          break;
        case 0x94: // MEMOIZE
          this.memo.set(this.memo.size, this.top());
          break;
        case 0x68: // BINGET
          this.stack.push(this.recall(this.take(1)[0]));
          break;
        case 0x6a: // LONG_BINGET
          this.stack.push(this.recall(this.view.getUint32(this.skip(4), true)));
          break;
        case 0x63: {
          // GLOBAL "module\nname\n"
          const module = this.line();
          const name = this.line();
          this.stack.push(this.global(`${module}.${name}`));
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') throw new TorchSaveError('malformed STACK_GLOBAL');
          this.stack.push(this.global(`${module}.${name}`));
          break;
        }
        case 0x51: // BINPERSID
          this.stack.push(this.persistent(this.pop()));
          break;
        case 0x52: {
          // REDUCE
          const args = this.pop();
          const fn = this.pop();
          this.stack.push(this.call(fn, args));
          break;
        }
        default:
          throw new TorchSaveError(
            `pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${this.pos - 1} is not one torch.save writes for tensors and plain containers`,
          );
      }
    }
  }

  private global(name: string): Global {
    if (!ALLOWED_GLOBALS.has(name))
      throw new TorchSaveError(`the file refers to ${name}, which moeplan does not load (only tensors, numbers, strings, lists and dicts)`);
    return { kind: 'global', name };
  }

  private persistent(pid: PickleValue): Storage {
    if (!isTuple(pid) || pid.items[0] !== 'storage') throw new TorchSaveError('unknown persistent id (expected a tensor storage)');
    const [, type, k] = pid.items;
    const dtype = isGlobal(type) ? STORAGE_TYPES[type.name.slice('torch.'.length)] : undefined;
    if (!dtype || typeof k !== 'string') throw new TorchSaveError('malformed storage reference');
    return this.storage(k, dtype);
  }

  private call(fn: PickleValue, args: PickleValue): PickleValue {
    if (!isGlobal(fn) || !isTuple(args)) throw new TorchSaveError('REDUCE of something that is not an allowed function');
    if (fn.name === 'collections.OrderedDict') return { kind: 'dict', entries: new Map() };
    // torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    const [storage, offset, size, stride] = args.items;
    if (!isStorage(storage) || typeof offset !== 'number' || !isIntTuple(size) || !isIntTuple(stride))
      throw new TorchSaveError('malformed tensor (_rebuild_tensor_v2 arguments)');
    return tensorOf(storage, offset, size.items as number[], stride.items as number[]);
  }

  private long(n: number): number | bigint {
    const b = this.take(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (n > 0 && b[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  private text(n: number): string {
    return Buffer.from(this.take(n)).toString('utf8');
  }

  private line(): string {
    const end = this.data.indexOf(0x0a, this.pos);
    if (end < 0) throw new TorchSaveError('malformed GLOBAL');
    const s = Buffer.from(this.data.subarray(this.pos, end)).toString('latin1');
    this.pos = end + 1;
    return s;
  }

  private take(n: number): Uint8Array {
    return this.data.subarray(this.skip(n), this.pos);
  }

  private skip(n: number): number {
    const at = this.pos;
    if (at + n > this.data.length) throw new TorchSaveError('the pickle ends in the middle of a value');
    this.pos += n;
    return at;
  }

  private recall(i: number): PickleValue {
    if (!this.memo.has(i)) throw new TorchSaveError(`memo ${i} read before it was written`);
    return this.memo.get(i)!;
  }

  private pop(): PickleValue {
    const v = this.stack.pop();
    if (v === undefined || v === MARK) throw new TorchSaveError('the pickle pops an empty stack');
    return v;
  }

  private top(): PickleValue {
    const v = this.stack[this.stack.length - 1];
    if (v === undefined || v === MARK) throw new TorchSaveError('the pickle memoises an empty stack');
    return v;
  }

  private popMark(): PickleValue[] {
    const at = this.stack.lastIndexOf(MARK);
    if (at < 0) throw new TorchSaveError('no MARK on the stack');
    const items = this.stack.splice(at + 1) as PickleValue[];
    this.stack.pop();
    return items;
  }

  private list(): PickleValue[] {
    const l = this.stack[this.stack.length - 1];
    if (!Array.isArray(l)) throw new TorchSaveError('APPEND to something that is not a list');
    return l;
  }

  private dict(): PickleDict {
    const d = this.stack[this.stack.length - 1];
    if (!d || d === MARK || typeof d !== 'object' || Array.isArray(d) || d.kind !== 'dict') throw new TorchSaveError('SETITEM on something that is not a dict');
    return d;
  }
}

function key(k: PickleValue): string | number {
  if (typeof k === 'string' || typeof k === 'number') return k;
  throw new TorchSaveError('dict keys other than strings and integers are not read');
}

function isTuple(v: PickleValue | undefined): v is PickleTuple {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && v.kind === 'tuple';
}
function isGlobal(v: PickleValue | undefined): v is Global {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && v.kind === 'global';
}
function isStorage(v: PickleValue | undefined): v is Storage {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && v.kind === 'storage';
}
function isIntTuple(v: PickleValue | undefined): v is PickleTuple {
  return isTuple(v) && v.items.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0);
}

function tensorOf(s: Storage, offset: number, shape: number[], stride: number[]): Tensor {
  if (shape.length !== stride.length) throw new TorchSaveError('tensor size and stride differ in length');
  const itemBytes = ITEM_BYTES[s.dtype];
  const items = Math.floor(s.bytes.length / itemBytes);
  const count = shape.reduce((a, b) => a * b, 1);
  const values = new Float64Array(count);
  if (count === 0) return { kind: 'tensor', dtype: s.dtype, shape, values };
  let last = offset;
  shape.forEach((n, d) => (last += (n - 1) * stride[d]));
  if (offset < 0 || last >= items) throw new TorchSaveError(`tensor reaches element ${last} of a storage with ${items}`);
  const view = new DataView(s.bytes.buffer, s.bytes.byteOffset, s.bytes.byteLength);
  const read = reader(s.dtype, view, s.littleEndian);
  // Row-major (what torch.save of a fresh tensor holds): one pass, no index arithmetic.
  let contiguous = true;
  for (let d = shape.length - 1, step = 1; d >= 0; step *= shape[d], d--) if (shape[d] > 1 && stride[d] !== step) contiguous = false;
  if (contiguous) {
    for (let i = 0; i < count; i++) values[i] = read((offset + i) * itemBytes);
    return { kind: 'tensor', dtype: s.dtype, shape, values };
  }
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < count; i++) {
    let at = offset;
    for (let d = 0; d < shape.length; d++) at += index[d] * stride[d];
    values[i] = read(at * itemBytes);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return { kind: 'tensor', dtype: s.dtype, shape, values };
}

function reader(dtype: DType, v: DataView, le: boolean): (byte: number) => number {
  switch (dtype) {
    case 'uint8':
    case 'bool':
      return (b) => v.getUint8(b);
    case 'int8':
      return (b) => v.getInt8(b);
    case 'int16':
      return (b) => v.getInt16(b, le);
    case 'int32':
      return (b) => v.getInt32(b, le);
    case 'int64':
      return (b) => Number(v.getBigInt64(b, le));
    case 'float32':
      return (b) => v.getFloat32(b, le);
    case 'float64':
      return (b) => v.getFloat64(b, le);
    case 'float16':
      return (b) => half(v.getUint16(b, le));
    case 'bfloat16':
      return (b) => {
        const f = new DataView(new ArrayBuffer(4));
        f.setUint32(0, v.getUint16(b, le) << 16);
        return f.getFloat32(0);
      };
  }
}

function half(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}
