// Step-time figures of a layer (µs per MoE layer at the plan's batch under
// its dispatch rule) on fresh sampled batches — batches no solver optimised
// on, shared by every placement compared (common random numbers), so the
// figures are not optimistic and comparisons are fair.
import type { Plan } from '../plan/types';
import type { LayerDistribution, TokenSequence } from '../workload/types';
import {
  buildStepSamples,
  EVAL_SAMPLES,
  sampleShape,
  StepEvaluator,
  stepCostsOf,
  stepLowerBound,
  TRAIN_SAMPLES,
  type LayerSequence,
  type StepCosts,
  type StepSamples,
} from '../cost/step';
import { costHardwareOf, costModelOf } from '../cost/latency';
import { deriveSeed } from '../workload/random';

export interface StepFigure {
  /** Mean step time, µs per MoE layer. */
  us: number;
  computeUs: number;
  dispatchUs: number;
  combineUs: number;
  /** Mean pairs per token each GPU serves under the rule. */
  gpuLoad: number[];
}

/** Everything one layer's step figures need: costs, the two sample sets, the rule. */
export class LayerStepContext {
  readonly costs: StepCosts;
  readonly batch: number;
  readonly gpus: number;
  private trainSamples?: StepSamples;
  private evalSamples?: StepSamples;
  private evaluator?: StepEvaluator;
  /** Figures by placement: candidates, the answer and the committed placement often coincide. */
  private readonly figures = new Map<string, StepFigure>();

  constructor(
    readonly plan: Plan,
    readonly dist: LayerDistribution,
    private readonly sequence: LayerSequence | undefined,
  ) {
    this.gpus = plan.hardware.count;
    this.costs = stepCostsOf(costModelOf(plan.model), costHardwareOf(plan.hardware));
    this.batch = Math.max(1, Math.floor(plan.workload.batch.value));
  }

  get rule() {
    return this.plan.placement.dispatch.value;
  }

  /** Seed of the static rule's fair spread, per layer. */
  get ruleSeed(): number {
    return deriveSeed(this.plan.placement.seed, this.dist.layer, 0xd15);
  }

  /** The batches the solvers search on. */
  train(): StepEvaluator {
    this.trainSamples ??= buildStepSamples(this.dist, {
      batch: this.batch,
      gpus: this.gpus,
      seed: deriveSeed(this.plan.placement.seed, 1),
      sequence: this.sequence,
      ...TRAIN_SAMPLES,
    });
    // Batch 1 on a small distribution is enumerated exactly: then both sets are the distribution.
    return new StepEvaluator(this.trainSamples, this.costs, this.rule, this.ruleSeed);
  }

  /** Fresh batches for the figures reported. */
  evalSamplesOf(): StepSamples {
    this.evalSamples ??= buildStepSamples(this.dist, {
      batch: this.batch,
      gpus: this.gpus,
      seed: deriveSeed(this.plan.placement.seed, 2),
      sequence: this.sequence,
      ...EVAL_SAMPLES,
    });
    return this.evalSamples;
  }

  figure(placement: readonly (readonly number[])[]): StepFigure {
    // The exact text (not a hash): a collision would report one placement's figure for another.
    const key = placement.map((g) => [...g].sort((a, b) => a - b).join(',')).join('|');
    const known = this.figures.get(key);
    if (known) return known;
    const figure = this.measure(placement);
    if (this.figures.size >= 256) this.figures.clear();
    this.figures.set(key, figure);
    return figure;
  }

  private measure(placement: readonly (readonly number[])[]): StepFigure {
    this.evaluator ??= new StepEvaluator(this.evalSamplesOf(), this.costs, this.rule, this.ruleSeed);
    const ev = this.evaluator;
    ev.setPlacement(placement);
    const b = ev.breakdown();
    const perToken = 1 / this.batch;
    return {
      us: b.stepS * 1e6,
      computeUs: b.computeS * 1e6,
      dispatchUs: b.dispatchS * 1e6,
      combineUs: b.combineS * 1e6,
      gpuLoad: ev.gpuPairs().map((x) => x * perToken),
    };
  }

  /** Lower bound on every placement's step time on the same batches, µs. */
  boundUs(slotsPerGpu: readonly number[], expectedTimeBound: number): number {
    return stepLowerBound(this.evalSamplesOf(), this.costs, slotsPerGpu, expectedTimeBound).stepS * 1e6;
  }

  /** What the figures were measured on, for the notes (from the samples' shape: nothing is drawn). */
  describe(): string {
    const s = sampleShape(this.dist, { batch: this.batch, gpus: this.gpus, ...EVAL_SAMPLES });
    if (s.exact) return `batch 1: every distinct subset of the layer, weighted by its share${s.everyGpu ? ', on every GPU' : ', each on one seeded GPU'}`;
    return `${s.batches.toLocaleString('en-US')} sampled batches of ${this.batch.toLocaleString('en-US')} tokens (${this.sequence ? 'prompt chunks in trace order' : 'subsets drawn i.i.d.'}), fresh for the figures`;
  }
}

/** The token order of one layer, for prefill chunks. */
export function layerSequenceOf(plan: Plan, sequence: TokenSequence | undefined, layerIndex: number | undefined): LayerSequence | undefined {
  if (!sequence || layerIndex === undefined || plan.workload.phase.value !== 'prefill') return undefined;
  return { tokens: sequence.tokens, ids: sequence.ids, stride: sequence.layers, offset: layerIndex };
}
