// Expert paging: what happens when the GPUs cannot hold every expert and the
// rest live in host memory. See docs/paging.md.
export { PAGING_POLICIES, PagingError } from './types';
export type { PagingHardware, PagingPolicy, ReplayConfig, ReplayResult } from './types';
export { buildSteps, type StepStream } from './steps';
export { replay } from './replay';
export { choosePinned } from './pinned';
export { sampleSequence } from './sample';
export { distributionsFromSequence } from './fromSequence';
export {
  simulatePaging,
  STATIC_POLICY,
  AUTO_PIN_FRACTIONS,
  needsPaging,
  pagingHardware,
  type PagingOptions,
  type PagingSimulation,
  type PolicyDetail,
} from './simulate';
export { compareWithFormula, type FormulaCheck, type FormulaFigures } from './formula';
export { ownerSlotsForPaging, pagingForResults, ANALYSIS_MAX_TOKEN_LAYERS, type PagingForResults } from './forAnalysis';
