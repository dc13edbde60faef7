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

/** Two H100s with room for 3 of Mixtral's 8 experts each: the analysis pages (G's paging figures). */
export const PAGING_PLAN = join(ROOT, 'test/webview/paging.moeplan');

const cache = new Map<string, Promise<PlanResults>>();

function analyse(file: string): Promise<PlanResults> {
  let p = cache.get(file);
  if (!p) {
    p = (async () => {
      const checked = checkText(readFileSync(file, 'utf8'), file);
      const errors = checked.diagnostics.filter((d) => d.severity === 'error');
      if (!checked.plan || errors.length) throw new Error(`${file} does not check: ${errors.map((d) => d.message).join('; ')}`);
      return analyzePlan(checked.plan, { timeBudgetMs: 800 });
    })();
    cache.set(file, p);
  }
  return p;
}

export function realResults(): Promise<PlanResults> {
  return analyse(EXAMPLE_PLAN);
}

export function pagingResults(): Promise<PlanResults> {
  return analyse(PAGING_PLAN);
}

export function examplePlanText(): string {
  return readFileSync(EXAMPLE_PLAN, 'utf8');
}
