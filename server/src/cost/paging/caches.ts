// The expert caches of every GPU under one eviction policy.
//
// What the replay needs to know about an expert-layer id sits in one 16-byte
// record: list links (or Belady's next use), a stamp, and owner GPU, layer
// and flags packed in one word. The replay touches ids at random, so one
// cache line per id instead of one per array is much of its speed. One class
// for all policies keeps the replay's call sites monomorphic (inlined);
// nothing is allocated after construction.
//
// A cache holds the non-pinned expert-layers of its GPU, `capacity[g]`
// slots. An entry used in the current step is locked (the step computes
// with it) and is never the victim.
//   - lru: one list per GPU, most recent at the head; the victim is the tail.
//   - layer-lru: layers run in a cycle 0..L-1, so while layer c runs, layer
//     c+1 is needed next and c itself last. The victim is the least recently
//     used entry of the layer whose next turn is furthest away: scan c, c-1,
//     c-2, … (cyclically), take the tail of the first layer with an unlocked
//     entry.
//   - belady: the offline optimum, evict the entry whose next use is furthest
//     (ties: the larger id). Each GPU keeps a 4-ary max-heap of waiting
//     entries keyed by next-use step · ids + id (ids = layers × experts, an
//     exact double), the id beside the key so the victim needs no lookup.
//     Deletion is lazy: after a step each cached id it used pushes its next
//     use; the entry it had (this step, below every waiting key) goes stale.
//     An entry is live while its id is cached with that step as its stamp;
//     stale entries are skipped at the top and dropped when the heap is
//     compacted. Needs the whole sequence: a bound, not a server policy.
import type { NextUses } from './nextUse';
import { PagingError, type PagingPolicy } from './types';

const LRU = 0;
const LAYER_LRU = 1;
const BELADY = 2;

/** Int32 slots of a record (4 per id). */
const R_PREV = 0;
const R_NEXT = 1;
/** LRU: step of the last use. Belady: next-use step of its live heap entry, or -1 while locked. */
const R_STAMP = 2;
/** Flags (bits 0-2) | owner GPU << 3 (12 bits) | layer << 15 (16 bits). */
const R_META = 3;
/** Belady: step of the id's next use from now (Belady has no list links). */
const R_NEXT_USE = R_PREV;

const F_PINNED = 1;
const F_CACHED = 2;
const F_PREFETCHED = 4;
const OWNER_SHIFT = 3;
const OWNER_MASK = 0xfff;
const LAYER_SHIFT = 15;
/** Largest GPU count and layer count a record can hold. */
const MAX_GPUS = OWNER_MASK + 1;
const MAX_LAYERS = 0xffff + 1;

/**
 * The layout for other modules, read once into locals: an imported constant
 * used in a hot loop can cost a getter call per use when modules are
 * compiled one by one (tsx in tests and benchmarks).
 */
export const RECORD = {
  META: R_META,
  NEXT_USE: R_NEXT_USE,
  PINNED: F_PINNED,
  CACHED: F_CACHED,
  PREFETCHED: F_PREFETCHED,
  OWNER_SHIFT,
  OWNER_MASK,
} as const;

export class ExpertCaches {
  readonly kind: number;
  /** Per id: 4 Int32 slots (R_*); id's record starts at id << 2. */
  readonly rec: Int32Array;
  readonly size: Int32Array;
  readonly capacity: Int32Array;
  private readonly layers: number;
  private readonly heads: Int32Array;
  private readonly tails: Int32Array;
  // Belady: per GPU a heap region [hStart[g], hStart[g] + hRoom[g]).
  private readonly hKey: Float64Array;
  private readonly hId: Int32Array;
  private readonly hStart: Int32Array;
  private readonly hRoom: Int32Array;
  private readonly hSize: Int32Array;
  /** ids = layers × experts: key = step · ids + id. */
  private readonly universe: number;
  /** Compaction: the last compaction that kept an entry of the id. */
  private readonly keptIn: Int32Array;
  private compactions = 0;
  /** Belady: the step being replayed (the replay sets it). */
  now = 0;

  constructor(policy: PagingPolicy, capacity: ArrayLike<number>, owner: Int32Array, pinned: Uint8Array, layers: number, experts: number, uses?: NextUses) {
    const G = capacity.length;
    const N = layers * experts;
    if (G > MAX_GPUS || layers > MAX_LAYERS) {
      throw new PagingError(`the paging replay handles at most ${MAX_GPUS} GPUs and ${MAX_LAYERS} MoE layers`);
    }
    this.kind = policy === 'lru' ? LRU : policy === 'layer-lru' ? LAYER_LRU : BELADY;
    this.rec = new Int32Array(N * 4);
    const rec = this.rec;
    for (let id = 0; id < N; id++) {
      const r = id << 2;
      rec[r + R_PREV] = uses ? uses.first[id] : -1;
      rec[r + R_NEXT] = -1;
      rec[r + R_STAMP] = -1;
      const layer = (id / experts) | 0;
      rec[r + R_META] = (pinned[id] ? F_PINNED : 0) | (owner[id] << OWNER_SHIFT) | (layer << LAYER_SHIFT);
    }
    this.size = new Int32Array(G);
    this.capacity = Int32Array.from(capacity);
    this.layers = layers;
    const lists = this.kind === LAYER_LRU ? G * layers : this.kind === LRU ? G : 0;
    this.heads = new Int32Array(lists).fill(-1);
    this.tails = new Int32Array(lists).fill(-1);
    this.universe = N;
    this.hStart = new Int32Array(G);
    this.hRoom = new Int32Array(G);
    this.hSize = new Int32Array(G);
    let room = 0;
    if (this.kind === BELADY) {
      if (!uses) throw new Error('Belady needs next uses');
      for (let g = 0; g < G; g++) {
        this.hStart[g] = room;
        // Live entries ≤ cached ids ≤ capacity; the rest holds stale ones until compaction.
        this.hRoom[g] = 4 * this.capacity[g] + 64;
        room += this.hRoom[g];
      }
    }
    this.hKey = new Float64Array(room);
    this.hId = new Int32Array(room);
    this.keptIn = new Int32Array(this.kind === BELADY ? N : 0).fill(-1);
  }

  private listOf(r: number): number {
    const meta = this.rec[r + R_META];
    const g = (meta >>> OWNER_SHIFT) & OWNER_MASK;
    return this.kind === LAYER_LRU ? g * this.layers + (meta >>> LAYER_SHIFT) : g;
  }

  private unlink(r: number, list: number): void {
    const rec = this.rec;
    const p = rec[r + R_PREV];
    const n = rec[r + R_NEXT];
    if (p >= 0) rec[(p << 2) + R_NEXT] = n;
    else this.heads[list] = n;
    if (n >= 0) rec[(n << 2) + R_PREV] = p;
    else this.tails[list] = p;
  }

  private pushFront(id: number, r: number, list: number): void {
    const rec = this.rec;
    const h = this.heads[list];
    rec[r + R_PREV] = -1;
    rec[r + R_NEXT] = h;
    if (h >= 0) rec[(h << 2) + R_PREV] = id;
    else this.tails[list] = id;
    this.heads[list] = id;
  }

  /** The id, already cached, is used in `step`: it becomes locked. */
  touch(id: number, step: number): void {
    // Belady: its bit is at this step's position, below every waiting one.
    if (this.kind === BELADY) return;
    const r = id << 2;
    this.rec[r + R_STAMP] = step;
    const list = this.listOf(r);
    if (this.heads[list] !== id) {
      this.unlink(r, list);
      this.pushFront(id, r, list);
    }
  }

  /**
   * Cache the id (size < capacity) in `step`. A demand miss is locked by the
   * step. Belady: a prefetch (`nextUse` ≥ 0) waits for its next use at once.
   */
  insert(id: number, step: number, nextUse: number): void {
    const rec = this.rec;
    const r = id << 2;
    const meta = rec[r + R_META] | F_CACHED;
    rec[r + R_META] = meta;
    const g = (meta >>> OWNER_SHIFT) & OWNER_MASK;
    this.size[g]++;
    if (this.kind === BELADY) {
      if (nextUse >= 0) {
        rec[r + R_STAMP] = nextUse;
        this.push(g, nextUse * this.universe + id, id);
      } else rec[r + R_STAMP] = -1;
      return;
    }
    rec[r + R_STAMP] = step;
    this.pushFront(id, r, this.listOf(r));
  }

  /** Evict the id (also forgets that it was prefetched). */
  remove(id: number): void {
    const rec = this.rec;
    const r = id << 2;
    const meta = rec[r + R_META];
    rec[r + R_META] = meta & ~(F_CACHED | F_PREFETCHED);
    const g = (meta >>> OWNER_SHIFT) & OWNER_MASK;
    this.size[g]--;
    // Belady: its heap entry goes stale (no longer cached).
    if (this.kind !== BELADY) this.unlink(r, this.listOf(r));
  }

  /**
   * Which id GPU g evicts while running `step` of `layer`, or -1 when every
   * entry is locked by the step or the choice would fall on `avoidLayer`.
   */
  victim(g: number, step: number, layer: number, avoidLayer: number): number {
    const rec = this.rec;
    let v: number;
    if (this.kind === LRU) {
      v = this.tails[g];
      // Entries used this step sit at the head, so a locked tail means all are locked.
      if (v < 0 || rec[(v << 2) + R_STAMP] === step) return -1;
    } else if (this.kind === LAYER_LRU) {
      const L = this.layers;
      const row = g * L;
      for (let d = 0; d < L; d++) {
        let l = layer - d;
        if (l < 0) l += L;
        if (l === avoidLayer) return -1;
        const t = this.tails[row + l];
        // Locked entries (this step's) are at the head of the current layer's list.
        if (t >= 0 && rec[(t << 2) + R_STAMP] !== step) return t;
      }
      return -1;
    } else {
      const N = this.universe;
      const h0 = this.hStart[g];
      // Keys of this step (in use, locked) or earlier (stale) are below this.
      const waiting = (step + 1) * N;
      for (;;) {
        if (this.hSize[g] === 0) return -1;
        const key = this.hKey[h0];
        if (key < waiting) return -1;
        v = this.hId[h0];
        const r = v << 2;
        if ((rec[r + R_META] & F_CACHED) !== 0 && rec[r + R_STAMP] === (key - v) / N) break;
        this.pop(g);
      }
    }
    if (avoidLayer >= 0 && rec[(v << 2) + R_META] >>> LAYER_SHIFT === avoidLayer) return -1;
    return v;
  }

  /**
   * Belady, after the step whose accesses are a0..a1: each id used in it
   * now next-uses at step next[i]; a cached (not pinned) id waits for it in
   * the heap.
   */
  settleStep(ids: Int32Array, next: Int32Array, a0: number, a1: number): void {
    const rec = this.rec;
    const N = this.universe;
    for (let i = a0; i < a1; i++) {
      const id = ids[i];
      const nextUse = next[i];
      const r = id << 2;
      rec[r + R_NEXT_USE] = nextUse;
      const meta = rec[r + R_META];
      if ((meta & (F_CACHED | F_PINNED)) !== F_CACHED) continue;
      rec[r + R_STAMP] = nextUse;
      this.push((meta >>> OWNER_SHIFT) & OWNER_MASK, nextUse * N + id, id);
    }
  }

  private push(g: number, key: number, id: number): void {
    if (this.hSize[g] === this.hRoom[g]) this.compact(g);
    const hKey = this.hKey;
    const hId = this.hId;
    const h0 = this.hStart[g];
    let i = this.hSize[g]++;
    while (i > 0) {
      const parent = (i - 1) >> 2;
      const pk = hKey[h0 + parent];
      if (pk >= key) break;
      hKey[h0 + i] = pk;
      hId[h0 + i] = hId[h0 + parent];
      i = parent;
    }
    hKey[h0 + i] = key;
    hId[h0 + i] = id;
  }

  /** Drops the top entry of GPU g's heap. */
  private pop(g: number): void {
    const n = --this.hSize[g];
    const h0 = this.hStart[g];
    if (n > 0) this.siftDown(h0, n, 0, this.hKey[h0 + n], this.hId[h0 + n]);
  }

  /** Places (key, id) at slot i of the heap at h0 with n entries, moving down. */
  private siftDown(h0: number, n: number, i: number, key: number, id: number): void {
    const hKey = this.hKey;
    const hId = this.hId;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      const last = first + 4 < n ? first + 4 : n;
      let c = first;
      let ck = hKey[h0 + first];
      for (let j = first + 1; j < last; j++) {
        const k = hKey[h0 + j];
        if (k > ck) {
          c = j;
          ck = k;
        }
      }
      if (ck <= key) break;
      hKey[h0 + i] = ck;
      hId[h0 + i] = hId[h0 + c];
      i = c;
    }
    hKey[h0 + i] = key;
    hId[h0 + i] = id;
  }

  /** Drops stale and repeated entries of GPU g's heap, then rebuilds it. */
  private compact(g: number): void {
    const hKey = this.hKey;
    const hId = this.hId;
    const rec = this.rec;
    const N = this.universe;
    const h0 = this.hStart[g];
    const epoch = ++this.compactions;
    // Keys of this step or earlier are locked or stale: their ids push anew when
    // this step settles, so they go without a look at the id.
    const waiting = (this.now + 1) * N;
    let n = 0;
    for (let i = 0; i < this.hSize[g]; i++) {
      const key = hKey[h0 + i];
      if (key < waiting) continue;
      const id = hId[h0 + i];
      const r = id << 2;
      if ((rec[r + R_META] & F_CACHED) === 0 || rec[r + R_STAMP] !== (key - id) / N || this.keptIn[id] === epoch) continue;
      this.keptIn[id] = epoch;
      hKey[h0 + n] = key;
      hId[h0 + n] = id;
      n++;
    }
    this.hSize[g] = n;
    for (let i = (n - 2) >> 2; i >= 0; i--) this.siftDown(h0, n, i, hKey[h0 + i], hId[h0 + i]);
  }
}
