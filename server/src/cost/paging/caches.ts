// Expert caches of one GPU, one class per eviction policy. The cache holds the
// non-pinned expert-layers; `capacity` slots. An entry used in the current
// step is locked (the step is computing with it) and is never the victim.
// Every method is O(1) or O(log n) except layer-aware LRU's victim search,
// which walks layers in eviction order and usually stops at the first.
import { StepHeap } from './stepHeap';
import type { PagingPolicy } from './types';

export interface ExpertCache {
  readonly capacity: number;
  size: number;
  /** 1 when the id is cached. */
  readonly resident: Uint8Array;
  /** The id, already cached, is used in `step`. */
  touch(id: number, step: number): void;
  /** Cache the id (size < capacity). `nextStep` is its next use (Belady only). */
  insert(id: number, step: number, nextStep: number): void;
  remove(id: number): void;
  /**
   * Which id to evict while running `step` of `layer`, or -1 when every entry
   * is locked by the step or the choice would fall on `avoidLayer`.
   */
  victim(step: number, layer: number, avoidLayer: number): number;
  /** After a step: the id's next use is `nextStep` (Belady only). */
  settle(id: number, nextStep: number): void;
}

/** Least recently used over all layers: one list, most recent at the head. */
export class LruCache implements ExpertCache {
  size = 0;
  readonly resident: Uint8Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly lastStep: Int32Array;
  private head = -1;
  private tail = -1;

  constructor(
    readonly capacity: number,
    universe: number,
    private readonly experts: number,
  ) {
    this.resident = new Uint8Array(universe);
    this.prev = new Int32Array(universe).fill(-1);
    this.next = new Int32Array(universe).fill(-1);
    this.lastStep = new Int32Array(universe).fill(-1);
  }

  private unlink(id: number): void {
    const p = this.prev[id];
    const n = this.next[id];
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
  }

  private pushFront(id: number): void {
    this.prev[id] = -1;
    this.next[id] = this.head;
    if (this.head >= 0) this.prev[this.head] = id;
    else this.tail = id;
    this.head = id;
  }

  touch(id: number, step: number): void {
    this.lastStep[id] = step;
    if (this.head !== id) {
      this.unlink(id);
      this.pushFront(id);
    }
  }

  insert(id: number, step: number): void {
    this.lastStep[id] = step;
    this.resident[id] = 1;
    this.size++;
    this.pushFront(id);
  }

  remove(id: number): void {
    this.unlink(id);
    this.resident[id] = 0;
    this.size--;
  }

  victim(step: number, _layer: number, avoidLayer: number): number {
    const t = this.tail;
    // Entries used this step sit at the head, so a locked tail means all are locked.
    if (t < 0 || this.lastStep[t] === step) return -1;
    if (avoidLayer >= 0 && ((t / this.experts) | 0) === avoidLayer) return -1;
    return t;
  }

  settle(): void {}
}

/**
 * Layer-aware LRU. Layers run in a cycle 0..L-1, 0..L-1, … so while layer c
 * runs, layer c+1 is needed next and layer c itself last. The victim is the
 * least recently used entry of the layer whose next turn is furthest away:
 * scan c, c-1, c-2, … (cyclically) and take the LRU tail of the first layer
 * with an unlocked entry. Ties within a layer go by recency.
 */
export class LayerLruCache implements ExpertCache {
  size = 0;
  readonly resident: Uint8Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly lastStep: Int32Array;
  private readonly heads: Int32Array;
  private readonly tails: Int32Array;

  constructor(
    readonly capacity: number,
    universe: number,
    private readonly experts: number,
    private readonly layers: number,
  ) {
    this.resident = new Uint8Array(universe);
    this.prev = new Int32Array(universe).fill(-1);
    this.next = new Int32Array(universe).fill(-1);
    this.lastStep = new Int32Array(universe).fill(-1);
    this.heads = new Int32Array(layers).fill(-1);
    this.tails = new Int32Array(layers).fill(-1);
  }

  private unlink(id: number, l: number): void {
    const p = this.prev[id];
    const n = this.next[id];
    if (p >= 0) this.next[p] = n;
    else this.heads[l] = n;
    if (n >= 0) this.prev[n] = p;
    else this.tails[l] = p;
  }

  private pushFront(id: number, l: number): void {
    const h = this.heads[l];
    this.prev[id] = -1;
    this.next[id] = h;
    if (h >= 0) this.prev[h] = id;
    else this.tails[l] = id;
    this.heads[l] = id;
  }

  touch(id: number, step: number): void {
    this.lastStep[id] = step;
    const l = (id / this.experts) | 0;
    if (this.heads[l] !== id) {
      this.unlink(id, l);
      this.pushFront(id, l);
    }
  }

  insert(id: number, step: number): void {
    this.lastStep[id] = step;
    this.resident[id] = 1;
    this.size++;
    this.pushFront(id, (id / this.experts) | 0);
  }

  remove(id: number): void {
    this.unlink(id, (id / this.experts) | 0);
    this.resident[id] = 0;
    this.size--;
  }

  victim(step: number, layer: number, avoidLayer: number): number {
    const L = this.layers;
    for (let d = 0; d < L; d++) {
      let l = layer - d;
      if (l < 0) l += L;
      if (l === avoidLayer) return -1;
      const t = this.tails[l];
      // Locked entries (this step's) are at the head of the current layer's list.
      if (t >= 0 && this.lastStep[t] !== step) return t;
    }
    return -1;
  }

  settle(): void {}
}

/**
 * Belady's offline optimum: evict the entry whose next use is furthest in the
 * future. Needs the next-use step of each id (from the whole sequence), so it
 * is a bound, not something a server can run.
 */
export class BeladyCache implements ExpertCache {
  size = 0;
  readonly resident: Uint8Array;
  private readonly heap: StepHeap;

  constructor(
    readonly capacity: number,
    universe: number,
    private readonly experts: number,
  ) {
    this.resident = new Uint8Array(universe);
    this.heap = new StepHeap(universe);
  }

  touch(id: number, step: number): void {
    // The key of an id used in this step is this step (its next use was now),
    // the smallest key in the cache, so it cannot be the victim.
    this.heap.set(id, step);
  }

  insert(id: number, _step: number, nextStep: number): void {
    this.resident[id] = 1;
    this.size++;
    this.heap.push(id, nextStep);
  }

  remove(id: number): void {
    this.heap.remove(id);
    this.resident[id] = 0;
    this.size--;
  }

  victim(step: number, _layer: number, avoidLayer: number): number {
    const t = this.heap.top();
    if (t < 0 || this.heap.key(t) <= step) return -1;
    if (avoidLayer >= 0 && ((t / this.experts) | 0) === avoidLayer) return -1;
    return t;
  }

  settle(id: number, nextStep: number): void {
    this.heap.set(id, nextStep);
  }
}

export function makeCache(
  policy: PagingPolicy,
  capacity: number,
  layers: number,
  experts: number,
): ExpertCache {
  const universe = layers * experts;
  switch (policy) {
    case 'lru':
      return new LruCache(capacity, universe, experts);
    case 'layer-lru':
      return new LayerLruCache(capacity, universe, experts, layers);
    case 'belady':
      return new BeladyCache(capacity, universe, experts);
  }
}
