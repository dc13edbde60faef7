// A max-heap of small integer ids keyed by integers, with the position of each
// id kept so keys can change in O(log n). Typed arrays only: the paging
// replay and the pinned-expert choice call it millions of times.

export class IndexedMaxHeap {
  /** Heap order: heap[0] has the largest key. */
  private readonly heap: Int32Array;
  /** Position of each id in `heap`, or -1 when absent. */
  private readonly pos: Int32Array;
  readonly key: Float64Array;
  size = 0;

  constructor(universe: number) {
    this.heap = new Int32Array(universe);
    this.pos = new Int32Array(universe).fill(-1);
    this.key = new Float64Array(universe);
  }

  has(id: number): boolean {
    return this.pos[id] >= 0;
  }

  /** The id with the largest key (ties: the larger id), or -1 when empty. */
  top(): number {
    return this.size > 0 ? this.heap[0] : -1;
  }

  push(id: number, key: number): void {
    this.key[id] = key;
    const i = this.size++;
    this.heap[i] = id;
    this.pos[id] = i;
    this.up(i);
  }

  /** Change the key of an id already in the heap. */
  set(id: number, key: number): void {
    const old = this.key[id];
    this.key[id] = key;
    const i = this.pos[id];
    if (key > old) this.up(i);
    else if (key < old) this.down(i);
  }

  remove(id: number): void {
    const i = this.pos[id];
    if (i < 0) return;
    const last = this.heap[--this.size];
    this.pos[id] = -1;
    if (i === this.size) return;
    this.heap[i] = last;
    this.pos[last] = i;
    this.up(i);
    this.down(this.pos[last]);
  }

  pop(): number {
    const id = this.top();
    if (id >= 0) this.remove(id);
    return id;
  }

  private above(a: number, b: number): boolean {
    const ka = this.key[a];
    const kb = this.key[b];
    return ka > kb || (ka === kb && a > b);
  }

  private up(i: number): void {
    const heap = this.heap;
    const id = heap[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pid = heap[p];
      if (!this.above(id, pid)) break;
      heap[i] = pid;
      this.pos[pid] = i;
      i = p;
    }
    heap[i] = id;
    this.pos[id] = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = this.size;
    const id = heap[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.above(heap[r], heap[l]) ? r : l;
      const cid = heap[c];
      if (!this.above(cid, id)) break;
      heap[i] = cid;
      this.pos[cid] = i;
      i = c;
    }
    heap[i] = id;
    this.pos[id] = i;
  }
}
