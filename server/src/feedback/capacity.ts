// The capacity sweep's diagnostic (MP810): no slots and batch meet the
// `serve` target, or no request fits at all — with what would, in figures.
import type { Diagnostic } from '../language/diagnostic';
import type { Range } from '../language/ast';
import type { Plan } from '../plan/types';
import type { PlanResults } from '../protocol';
import { FeedbackCode } from './codes';

const TOP: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

export function capacityDiagnostics(plan: Plan, results: PlanResults): Diagnostic[] {
  const c = results.capacity;
  if (!c?.advice || c.recommended) return [];
  const range = plan.serve?.targetS?.range ?? plan.serve?.context.range ?? plan.serve?.range ?? TOP;
  return [{ range, severity: 'warning', code: FeedbackCode.capacityTarget, message: c.advice.message }];
}
