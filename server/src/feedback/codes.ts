// Stable codes of the diagnostics that come from analysis results (the
// planning core's own codes live with the checks in server/src/plan).
// Documented in docs/diagnostics.md.
export const FeedbackCode = {
  /** A committed placement is slower than the solver's by more than the threshold. */
  committedSlower: 'MP802',
  /** The offload-versus-expert-parallelism estimate favours the other option. */
  offloadAdvice: 'MP803',
  /** The analysis (trace reading, cost model, solvers) failed. */
  analysisFailed: 'MP804',
  /** The analysis ran past its time limit and was stopped. */
  analysisTimeout: 'MP805',
  /** The trace was not read (untrusted workspace, size limit). */
  traceNotRead: 'MP806',
  /** Experts are paged from host memory: miss rate and time per token of the replay. */
  pagingFigures: 'MP807',
  /** The held-out figure is far above the in-sample one: the trace is too small for its distinct subsets. */
  heldOutGap: 'MP808',
  /** The drift gate: the committed placement on a newer trace against a fresh solve on it. */
  driftRegression: 'MP809',
  /** No slots and batch meet the `serve` target (or no request fits): what would, with figures. */
  capacityTarget: 'MP810',
} as const;

const DOCS_DIAGNOSTICS_URL = 'https://github.com/moeplan/moeplan/blob/main/docs/diagnostics.md';

/** Link to a code's entry in docs/diagnostics.md. */
export function diagnosticDocUrl(code: string): string {
  return `${DOCS_DIAGNOSTICS_URL}#${code.toLowerCase()}`;
}
