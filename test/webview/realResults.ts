// Results from the real pipeline for the webview and report tests: A's
// checkText resolves an example plan, C's analyzePlan solves it (on worker
// threads, short budget). Computed once per test file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzePlan } from '../../server/src/analysis/index';
import { checkText } from '../../server/src/plan/check';
import type { PlanResults } from '../../server/src/protocol';
import { ROOT } from './harness';

export const EXAMPLE_PLAN = join(ROOT, 'examples/mixtral-8x7b.moeplan');

let cached: Promise<PlanResults> | undefined;

export function realResults(): Promise<PlanResults> {
  cached ??= (async () => {
    const checked = checkText(examplePlanText(), EXAMPLE_PLAN);
    const errors = checked.diagnostics.filter((d) => d.severity === 'error');
    if (!checked.plan || errors.length) throw new Error(`example plan does not check: ${errors.map((d) => d.message).join('; ')}`);
    return analyzePlan(checked.plan, { timeBudgetMs: 800 });
  })();
  return cached;
}

export function examplePlanText(): string {
  return readFileSync(EXAMPLE_PLAN, 'utf8');
}
