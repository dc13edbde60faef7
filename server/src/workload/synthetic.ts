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
import { AliasTable, Rng, deriveSeed } from './random';
import { DEFAULT_MAX_SEQUENCE_IDS } from './readers/common';

export interface SyntheticModel {
  layers: number;
  experts: number;
  topK: number;
  groups?: { count: number; topGroups: number };
}

export interface SyntheticOptions {
  /** Keep the token order only up to this many ids (tokens × layers × k); default 1<<24. 0 = none. */
  maxSequenceIds?: number;
  signal?: AbortSignal;
}

/** Mean request length in tokens (geometric). */
const MEAN_REQUEST_TOKENS = 256;
/** Probability a token keeps its request's topic. */
const TOPIC_STICKINESS = 0.9;

/** Why a spec cannot be generated for this model, or undefined. */
export function syntheticProblem(spec: Pick<SyntheticSpec, 'tokens' | 'skew' | 'concentration' | 'topics'>, model: SyntheticModel): string | undefined {
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
  const problem = syntheticProblem(spec, model);
  if (problem) throw new RangeError(`synthetic workload: ${problem}`);
  const { layers: L, experts: n, topK: k } = model;
  const T = spec.tokens;

  const topicOf = syntheticTopics(spec);
  const maxIds = opts.maxSequenceIds ?? DEFAULT_MAX_SEQUENCE_IDS;
  const seqTokens = Math.min(T, Math.floor(maxIds / (L * k)));
  const seqIds = seqTokens > 0 ? new Int32Array(seqTokens * L * k) : undefined;
  const scratch = new LayerScratch(T, n, k);
  const dists: LayerDistribution[] = [];
  for (let l = 0; l < L; l++) {
    if (opts.signal?.aborted) throw new Error('synthetic generation cancelled');
    dists.push(syntheticLayer(spec, model, l, topicOf, seqIds ? { ids: seqIds, tokens: seqTokens } : undefined, scratch));
  }

  const notes: string[] = [];
  let sequence: TokenSequence | undefined;
  if (seqIds) sequence = { tokens: seqTokens, layers: L, k, ids: seqIds };
  if (seqTokens < T)
    notes.push(
      seqTokens > 0
        ? `token order kept for the first ${seqTokens.toLocaleString('en-US')} of ${T.toLocaleString('en-US')} synthetic tokens (memory cap)`
        : 'token order not kept (memory cap)',
    );
  const g = model.groups && model.groups.topGroups < model.groups.count ? `, group-limited ${model.groups.topGroups} of ${model.groups.count} groups` : '';
  return {
    layers: dists,
    description:
      `synthetic (${T.toLocaleString('en-US')} tokens, seed ${spec.seed}, skew ${spec.skew}, ` +
      `concentration ${spec.concentration}, ${spec.topics} topics${g})`,
    notes,
    sequence,
  };
}

/** m distinct indices drawn with probability ∝ w, without replacement (Efraimidis–Spirakis keys). */
function weightedSampleWithoutReplacement(w: Float64Array, m: number, rng: Rng): number[] {
  const keys: { e: number; key: number }[] = [];
  for (let e = 0; e < w.length; e++) {
    let u = rng.next();
    while (u <= 0) u = rng.next();
    keys.push({ e, key: w[e] > 0 ? Math.log(u) / w[e] : -Infinity });
  }
  keys.sort((a, b) => b.key - a.key || a.e - b.e);
  return keys.slice(0, m).map((x) => x.e);
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
export class LayerScratch {
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
 * (tokens × model.layers × k layout).
 */
export function syntheticLayer(
  spec: SyntheticSpec,
  model: SyntheticModel,
  l: number,
  topicOf: Int32Array,
  seq?: { ids: Int32Array; tokens: number },
  scratch?: LayerScratch,
): LayerDistribution {
  const { layers: L, experts: n, topK: k } = model;
  const T = spec.tokens;
  const topics = Math.max(1, spec.topics);
  const c = spec.topics > 0 ? spec.concentration : 0;
  const seqIds = seq?.ids;
  const seqTokens = seq?.tokens ?? 0;
  // Groups: without routing groups the whole layer is one group.
  const G = model.groups && model.groups.topGroups < model.groups.count ? model.groups.count : 1;
  const topGroups = G > 1 ? model.groups!.topGroups : 1;
  const groupSize = n / G;
  const sc = scratch ?? new LayerScratch(T, n, k);
  const { chosen, taken, flat } = sc;
  const pickedGroups = new Int32Array(topGroups);
  const groupLeft = new Float64Array(G);
  const rng = new Rng(deriveSeed(spec.seed, 1, l));
  const pop = new Float64Array(n);
  let popSum = 0;
  for (let e = 0; e < n; e++) {
    pop[e] = Math.exp(spec.skew * rng.normal());
    popSum += pop[e];
  }
  for (let e = 0; e < n; e++) pop[e] /= popSum;

  // Per topic: routing probabilities p_t, their mass per group, an alias
  // table per group, and experts by decreasing p_t (fallback fill).
  const groupMass: Float64Array[] = [];
  const tables: AliasTable[][] = [];
  const fallbackOrder: Int32Array[] = [];
  const probs: Float64Array[] = [];
  const memberCount = Math.min(n, Math.max(2 * k, Math.ceil(n / topics)));
  for (let t = 0; t < topics; t++) {
    const p = new Float64Array(n);
    for (let e = 0; e < n; e++) p[e] = (1 - c) * pop[e];
    if (c > 0) {
      const members = weightedSampleWithoutReplacement(pop, memberCount, rng);
      let s = 0;
      for (const e of members) s += pop[e];
      for (const e of members) p[e] += (c * pop[e]) / s;
    }
    const mass = new Float64Array(G);
    const perGroup: AliasTable[] = [];
    for (let g = 0; g < G; g++) {
      const slice = p.subarray(g * groupSize, (g + 1) * groupSize);
      for (let i = 0; i < groupSize; i++) mass[g] += slice[i];
      // A group with no mass still needs a valid table (never drawn from).
      perGroup.push(new AliasTable(mass[g] > 0 ? slice : new Float64Array(groupSize).fill(1)));
    }
    groupMass.push(mass);
    tables.push(perGroup);
    const order = Int32Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => p[b] - p[a] || a - b);
    fallbackOrder.push(order);
    probs.push(p);
  }

  // Fast path: the chance of each set of top groups (as drawn one by one in
  // proportion to mass) in one alias table per topic, and per drawn set an
  // alias table over its experts, built on first use. Then a token costs one
  // draw for its groups and one per expert.
  const combos = groupSets(G, topGroups);
  const comboAlias: (AliasTable | undefined)[] = [];
  const comboTables: (ComboTable | undefined)[][] = [];
  if (combos)
    for (let t = 0; t < topics; t++) {
      const chance = setChances(groupMass[t], combos, topGroups);
      comboAlias.push(chance ? new AliasTable(chance) : undefined);
      comboTables.push(new Array<ComboTable | undefined>(combos.length));
    }

  for (let tok = 0; tok < T; tok++) {
    const topic = topicOf[tok];
    const mass = groupMass[topic];
    const perGroup = tables[topic];
    let got = 0;
    const fast = combos ? comboAlias[topic] : undefined;
    if (fast) {
      const ci = fast.draw(rng);
      let ct = comboTables[topic][ci];
      if (!ct) ct = comboTables[topic][ci] = comboTable(probs[topic], combos![ci], G, groupSize);
      const mask = combos![ci];
      for (let g = 0, i = 0; g < G; g++) if (mask & (1 << g)) pickedGroups[i++] = g;
      // Rejecting repeats is exactly the sequential draw from the renormalised
      // remainder; after 16·k draws (extreme concentration) the fallback below fills in.
      for (let attempts = 0; got < k && attempts < 16 * k; attempts++) {
        const e = ct.experts[ct.table.draw(rng)];
        if (taken[e]) continue;
        taken[e] = 1;
        chosen[got++] = e;
      }
    } else {
      // Top groups: drawn without replacement in proportion to their mass.
      let chosenMass = 0;
      if (G === 1) {
        pickedGroups[0] = 0;
        chosenMass = mass[0];
      } else {
        let left = 0;
        for (let g = 0; g < G; g++) {
          groupLeft[g] = mass[g];
          left += mass[g];
        }
        for (let i = 0; i < topGroups; i++) {
          let u = rng.next() * left;
          let g = 0;
          for (; g < G - 1; g++) {
            if (groupLeft[g] === 0) continue;
            u -= groupLeft[g];
            if (u < 0) break;
          }
          while (groupLeft[g] === 0 && g > 0) g--; // rounding at the end of the scan
          pickedGroups[i] = g;
          chosenMass += groupLeft[g];
          left -= groupLeft[g];
          groupLeft[g] = 0;
        }
      }
      // k distinct experts within the picked groups, in proportion to p_t.
      let attempts = 0;
      const maxAttempts = 16 * k;
      while (got < k && attempts < maxAttempts) {
        attempts++;
        // One random number picks the group and, rescaled, the expert within it.
        let u = rng.next() * chosenMass;
        let gi = 0;
        for (; gi < topGroups - 1; gi++) {
          const m = mass[pickedGroups[gi]];
          if (u < m) break;
          u -= m;
        }
        const g = pickedGroups[gi];
        const within = u / mass[g];
        const e = g * groupSize + perGroup[g].drawU(within < 1 ? (within > 0 ? within : 0) : 0.9999999999);
        if (taken[e]) continue;
        taken[e] = 1;
        chosen[got++] = e;
      }
    }
    if (got < k) {
      // Very concentrated routing: fill with the most likely experts of the picked groups
      // (then of any group, if the picked groups have too few experts with mass).
      const order = fallbackOrder[topic];
      for (let pass = 0; pass < 2 && got < k; pass++)
        for (let i = 0; i < n && got < k; i++) {
          const e = order[i];
          if (taken[e]) continue;
          if (pass === 0) {
            const g = (e / groupSize) | 0;
            let ok = false;
            for (let q = 0; q < topGroups; q++) if (pickedGroups[q] === g) ok = true;
            if (!ok) continue;
          }
          taken[e] = 1;
          chosen[got++] = e;
        }
    }
    for (let j = 0; j < k; j++) taken[chosen[j]] = 0;
    if (seqIds && tok < seqTokens) for (let j = 0, o = (tok * L + l) * k; j < k; j++) seqIds[o + j] = chosen[j];
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
  return distributionFromSortedTokens(l, n, k, flat, T, true);
}

interface ComboTable {
  table: AliasTable;
  experts: Int32Array;
  weights: Float64Array;
  total: number;
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

/** Alias table over the experts of the groups in `mask`, weighted by p. */
function comboTable(p: Float64Array, mask: number, G: number, groupSize: number): ComboTable {
  let groups = 0;
  for (let x = mask; x; x &= x - 1) groups++;
  const experts = new Int32Array(groups * groupSize);
  const weights = new Float64Array(groups * groupSize);
  let n = 0;
  let total = 0;
  for (let g = 0; g < G; g++) {
    if (!(mask & (1 << g))) continue;
    for (let i = 0; i < groupSize; i++, n++) {
      const e = g * groupSize + i;
      experts[n] = e;
      weights[n] = p[e];
      total += p[e];
    }
  }
  return { table: new AliasTable(weights), experts, weights, total };
}
