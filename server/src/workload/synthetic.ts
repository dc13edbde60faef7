// Seeded synthetic routing: expert popularity skew, co-activation through
// latent topics, and DeepSeek-style group-limited routing. The generative
// model is documented in docs/cost-model.md ("Synthetic workloads").
//
// Per MoE layer l (own sub-stream of the seed):
//   popularity  w_e = exp(skew · z_e), z_e ~ N(0,1)           (lognormal)
//   topic t     a member set M_t of m = max(2k, ⌈n/topics⌉) experts drawn
//               without replacement with probability ∝ w_e; q_t(e) ∝ w_e on M_t
//   routing     p_t = (1 − c) · w/Σw + c · q_t                 (c = concentration)
// Tokens come in requests (mean length 256, geometric); a request has a topic;
// each token keeps it with probability 0.9, else picks a uniform topic. A
// token's topic index is shared by all layers (each layer has its own M_t),
// which correlates routing across layers and over time, as real traffic does.
// A token's k experts are drawn from p_t without replacement; with routing
// groups (n experts in G equal groups, at most `topGroups` used per token),
// once `topGroups` distinct groups hold a drawn expert, further draws outside
// them are rejected, so every token stays within its top groups.
import type { SyntheticSpec } from '../plan/types';
import type { LayerDistribution, TokenSequence, Workload } from './types';
import { distributionFromSortedTokens } from './distribution';
import { AliasWork, Rng, buildAliasInto, deriveSeed } from './random';
import { DEFAULT_MAX_SEQUENCE_IDS } from './readers/common';

interface SyntheticModel {
  layers: number;
  experts: number;
  topK: number;
  groups?: { count: number; topGroups: number };
}

interface SyntheticOptions {
  /** Keep the token order only up to this many ids (tokens × layers × k); default 1<<24. 0 = none. */
  maxSequenceIds?: number;
  signal?: AbortSignal;
}

/** Mean request length in tokens (geometric). */
const MEAN_REQUEST_TOKENS = 256;
/** Tokens of the throw-away warm-up layer (see generateSynthetic). */
const WARM_UP_TOKENS = 256;
/** Probability a token keeps its request's topic. */
const TOPIC_STICKINESS = 0.9;

/** Why a spec cannot be generated for this model, or undefined. */
function syntheticProblem(spec: Pick<SyntheticSpec, 'tokens' | 'skew' | 'concentration' | 'topics'>, model: SyntheticModel): string | undefined {
  if (!Number.isInteger(spec.tokens) || spec.tokens < 1) return `tokens must be a positive integer (got ${spec.tokens})`;
  if (!(spec.skew >= 0) || !Number.isFinite(spec.skew)) return `skew must be ≥ 0 (got ${spec.skew})`;
  if (!(spec.concentration >= 0 && spec.concentration <= 1)) return `concentration must be within 0–1 (got ${spec.concentration})`;
  if (!Number.isInteger(spec.topics) || spec.topics < 0) return `topics must be a non-negative integer (got ${spec.topics})`;
  if (!(model.topK >= 1 && model.topK <= model.experts)) return `top-k ${model.topK} must be within 1–${model.experts}`;
  const g = model.groups;
  if (g) {
    if (g.count < 1 || model.experts % g.count !== 0) return `${model.experts} experts do not split into ${g.count} equal routing groups`;
    if (g.topGroups < 1 || g.topGroups > g.count) return `top groups ${g.topGroups} must be within 1–${g.count}`;
    if ((g.topGroups * model.experts) / g.count < model.topK)
      return `top-${model.topK} cannot fit in ${g.topGroups} groups of ${model.experts / g.count} experts`;
  }
  return undefined;
}

export function generateSynthetic(spec: SyntheticSpec, model: SyntheticModel, opts: SyntheticOptions = {}): Workload {
  return assembleSynthetic(spec, model, [syntheticLayers(spec, model, 0, model.layers, opts)]);
}

/**
 * Layers `from`..`to` of a synthetic workload with their token order: a part
 * of generateSynthetic's work that another thread may do at the same time
 * (layers are independent given the token topics). `shared` puts the arrays
 * in shared memory, so the parts pass between threads without a copy.
 */
export interface SyntheticLayers {
  from: number;
  layers: LayerDistribution[];
  /** Per layer, the first `orderTokens` tokens' ids in draw order (token-major, k each). */
  orders: Int32Array[];
  orderTokens: number;
}

export function syntheticLayers(
  spec: SyntheticSpec,
  model: SyntheticModel,
  from: number,
  to: number,
  opts: SyntheticOptions & { shared?: boolean } = {},
): SyntheticLayers {
  const problem = syntheticProblem(spec, model);
  if (problem) throw new RangeError(`synthetic workload: ${problem}`);
  const { layers: L, experts: n, topK: k } = model;
  const T = spec.tokens;
  const topicOf = syntheticTopics(spec);
  const orderTokens = syntheticOrderTokens(spec, model, opts.maxSequenceIds);
  const scratch = new LayerScratch(T, n, k);
  // A short run first lets V8 see every path of the hot loops before it
  // optimises them mid-loop, so the optimised code does not bail out at the
  // first layer's end (measured: a fresh worker generates Mixtral ~2× faster).
  if (T > 4 * WARM_UP_TOKENS) syntheticLayer({ ...spec, tokens: WARM_UP_TOKENS }, model, 0, topicOf.subarray(0, WARM_UP_TOKENS));
  const layers: LayerDistribution[] = [];
  const orders: Int32Array[] = [];
  for (let l = from; l < Math.min(to, L); l++) {
    if (opts.signal?.aborted) throw new Error('synthetic generation cancelled');
    const size = orderTokens * k;
    const ids = opts.shared ? new Int32Array(new SharedArrayBuffer(size * 4)) : new Int32Array(size);
    layers.push(syntheticLayer(spec, model, l, topicOf, orderTokens > 0 ? { ids, tokens: orderTokens, stride: 1, offset: 0 } : undefined, scratch));
    orders.push(ids);
  }
  return { from, layers, orders, orderTokens };
}

/** Tokens whose order is kept: all, unless tokens × layers × k ids pass the memory cap. */
function syntheticOrderTokens(spec: SyntheticSpec, model: SyntheticModel, maxSequenceIds: number | undefined): number {
  const maxIds = maxSequenceIds ?? DEFAULT_MAX_SEQUENCE_IDS;
  return Math.min(spec.tokens, Math.floor(maxIds / (model.layers * model.topK)));
}

/** The workload from parts covering every layer once (any order): the same as generating it in one go. */
export function assembleSynthetic(spec: SyntheticSpec, model: SyntheticModel, parts: readonly SyntheticLayers[]): Workload {
  const { layers: L, topK: k } = model;
  const T = spec.tokens;
  const byLayer: LayerDistribution[] = new Array<LayerDistribution>(L);
  const orderOf: Int32Array[] = new Array<Int32Array>(L);
  for (const part of parts)
    part.layers.forEach((d, i) => {
      byLayer[part.from + i] = d;
      orderOf[part.from + i] = part.orders[i];
    });
  for (let l = 0; l < L; l++) if (!byLayer[l]) throw new RangeError(`synthetic workload: layer ${l} was not generated`);
  const seqTokens = parts[0]?.orderTokens ?? 0;
  const notes: string[] = [];
  let sequence: TokenSequence | undefined;
  if (seqTokens > 0) {
    // Token-major across layers, as trace readers keep it: ids[(t·L + l)·k + j].
    const ids = new Int32Array(new SharedArrayBuffer(seqTokens * L * k * 4));
    // Plain loops: a subarray per token (1.2 million on DeepSeek-V3) took 0.4 s.
    for (let l = 0; l < L; l++) {
      const src = orderOf[l];
      for (let t = 0, from = 0, to = l * k; t < seqTokens; t++, to += (L - 1) * k) for (let j = 0; j < k; j++) ids[to++] = src[from++];
    }
    sequence = { tokens: seqTokens, layers: L, k, ids };
  }
  if (seqTokens < T)
    notes.push(
      seqTokens > 0
        ? `token order kept for the first ${seqTokens.toLocaleString('en-US')} of ${T.toLocaleString('en-US')} synthetic tokens (memory cap)`
        : 'token order not kept (memory cap)',
    );
  const g = model.groups && model.groups.topGroups < model.groups.count ? `, group-limited ${model.groups.topGroups} of ${model.groups.count} groups` : '';
  return {
    layers: byLayer,
    description:
      `synthetic (${T.toLocaleString('en-US')} tokens, seed ${spec.seed}, skew ${spec.skew}, ` +
      `concentration ${spec.concentration}, ${spec.topics} topics${g})`,
    notes,
    sequence,
  };
}

/**
 * m distinct indices drawn with probability ∝ w, without replacement
 * (Efraimidis–Spirakis: the m largest keys log(u)/w, ties to the lower
 * index), written to out[0..m). Keeps the m best in a small sorted buffer
 * instead of sorting all n keys.
 */
function weightedSampleWithoutReplacement(w: Float64Array, m: number, rng: Rng, out: Int32Array, outKeys: Float64Array): void {
  let size = 0;
  for (let e = 0; e < w.length; e++) {
    let u = rng.next();
    while (u <= 0) u = rng.next();
    const key = w[e] > 0 ? Math.log(u) / w[e] : -Infinity;
    // Later indices lose ties, so only a strictly larger key enters a full buffer.
    if (size === m && !(key > outKeys[m - 1])) continue;
    let i = size < m ? size++ : m - 1;
    while (i > 0 && key > outKeys[i - 1]) {
      outKeys[i] = outKeys[i - 1];
      out[i] = out[i - 1];
      i--;
    }
    outKeys[i] = key;
    out[i] = e;
  }
}

/** Topic index of every token (shared by all layers): requests with sticky topics. */
export function syntheticTopics(spec: SyntheticSpec): Int32Array {
  const T = spec.tokens;
  const topics = Math.max(1, spec.topics);
  const topicOf = new Int32Array(T);
  const rng = new Rng(deriveSeed(spec.seed, 0x7091c));
  let current = rng.int(topics);
  for (let t = 0; t < T; t++) {
    if (rng.next() < 1 / MEAN_REQUEST_TOKENS) current = rng.int(topics);
    topicOf[t] = rng.next() < TOPIC_STICKINESS ? current : rng.int(topics);
  }
  return topicOf;
}

/** Buffers one layer's generation needs; reusable across layers. */
class LayerScratch {
  readonly chosen: Int32Array;
  readonly taken: Uint8Array;
  readonly flat: Int32Array;
  constructor(tokens: number, experts: number, k: number) {
    this.chosen = new Int32Array(k);
    this.taken = new Uint8Array(experts);
    this.flat = new Int32Array(tokens * k);
  }
}

/**
 * One MoE layer of a synthetic workload. Layers are independent given the
 * token topics (`syntheticTopics`), so callers may generate them on several
 * threads; the result equals generateSynthetic's layer l. When `seq` is
 * given, the layer's ids of its first seq.tokens tokens are written into it
 * in draw order, token t's at ((t · stride + offset) · k).
 *
 * Tables live in flat typed arrays (topic-major), small enough to stay in
 * cache: per topic, p_t, each group's mass and an alias table per group; per
 * topic, an alias table over the sets of top groups when they are few.
 */
export function syntheticLayer(
  spec: SyntheticSpec,
  model: SyntheticModel,
  l: number,
  topicOf: Int32Array,
  seq?: TokenOrder,
  scratch?: LayerScratch,
): LayerDistribution {
  const { experts: n, topK: k } = model;
  const T = spec.tokens;
  const topics = Math.max(1, spec.topics);
  const c = spec.topics > 0 ? spec.concentration : 0;
  // Groups: without routing groups the whole layer is one group.
  const G = model.groups && model.groups.topGroups < model.groups.count ? model.groups.count : 1;
  const topGroups = G > 1 ? model.groups!.topGroups : 1;
  const groupSize = n / G;
  const sc = scratch ?? new LayerScratch(T, n, k);
  const { flat } = sc;
  const rng = new Rng(deriveSeed(spec.seed, 1, l));
  const pop = new Float64Array(n);
  let popSum = 0;
  for (let e = 0; e < n; e++) {
    pop[e] = Math.exp(spec.skew * rng.normal());
    popSum += pop[e];
  }
  for (let e = 0; e < n; e++) pop[e] /= popSum;

  // Per topic t (row t): p_t, its mass per group, and per group an alias
  // table over the group's experts (prob/alias at the experts' positions,
  // alias indices within the group).
  const probs = new Float64Array(topics * n);
  const groupMass = new Float64Array(topics * G);
  const aliasProb = new Float64Array(topics * n);
  const aliasIdx = new Int32Array(topics * n);
  const memberCount = Math.min(n, Math.max(2 * k, Math.ceil(n / topics)));
  const members = new Int32Array(memberCount);
  const memberKeys = new Float64Array(memberCount);
  const work = new AliasWork(Math.max(n, 1));
  for (let t = 0; t < topics; t++) {
    const row = t * n;
    for (let e = 0; e < n; e++) probs[row + e] = (1 - c) * pop[e];
    if (c > 0) {
      weightedSampleWithoutReplacement(pop, memberCount, rng, members, memberKeys);
      let s = 0;
      for (let i = 0; i < memberCount; i++) s += pop[members[i]];
      for (let i = 0; i < memberCount; i++) probs[row + members[i]] += (c * pop[members[i]]) / s;
    }
    for (let g = 0; g < G; g++) {
      const off = row + g * groupSize;
      let m = 0;
      for (let i = 0; i < groupSize; i++) m += probs[off + i];
      groupMass[t * G + g] = m;
      // A group with no mass is never drawn from; give it a valid (uniform) table anyway.
      if (!buildAliasInto(probs, off, groupSize, aliasProb, aliasIdx, work))
        for (let i = 0; i < groupSize; i++) {
          aliasProb[off + i] = 1;
          aliasIdx[off + i] = i;
        }
    }
  }

  // Sets of top groups: when few, the chance of each set (as drawn group by
  // group in proportion to mass) in one alias table per topic, so a token
  // costs one draw for its groups.
  const combos = G > 1 ? groupSets(G, topGroups) : undefined;
  const C = combos ? combos.length : 0;
  const comboGroups = new Int32Array(C * topGroups);
  for (let ci = 0; ci < C; ci++) for (let g = 0, i = 0; g < G; g++) if (combos![ci] & (1 << g)) comboGroups[ci * topGroups + i++] = g;
  const comboProb = new Float64Array(topics * C);
  const comboAlias = new Int32Array(topics * C);
  const comboReady = new Uint8Array(topics);
  if (combos)
    for (let t = 0; t < topics; t++) {
      const chance = setChances(groupMass.subarray(t * G, t * G + G), combos, topGroups);
      if (chance) comboReady[t] = buildAliasInto(chance, 0, C, comboProb.subarray(t * C), comboAlias.subarray(t * C), work) ? 1 : 0;
    }

  drawTokens(
    { n, k, G, topGroups, groupSize, C, probs, groupMass, aliasProb, aliasIdx, comboProb, comboAlias, comboGroups, comboReady },
    rng,
    topicOf,
    T,
    sc,
    seq,
  );
  return countSortedRows(l, n, k, flat, T) ?? distributionFromSortedTokens(l, n, k, flat, T, true);
}

/** Largest packed subset key (bits) merged by a direct count instead of a sort. */
const COUNT_KEY_BITS = 16;

/**
 * For small layers (k·⌈log2 n⌉ ≤ 16 bits, e.g. Mixtral or DBRX): merges the
 * sorted rows by counting packed keys in one pass. Same result as
 * distributionFromSortedTokens (subsets in lexicographic order); undefined
 * when the keys are too wide.
 */
function countSortedRows(layer: number, experts: number, k: number, flat: Int32Array, tokens: number): LayerDistribution | undefined {
  const b = experts <= 1 ? 0 : 32 - Math.clz32(experts - 1);
  if (b === 0 || b * k > COUNT_KEY_BITS || tokens < 2) return undefined;
  const counts = new Int32Array(1 << (b * k));
  for (let t = 0, o = 0; t < tokens; t++) {
    let key = 0;
    for (let j = 0; j < k; j++, o++) key = (key << b) | flat[o];
    counts[key]++;
  }
  let distinct = 0;
  for (let key = 0; key < counts.length; key++) if (counts[key] > 0) distinct++;
  const ids = new Int32Array(distinct * k);
  const weights = new Float64Array(distinct);
  const mask = (1 << b) - 1;
  for (let key = 0, i = 0; key < counts.length; key++) {
    if (counts[key] === 0) continue;
    weights[i] = counts[key];
    for (let j = k - 1, x = key; j >= 0; j--, x >>>= b) ids[i * k + j] = x & mask;
    i++;
  }
  return { layer, experts, k, ids, weights, count: distinct, total: tokens, coactivationKnown: true };
}

/** One layer's routing tables (flat, topic-major; see syntheticLayer). */
interface LayerTables {
  n: number;
  k: number;
  G: number;
  topGroups: number;
  groupSize: number;
  /** Number of sets of top groups tabulated (0: draw groups one by one). */
  C: number;
  probs: Float64Array;
  groupMass: Float64Array;
  aliasProb: Float64Array;
  aliasIdx: Int32Array;
  comboProb: Float64Array;
  comboAlias: Int32Array;
  comboGroups: Int32Array;
  comboReady: Uint8Array;
}

/** Where a layer's token order is written: token t's k ids at ((t · stride + offset) · k), for t < tokens. */
interface TokenOrder {
  ids: Int32Array;
  tokens: number;
  stride: number;
  offset: number;
}

/**
 * Draws every token's k experts into scratch.flat (each row sorted), and the
 * first seq.tokens tokens' ids in draw order into seq. A function of its
 * own so the hot loop is optimised as one unit.
 */
function drawTokens(tb: LayerTables, rng: Rng, topicOf: Int32Array, T: number, sc: LayerScratch, seq: TokenOrder | undefined): void {
  const { n, k, G, topGroups, groupSize, C, probs, groupMass, aliasProb, aliasIdx, comboProb, comboAlias, comboGroups, comboReady } = tb;
  const { chosen, taken, flat } = sc;
  const topics = groupMass.length / G;
  // Per token: the picked groups and the mass each has left as experts are chosen.
  const picked = new Int32Array(topGroups);
  const left = new Float64Array(topGroups);
  const groupLeft = new Float64Array(G);
  const fallbackOrder: (Int32Array | undefined)[] = new Array<Int32Array | undefined>(topics).fill(undefined);
  const maxAttempts = 16 * k;
  const seqIds = seq?.ids;
  const seqTokens = seq?.tokens ?? 0;
  const seqStride = seq?.stride ?? 0;
  const seqOffset = seq?.offset ?? 0;

  for (let tok = 0; tok < T; tok++) {
    const topic = topicOf[tok];
    const mrow = topic * G;
    const prow = topic * n;
    if (G === 1) {
      picked[0] = 0;
      left[0] = groupMass[mrow];
    } else if (comboReady[topic] === 1) {
      const x = rng.next() * C;
      const i = x | 0;
      const ci = x - i < comboProb[topic * C + i] ? i : comboAlias[topic * C + i];
      for (let q = 0; q < topGroups; q++) {
        const g = comboGroups[ci * topGroups + q];
        picked[q] = g;
        left[q] = groupMass[mrow + g];
      }
    } else {
      // Many sets: draw the groups one by one, without replacement, by mass.
      let all = 0;
      for (let g = 0; g < G; g++) {
        groupLeft[g] = groupMass[mrow + g];
        all += groupLeft[g];
      }
      for (let q = 0; q < topGroups; q++) {
        let u = rng.next() * all;
        let g = 0;
        for (; g < G - 1; g++) {
          if (groupLeft[g] === 0) continue;
          u -= groupLeft[g];
          if (u < 0) break;
        }
        while (groupLeft[g] === 0 && g > 0) g--; // rounding at the end of the scan
        picked[q] = g;
        left[q] = groupLeft[g];
        all -= groupLeft[g];
        groupLeft[g] = 0;
      }
    }

    // k distinct experts within the picked groups, sequentially in proportion
    // to p_t with the chosen ones' weight removed: one random number picks a
    // group by its remaining mass and, rescaled, an expert from the group's
    // alias table; an expert already chosen is redrawn within that group
    // (exactly p_e / remaining mass overall, and few redraws).
    let got = 0;
    let attempts = 0;
    while (got < k && attempts < maxAttempts) {
      let total = 0;
      for (let q = 0; q < topGroups; q++) total += left[q];
      if (!(total > 0)) break;
      attempts++;
      let u = rng.next() * total;
      let q = -1;
      for (let r = 0; r < topGroups; r++) {
        if (!(left[r] > 0)) continue;
        q = r;
        if (u < left[r]) break;
        u -= left[r];
      }
      const within = u / left[q];
      const g = picked[q];
      const off = prow + g * groupSize;
      let x = (within < 1 ? (within > 0 ? within : 0) : 0.9999999999) * groupSize;
      let e = -1;
      for (;;) {
        const i = x | 0;
        e = g * groupSize + (x - i < aliasProb[off + i] ? i : aliasIdx[off + i]);
        if (!taken[e] || attempts >= maxAttempts) break;
        attempts++;
        x = rng.next() * groupSize;
      }
      if (taken[e]) break;
      taken[e] = 1;
      chosen[got++] = e;
      const rest = left[q] - probs[prow + e];
      // What is left of a group once its weighty experts are chosen may be rounding noise.
      left[q] = rest > 1e-12 * groupMass[mrow + g] ? rest : 0;
    }
    if (got < k) {
      // Very concentrated routing: fill with the most likely experts of the picked groups
      // (then of any group, if the picked groups have too few experts with mass).
      let order = fallbackOrder[topic];
      if (!order) {
        const o = Int32Array.from({ length: n }, (_, i) => i);
        o.sort((a, b) => probs[prow + b] - probs[prow + a] || a - b);
        order = fallbackOrder[topic] = o;
      }
      for (let pass = 0; pass < 2 && got < k; pass++)
        for (let i = 0; i < n && got < k; i++) {
          const e = order[i];
          if (taken[e]) continue;
          if (pass === 0) {
            const g = (e / groupSize) | 0;
            let ok = false;
            for (let q = 0; q < topGroups; q++) if (picked[q] === g) ok = true;
            if (!ok) continue;
          }
          taken[e] = 1;
          chosen[got++] = e;
        }
    }
    for (let j = 0; j < k; j++) taken[chosen[j]] = 0;
    if (seqIds && tok < seqTokens) for (let j = 0, o = (tok * seqStride + seqOffset) * k; j < k; j++) seqIds[o + j] = chosen[j];
    // insertion sort into the token's row of `flat` (k is small)
    const base = tok * k;
    for (let j = 0; j < k; j++) {
      const v = chosen[j];
      let i = base + j - 1;
      while (i >= base && flat[i] > v) {
        flat[i + 1] = flat[i];
        i--;
      }
      flat[i + 1] = v;
    }
  }
}

/** Group sets of size g out of G as bit masks, or undefined when too many to tabulate. */
export function groupSets(G: number, g: number): number[] | undefined {
  if (G > 16) return undefined;
  const out: number[] = [];
  for (let mask = 0; mask < 1 << G; mask++) {
    let bits = 0;
    for (let x = mask; x; x &= x - 1) bits++;
    if (bits === g) out.push(mask);
    if (out.length > 512) return undefined;
  }
  return out;
}

/**
 * Chance that drawing g groups one by one without replacement, each in
 * proportion to its mass, yields each set: f(S) = Σ_{x∈S} f(S∖x)·m_x / (M − m(S∖x)).
 * Undefined when no set has a positive chance.
 */
export function setChances(mass: Float64Array, sets: number[], g: number): Float64Array | undefined {
  const G = mass.length;
  let total = 0;
  for (let i = 0; i < G; i++) total += mass[i];
  const f = new Float64Array(1 << G);
  const m = new Float64Array(1 << G);
  f[0] = 1;
  for (let mask = 1; mask < 1 << G; mask++) {
    const low = mask & -mask;
    m[mask] = m[mask ^ low] + mass[31 - Math.clz32(low)];
    let bits = 0;
    for (let x = mask; x; x &= x - 1) bits++;
    if (bits > g) continue;
    let v = 0;
    for (let x = mask; x; x &= x - 1) {
      const b = x & -x;
      const rest = mask ^ b;
      const left = total - m[rest];
      if (f[rest] > 0 && left > 0) v += (f[rest] * mass[31 - Math.clz32(b)]) / left;
    }
    f[mask] = v;
  }
  const out = new Float64Array(sets.length);
  let sum = 0;
  sets.forEach((s, i) => {
    out[i] = f[s];
    sum += f[s];
  });
  return sum > 0 ? out : undefined;
}
