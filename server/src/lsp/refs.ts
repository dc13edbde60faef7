// Finding what a position in the plan refers to.
import type { Position } from '../language/ast';
import type { Plan, PlanRef } from '../plan/types';
import { contains } from './astUtil';

/** The innermost reference at `p` (smallest range). */
export function refAt(plan: Plan, p: Position): PlanRef | undefined {
  let best: PlanRef | undefined;
  let bestSize = Infinity;
  for (const r of plan.refs) {
    if (!contains(r.range, p)) continue;
    const size = (r.range.end.line - r.range.start.line) * 10_000 + (r.range.end.character - r.range.start.character);
    if (size < bestSize) {
      best = r;
      bestSize = size;
    }
  }
  return best;
}
