// Expert paging: what happens when the GPUs cannot hold every expert and the
// rest live in host memory. See docs/paging.md.
export { PAGING_POLICIES } from './types';
export type { PagingHardware } from './types';
export { buildSteps } from './steps';
export { replay } from './replay';
export { choosePinned } from './pinned';
export { sampleSequence } from './sample';
export { distributionsFromSequence } from './fromSequence';
export { simulatePaging, STATIC_POLICY, needsPaging } from './simulate';
export { compareWithFormula, type FormulaFigures } from './formula';
export { ownerSlotsForPaging, pagingForResults } from './forAnalysis';
