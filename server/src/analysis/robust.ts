// Figures a placement can be trusted with beyond the tokens it was fitted
// to (docs/cost-model.md, "Held-out figures" and "Several workloads"):
//
// - several workloads: each one's figure for the placement and its own best
//   placement; under `mix worst`, the placement that minimises the largest
//   ratio to a workload's own best, found by re-weighting the mixture
//   towards the workloads that fare worst (multiplicative weights) and
//   keeping the best of every placement tried;
// - held out: the same procedure run on the planning part of the routing,
//   its placement scored on the held-out part — the estimate of how the
//   placement planned on everything will do on traffic it has not seen.
import type { Plan } from '../plan/types';
import type { LayerDistribution } from '../workload/types';
import type { LayerHeldOut, WorkloadFigures } from '../protocol';
import { expectedTime } from '../cost/evaluate';
import { placementDigest } from '../solve/placementDigest';
import { mixLayers } from '../workload/mixture';
import { chooseOnLayer, type Choice, type LayerJob, type Note } from './layerChoice';
import { LayerStepContext } from './stepFigures';

/** Share of a layer's budget the held-out solve gets when the workload can be split. */
export const HELD_OUT_BUDGET_SHARE = 0.25;
/** Rounds of re-weighting at most under `mix worst`. */
const WORST_ROUNDS = 8;
/** How hard a workload's excess over its own best pulls the mixture towards it. */
const WORST_STEP = 25;

const quiet: Note = () => undefined;

/** The objective's figure: µs per layer (latency) or E[T]. */
function figureOf(plan: Plan, s: { expectedTime: number; latencyUs: number }): number {
  return plan.placement.objective.value === 'latency' ? s.latencyUs : s.expectedTime;
}

/** How a layer's budget is shared between the placement written and its held-out estimate. */
export function layerBudgetShares(job: LayerJob): { main: number; heldOut: number } {
  const heldOut = job.split ? HELD_OUT_BUDGET_SHARE : 0;
  return { main: 1 - heldOut, heldOut };
}

/**
 * `mix worst`'s choice among candidates: `objectives[c][i]` is candidate c's
 * figure on workload i (lower is better). Each workload's best is the least
 * figure any candidate has on it; the candidate with the smallest worst
 * ratio to those bests wins, ties going to the smaller weighted mean. When
 * every workload is the same, the ratios are the mean's ratio, and the
 * winner is the candidate with the smallest weighted mean.
 */
export function pickWorst(objectives: readonly (readonly number[])[], shares: readonly number[]): number {
  const best = shares.map((_, i) => Math.min(...objectives.map((o) => o[i])));
  let winner = 0;
  let worst = Infinity;
  let mean = Infinity;
  objectives.forEach((o, c) => {
    const ratio = Math.max(...o.map((x, i) => x / best[i]));
    const m = o.reduce((a, x, i) => a + x * shares[i], 0);
    if (ratio < worst - 1e-12 || (ratio <= worst + 1e-12 && m < mean)) {
      winner = c;
      worst = ratio;
      mean = m;
    }
  });
  return winner;
}

/** The weighted mean of the ratios to each workload's best: `mix mean`'s objective in `pickWorst`'s terms. */
export function meanRatio(objective: readonly number[], best: readonly number[], shares: readonly number[]): number {
  return objective.reduce((a, x, i) => a + shares[i] * x, 0) / best.reduce((a, b, i) => a + shares[i] * b, 0);
}

/** `mix worst`'s objective: the largest ratio of a workload's figure to its best. */
export function worstRatio(objective: readonly number[], best: readonly number[]): number {
  return Math.max(...objective.map((x, i) => x / best[i]));
}

/** A placement's objective on each workload, evaluated once. */
class PartScores {
  private readonly contexts: LayerStepContext[];
  private readonly memo = new Map<string, { placement: number[][]; scores: { expectedTime: number; latencyUs: number }[] }>();

  constructor(
    private readonly plan: Plan,
    readonly parts: readonly LayerDistribution[],
  ) {
    this.contexts = parts.map((d) => new LayerStepContext(plan, d, undefined));
  }

  /** E[T] (exact) and µs (fresh batches of that workload) on every workload. */
  of(placement: number[][]): { expectedTime: number; latencyUs: number }[] {
    const key = placementDigest(placement);
    let hit = this.memo.get(key);
    if (!hit) {
      const scores = this.parts.map((d, i) => ({ expectedTime: expectedTime(d, placement), latencyUs: this.contexts[i].figure(placement).us }));
      hit = { placement, scores };
      this.memo.set(key, hit);
    }
    return hit.scores;
  }

  objective(placement: number[][]): number[] {
    return this.of(placement).map((s) => figureOf(this.plan, s));
  }

  /** Every placement scored so far. */
  placements(): number[][][] {
    return [...this.memo.values()].map((v) => v.placement);
  }

  /** Each workload's best objective among the placements scored, and that placement's figures. */
  best(): { objective: number; expectedTime: number; latencyUs: number }[] {
    return this.parts.map((_, i) => {
      let best = { objective: Infinity, expectedTime: NaN, latencyUs: NaN };
      for (const v of this.memo.values()) {
        const s = v.scores[i];
        const o = figureOf(this.plan, s);
        if (o < best.objective) best = { objective: o, ...s };
      }
      return best;
    });
  }
}

/**
 * The policy's placement for a layer under the plan's mix. One workload:
 * chooseOnLayer. Several: the mixture's choice, each workload's own best
 * (the same policy on it alone), and under `mix worst` the placement with
 * the smallest worst ratio to a workload's own best.
 */
export function decideLayer(job: LayerJob, budgetMs: number, note: Note, lean = false): { choice: Choice; workloads?: WorkloadFigures[] } {
  const parts = job.parts;
  if (!parts || parts.length < 2) return { choice: chooseOnLayer(job, budgetMs, note, { lean }) };
  const started = performance.now();
  const worst = job.mix === 'worst';
  const probe = chooseOnLayer(job, budgetMs * (worst ? 0.35 : 0.6), note, { lean });
  if (!probe.searching)
    return {
      choice: probe,
      workloads: partFigures(
        job,
        probe,
        new PartScores(
          job.plan,
          parts.map((p) => p.dist),
        ),
      ),
    };
  const scores = new PartScores(
    job.plan,
    parts.map((p) => p.dist),
  );
  const add = (c: Choice) => {
    scores.of(c.chosen.placement);
    for (const e of c.entries) scores.of(e.placement);
  };
  add(probe);
  // Each workload alone, with its share of the time.
  const ownBudget = (budgetMs * (worst ? 0.3 : 0.4)) / parts.length;
  for (const p of parts)
    add(chooseOnLayer({ ...job, dist: p.dist, parts: undefined, split: undefined, sequence: undefined }, ownBudget, quiet, { lean: true }));
  let choice = probe;
  if (worst) {
    const deadline = started + budgetMs;
    const pick = () => {
      const placements = scores.placements();
      const best = scores.best();
      const i = pickWorst(
        placements.map((p) => scores.objective(p)),
        parts.map((p) => p.share),
      );
      const o = scores.objective(placements[i]);
      return { placement: placements[i], worst: Math.max(...o.map((x, j) => x / best[j].objective)), best };
    };
    let weights = parts.map((p) => p.share);
    for (let round = 0; round < WORST_ROUNDS; round++) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      const now = pick();
      const ratios = scores.objective(now.placement).map((x, i) => x / now.best[i].objective);
      weights = weights.map((w, i) => w * Math.exp(WORST_STEP * (ratios[i] - 1)));
      const sum = weights.reduce((a, b) => a + b, 0);
      weights = weights.map((w) => w / sum);
      const [dist] = mixLayers(parts.map((p, i) => ({ layers: [p.dist], share: weights[i] })));
      add(chooseOnLayer({ ...job, dist, parts: undefined, split: undefined, sequence: undefined }, left / (WORST_ROUNDS - round), quiet, { lean: true }));
    }
    const final = pick();
    if (placementDigest(final.placement) !== placementDigest(probe.chosen.placement)) {
      note(
        job.policy,
        `mix worst: the placement with the smallest worst ratio to a workload's own best (${((final.worst - 1) * 100).toFixed(1)}% above it) replaces the mixture's`,
      );
      const step = probe.step.figure(final.placement);
      choice = {
        ...probe,
        chosen: { ...probe.chosen, placement: final.placement, expectedTime: expectedTime(job.dist, final.placement), evaluation: undefined, optimal: false },
        chosenStep: step,
        startedFrom: 'mix worst',
      };
    }
  }
  return { choice, workloads: partFigures(job, choice, scores) };
}

function partFigures(job: LayerJob, choice: Choice, scores: PartScores): WorkloadFigures[] {
  const mine = scores.of(choice.chosen.placement);
  const best = scores.best();
  return job.parts!.map((p, i) => ({
    name: p.name,
    share: p.share,
    expectedTime: mine[i].expectedTime,
    latencyUs: mine[i].latencyUs,
    best: { expectedTime: best[i].expectedTime, latencyUs: best[i].latencyUs },
  }));
}

/**
 * The held-out figure of a layer: the same procedure on the planning part
 * within `budgetMs`, its placement (and EPLB's, planned on the same part)
 * scored on the held-out part.
 */
export function heldOutLayer(job: LayerJob, budgetMs: number): LayerHeldOut {
  const split = job.split!;
  const parts = job.parts?.every((p) => p.split) ? job.parts.map((p) => ({ ...p, dist: p.split!.planning, split: undefined })) : undefined;
  const planningJob: LayerJob = { ...job, dist: split.planning, split: undefined, sequence: undefined, layerIndex: undefined, parts };
  const c = decideLayer(planningJob, budgetMs, quiet, true).choice;
  const held = new LayerStepContext(job.plan, split.heldOut, undefined);
  const on = (d: LayerDistribution, ctx: LayerStepContext, placement: number[][]) => ({
    expectedTime: expectedTime(d, placement),
    latencyUs: ctx.figure(placement).us,
  });
  const placement = c.chosen.placement;
  const out: LayerHeldOut = {
    ...on(split.heldOut, held, placement),
    planning: { expectedTime: c.chosen.expectedTime, latencyUs: c.chosenStep.us },
    eplb: on(split.heldOut, held, c.eplb.placement),
  };
  if (job.parts && parts) {
    out.workloads = job.parts.map((p) => {
      const d = p.split!.heldOut;
      return on(d, new LayerStepContext(job.plan, d, undefined), placement);
    });
  }
  return out;
}
