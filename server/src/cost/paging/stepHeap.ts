// Belady's priority queue: expert-layer ids keyed by the step of their next
// use, largest first. Keys are whole steps, so key · universe + id is an
// exact double that orders by key and then id; the heap stores these
// composites in heap order, so sifting compares plain numbers. Four children
// per node: half the depth of a binary heap, and most changes are key
// increases (sift up), which cost one comparison per level.

export class StepHeap {
  private readonly val: Float64Array;
  private readonly ids: Int32Array;
  private readonly pos: Int32Array;
  private readonly keyOf: Float64Array;
  size = 0;

  constructor(private readonly universe: number) {
    this.val = new Float64Array(universe);
    this.ids = new Int32Array(universe);
    this.pos = new Int32Array(universe).fill(-1);
    this.keyOf = new Float64Array(universe);
  }

  key(id: number): number {
    return this.keyOf[id];
  }

  /** Id with the largest key (ties: larger id), or -1. */
  top(): number {
    return this.size > 0 ? this.ids[0] : -1;
  }

  push(id: number, key: number): void {
    this.keyOf[id] = key;
    const i = this.size++;
    this.place(i, key * this.universe + id, id);
    this.up(i);
  }

  set(id: number, key: number): void {
    const old = this.keyOf[id];
    if (old === key) return;
    this.keyOf[id] = key;
    const i = this.pos[id];
    this.val[i] = key * this.universe + id;
    if (key > old) this.up(i);
    else this.down(i);
  }

  remove(id: number): void {
    const i = this.pos[id];
    if (i < 0) return;
    this.pos[id] = -1;
    const last = --this.size;
    if (i === last) return;
    const lv = this.val[last];
    const lid = this.ids[last];
    this.place(i, lv, lid);
    if (i > 0 && this.val[(i - 1) >> 2] < lv) this.up(i);
    else this.down(i);
  }

  private place(i: number, v: number, id: number): void {
    this.val[i] = v;
    this.ids[i] = id;
    this.pos[id] = i;
  }

  private up(i: number): void {
    const val = this.val;
    const ids = this.ids;
    const pos = this.pos;
    const v = val[i];
    const id = ids[i];
    while (i > 0) {
      const p = (i - 1) >> 2;
      const pv = val[p];
      if (pv >= v) break;
      val[i] = pv;
      const pid = ids[p];
      ids[i] = pid;
      pos[pid] = i;
      i = p;
    }
    val[i] = v;
    ids[i] = id;
    pos[id] = i;
  }

  private down(i: number): void {
    const val = this.val;
    const ids = this.ids;
    const pos = this.pos;
    const n = this.size;
    const v = val[i];
    const id = ids[i];
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      const last = first + 4 < n ? first + 4 : n;
      let c = first;
      let cv = val[first];
      for (let j = first + 1; j < last; j++) {
        if (val[j] > cv) {
          c = j;
          cv = val[j];
        }
      }
      if (cv <= v) break;
      val[i] = cv;
      const cid = ids[c];
      ids[i] = cid;
      pos[cid] = i;
      i = c;
    }
    val[i] = v;
    ids[i] = id;
    pos[id] = i;
  }
}
