// Node's timers hold a 32-bit signed delay: anything above 2^31 − 1 ms
// (24.8 days) fires after 1 ms instead, with a warning. Delays that come from
// the user (a plan's `time`, a setting, an environment variable) go through
// here so that a long one means long, never "at once".

/** The longest delay setTimeout keeps, ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A delay setTimeout will honour: within 0 … MAX_TIMER_MS (NaN → 0). */
export function timerDelay(ms: number): number {
  if (!(ms > 0)) return 0;
  return Math.min(ms, MAX_TIMER_MS);
}
