// The batched step-time objective: samples, dispatch rules, the incremental
// evaluator and its lower bound (docs/cost-model.md §3).
export type { DispatchRule } from './dispatch';
export { staticDispatchRow } from './dispatch';
export type { StepCosts } from './costs';
export { stepCostsOf } from './costs';
export type { StepSamples, LayerSequence } from './samples';
export { buildStepSamples, sampleShape, TRAIN_SAMPLES, EVAL_SAMPLES } from './samples';
export { StepEvaluator } from './evaluator';
export { stepLowerBound } from './bound';
