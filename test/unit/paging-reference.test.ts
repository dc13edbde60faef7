// The optimised replay (records, linked lists, lazy heaps, chunks) against a
// straightforward one written from the model in docs/paging.md: plain
// arrays, linear scans, Belady's next use found by looking ahead. Every
// counter and every time must be identical, for every policy, with and
// without prefetch, pinned experts, several GPUs and batches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildSteps } from '../../server/src/cost/paging/steps';
import { replay } from '../../server/src/cost/paging/replay';
import type { PagingHardware, PagingPolicy, ReplayConfig } from '../../server/src/cost/paging/types';

interface Access {
  id: number;
  count: number;
}

interface Entry {
  id: number;
  /** Order of the last touch or insert (LRU). */
  tick: number;
  /** Step of the last touch or insert (a lock while it is this step). */
  step: number;
}

/** Steps straight from the sequence: distinct ids in order of first appearance, with token counts. */
function stepsOf(seq: { tokens: number; layers: number; k: number; ids: Int32Array }, experts: number, batch: number): Access[][] {
  const out: Access[][] = [];
  for (let t0 = 0; t0 < seq.tokens; t0 += batch) {
    for (let l = 0; l < seq.layers; l++) {
      const step: Access[] = [];
      for (let t = t0; t < Math.min(seq.tokens, t0 + batch); t++) {
        for (let j = 0; j < seq.k; j++) {
          const id = l * experts + seq.ids[(t * seq.layers + l) * seq.k + j];
          const a = step.find((x) => x.id === id);
          if (a) a.count++;
          else step.push({ id, count: 1 });
        }
      }
      out.push(step);
    }
  }
  return out;
}

function referenceReplay(steps: Access[][], L: number, E: number, cfg: ReplayConfig) {
  const N = L * E;
  const G = cfg.capacity.length;
  const owner = cfg.owner ?? new Int32Array(N);
  const pinned = cfg.pinned ?? new Uint8Array(N);
  const hw = cfg.hardware;
  const x = hw.pcieLatencyS + hw.bytesPerExpert / hw.pcieBytesPerS;
  // Roofline; the same float operations as the replay, so times compare exactly.
  const memS = hw.bytesPerExpert / hw.hbmBytesPerS;
  const flopS = hw.flopsPerTokenPerExpert / hw.flops;
  const cost = (n: number) => Math.max(memS, n * flopS);
  const room = cfg.capacity.map((c, g) => c - Array.from(pinned).filter((p, id) => p && owner[id] === g).length);
  const cache: Entry[][] = Array.from({ length: G }, () => []);
  const prefetched = new Set<number>();
  const readyAt = new Map<number, number>();
  const layerOf = (id: number) => Math.floor(id / E);
  /** Belady's key: the first step ≥ s that uses the id. */
  const nextUseFrom = (id: number, s: number) => {
    for (let t = s; t < steps.length; t++) if (steps[t].some((a) => a.id === id)) return t;
    return Infinity;
  };
  const victim = (g: number, s: number, layer: number, avoid: number): number => {
    const entries = cache[g];
    let v: Entry | undefined;
    if (cfg.policy === 'lru') {
      v = entries.reduce<Entry | undefined>((m, e) => (!m || e.tick < m.tick ? e : m), undefined);
      if (!v || v.step === s) return -1;
    } else if (cfg.policy === 'layer-lru') {
      for (let d = 0; d < L; d++) {
        const l2 = (layer - d + L) % L;
        if (l2 === avoid) return -1;
        const oldest = entries.filter((e) => layerOf(e.id) === l2).reduce<Entry | undefined>((m, e) => (!m || e.tick < m.tick ? e : m), undefined);
        if (oldest && oldest.step !== s) return oldest.id;
      }
      return -1;
    } else {
      let best = -Infinity;
      for (const e of entries) {
        const k = nextUseFrom(e.id, s);
        if (!v || k > best || (k === best && e.id > v.id)) {
          v = e;
          best = k;
        }
      }
      if (!v || best <= s) return -1;
    }
    if (avoid >= 0 && layerOf(v.id) === avoid) return -1;
    return v.id;
  };
  const find = (id: number) => cache[owner[id]].find((e) => e.id === id);
  const remove = (id: number) => {
    cache[owner[id]] = cache[owner[id]].filter((e) => e.id !== id);
    prefetched.delete(id);
  };

  // Prefetch candidates: owned, not pinned, used in at least the share of the layer's steps; most used first.
  const usage = new Map<number, number>();
  for (const st of steps) for (const a of st) usage.set(a.id, (usage.get(a.id) ?? 0) + 1);
  const minUses = (cfg.prefetchMinShare ?? 0.5) * (steps.length / L);
  const accesses = steps.reduce((n, st) => n + st.length, 0);
  const limit = cfg.prefetchLimit ?? Math.max(1, Math.ceil(accesses / Math.max(1, steps.length) / G));

  const out = {
    hits: new Float64Array(L),
    misses: new Float64Array(L),
    bytes: new Float64Array(L),
    prefetches: new Float64Array(L),
    prefetchHits: new Float64Array(L),
    timeS: new Float64Array(L),
    residentTimeS: new Float64Array(L),
    bypasses: 0,
  };
  const linkFree = new Array<number>(G).fill(0);
  let clock = 0;
  let tick = 0;
  steps.forEach((step, s) => {
    const l = s % L;
    const T0 = clock;
    const finish = new Array<number>(G).fill(T0);
    const busy = new Array<number>(G).fill(0);
    const late: Access[] = [];
    const missing: Access[] = [];
    for (const a of step) {
      const g = owner[a.id];
      busy[g] += cost(a.count);
      if (pinned[a.id]) finish[g] += cost(a.count);
      else {
        const e = find(a.id);
        if (!e) {
          missing.push(a);
          continue;
        }
        e.tick = ++tick;
        e.step = s;
        if (readyAt.get(a.id)! <= T0) finish[g] += cost(a.count);
        else late.push(a);
        if (prefetched.delete(a.id)) out.prefetchHits[l]++;
      }
    }
    late.sort((a, b) => readyAt.get(a.id)! - readyAt.get(b.id)!);
    for (const a of late) {
      const g = owner[a.id];
      finish[g] = Math.max(finish[g], readyAt.get(a.id)!) + cost(a.count);
    }
    for (const a of missing) {
      const g = owner[a.id];
      let keep = room[g] > 0;
      if (keep && cache[g].length >= room[g]) {
        const v = victim(g, s, l, -1);
        if (v >= 0) remove(v);
        else keep = false;
      }
      if (keep) cache[g].push({ id: a.id, tick: ++tick, step: s });
      else out.bypasses++;
      const arrive = Math.max(linkFree[g], T0) + x;
      linkFree[g] = arrive;
      readyAt.set(a.id, arrive);
      finish[g] = Math.max(finish[g], arrive) + cost(a.count);
    }
    out.hits[l] += step.length - missing.length;
    out.misses[l] += missing.length;
    out.bytes[l] += missing.length * hw.bytesPerExpert;
    const end = Math.max(T0, ...finish);
    out.timeS[l] += end - T0;
    out.residentTimeS[l] += Math.max(0, ...busy);
    clock = end;
    if (cfg.prefetch) {
      const nl = (l + 1) % L;
      for (let g = 0; g < G; g++) {
        if (room[g] === 0) continue;
        const candidates = Array.from({ length: E }, (_, e) => nl * E + e)
          .filter((id) => owner[id] === g && !pinned[id] && (usage.get(id) ?? 0) >= minUses)
          .sort((a, b) => (usage.get(b) ?? 0) - (usage.get(a) ?? 0) || a - b);
        let at = Math.max(linkFree[g], T0);
        let budget = limit;
        for (const id of candidates) {
          if (budget <= 0 || at >= end) break;
          if (find(id)) continue;
          if (cache[g].length >= room[g]) {
            const v = victim(g, s, l, nl);
            if (v < 0) break;
            remove(v);
          }
          cache[g].push({ id, tick: ++tick, step: s });
          at += x;
          readyAt.set(id, at);
          prefetched.add(id);
          out.prefetches[nl]++;
          out.bytes[nl] += hw.bytesPerExpert;
          budget--;
        }
        linkFree[g] = at;
      }
    }
  });
  return out;
}

const caseArb = fc.record({
  layers: fc.integer({ min: 1, max: 4 }),
  experts: fc.integer({ min: 2, max: 7 }),
  tokens: fc.integer({ min: 1, max: 30 }),
  batch: fc.integer({ min: 1, max: 3 }),
  kFrac: fc.double({ min: 0, max: 1, noNaN: true }),
  gpus: fc.integer({ min: 1, max: 3 }),
  capFrac: fc.double({ min: 0, max: 1, noNaN: true }),
  seed: fc.integer(),
  pinEvery: fc.integer({ min: 0, max: 5 }),
  prefetch: fc.boolean(),
  share: fc.constantFrom(0, 0.3, 0.5),
  limit: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
  policy: fc.constantFrom<PagingPolicy>('lru', 'layer-lru', 'belady'),
  latencyS: fc.constantFrom(0, 2e-6, 3e-5),
  flops: fc.constantFrom(1e12, 1e14),
});

test('the optimised replay equals a straightforward replay of the same model (every counter and time)', () => {
  fc.assert(
    fc.property(caseArb, (o) => {
      const k = 1 + Math.floor(o.kFrac * Math.min(3, o.experts - 1));
      let x = o.seed >>> 0 || 1;
      const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8) / (1 << 24);
      const ids: number[] = [];
      for (let t = 0; t < o.tokens * o.layers; t++) {
        const pool = Array.from({ length: o.experts }, (_, e) => e);
        // Skewed choice so caches see reuse.
        for (let j = 0; j < k; j++) ids.push(pool.splice(Math.floor(rnd() * rnd() * pool.length), 1)[0]);
      }
      const N = o.layers * o.experts;
      const owner = Int32Array.from({ length: N }, () => Math.floor(rnd() * o.gpus));
      const pinned = new Uint8Array(N);
      if (o.pinEvery > 0) for (let id = 0; id < N; id += o.pinEvery + 1) pinned[id] = 1;
      const capacity = Array.from({ length: o.gpus }, (_, g) => {
        let p = 0;
        for (let id = 0; id < N; id++) if (owner[id] === g && pinned[id]) p++;
        return p + Math.floor(o.capFrac * rnd() * N);
      });
      const hardware: PagingHardware = {
        bytesPerExpert: 1e6,
        flopsPerTokenPerExpert: 1e9,
        hbmBytesPerS: 1e12,
        flops: o.flops,
        pcieBytesPerS: 1e10,
        pcieLatencyS: o.latencyS,
      };
      const cfg: ReplayConfig = {
        policy: o.policy,
        capacity,
        owner,
        pinned,
        prefetch: o.prefetch,
        prefetchMinShare: o.share,
        prefetchLimit: o.limit,
        hardware,
      };
      const seq = { tokens: o.tokens, layers: o.layers, k, ids: Int32Array.from(ids) };
      const got = replay(buildSteps(seq, o.experts, o.batch), cfg);
      const want = referenceReplay(stepsOf(seq, o.experts, o.batch), o.layers, o.experts, cfg);
      for (const key of ['hits', 'misses', 'bytes', 'prefetches', 'prefetchHits', 'timeS', 'residentTimeS'] as const) {
        assert.deepEqual(Array.from(got[key]), Array.from(want[key]), `${key} (${o.policy})`);
      }
      assert.equal(got.bypasses, want.bypasses, `bypasses (${o.policy})`);
    }),
    { numRuns: 400 },
  );
});
