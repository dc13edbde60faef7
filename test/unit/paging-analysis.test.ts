// Paging inside the analysis pipeline: a plan whose GPUs cannot hold every
// expert is solved (each expert gets an owner GPU) and its results carry
// paging figures per layer and overall; plans that fit carry none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkText } from '../../server/src/plan/check';
import { analyzePlan } from '../../server/src/analysis/index';
import { ownerSlotsForPaging, pagingForResults } from '../../server/src/cost/paging';
import { loadWorkload } from '../../server/src/workload/load';
import type { Plan } from '../../server/src/plan/types';
import type { PagingFigures } from '../../server/src/protocol';
import { fieldHover, layerLensTitle, overallLensTitle, pagingDiagnostics, solverDiagnostics } from '../../server/src/feedback';

const dir = mkdtempSync(join(tmpdir(), 'moeplan-paging-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function planOf(text: string): { plan: Plan; codes: string[] } {
  const file = join(dir, 'p.moeplan');
  writeFileSync(file, text);
  const r = checkText(text, file);
  assert.ok(r.plan, r.diagnostics.map((d) => d.message).join('\n'));
  return { plan: r.plan, codes: r.diagnostics.map((d) => `${d.severity} ${d.code}`) };
}

const OFFLOAD = `model olmoe-1b-7b
gpu h100-sxm x 2
slots 12 per gpu
workload {
  synthetic tokens 400 seed 3 skew 1.0 concentration 0.6 topics 8
  batch 1 tokens
  phase decode output 400 tokens
}
placement {
  policy greedy 1 s
}
offload {
  policy layer-lru
  prefetch on
}
`;

test('a plan with too few slots and offload gets paging figures per layer and overall', async () => {
  const { plan, codes } = planOf(OFFLOAD);
  assert.ok(codes.includes('information MP208'), codes.join(', '));
  assert.deepEqual(ownerSlotsForPaging(plan), [32, 32]);
  const r = await analyzePlan(plan, { timeBudgetMs: 2000, sweeps: false, workers: 1 });
  const paging = r.paging;
  if (!paging) return assert.fail('overall paging figures');
  for (const policy of ['lru', 'layer-lru', 'belady', 'static']) {
    const o: PagingFigures | undefined = paging[policy];
    assert.ok(o, policy);
    assert.ok(o.hitRate > 0 && o.hitRate < 1, `${policy} hit rate ${o.hitRate}`);
    assert.ok(o.usPerToken >= (o.residentUsPerToken ?? 0));
    const perLayerHits = r.layers.reduce((a, l) => a + (l.paging?.[policy]?.hits ?? 0), 0);
    assert.equal(perLayerHits, o.hits);
  }
  assert.ok(paging.belady.misses <= paging.lru.misses);
  // Every expert has an owner: the placement covers all 64 experts of each layer.
  for (const l of r.layers) assert.equal(new Set(l.placement.flat()).size, 64);
  assert.ok(
    r.notes.some((n) => /paging \(layer-lru, prefetch on, batch 1\): [\d.]+% hits/.test(n)),
    r.notes.join('\n'),
  );
  assert.ok(r.notes.some((n) => n.startsWith('paging vs formula: ')));
  assert.equal(r.pagingPolicy, 'layer-lru');

  // Editor feedback: an information diagnostic with the miss rate and time per token.
  const chosen = paging['layer-lru'];
  const diags = pagingDiagnostics(plan, r);
  assert.equal(diags.length, 1);
  assert.equal(diags[0].severity, 'information');
  assert.equal(diags[0].code, 'MP807');
  assert.deepEqual(diags[0].range, plan.offload?.range);
  const missPct = `${((1 - chosen.hitRate) * 100).toFixed(1)}%`;
  assert.match(
    diags[0].message,
    new RegExp(
      `^Offloading applies: the GPUs hold 24 of 64 experts per layer.*layer-lru: ${missPct.replace('.', '\\.')} of expert uses miss, [\\d.]+ (µs|ms) per token`,
    ),
  );
  assert.ok(solverDiagnostics(plan, r, { slowerThresholdPct: 5 }).some((d) => d.code === 'MP807'));
  // Lenses and hover show the same figures.
  assert.match(overallLensTitle(r), new RegExp(`paging layer-lru ${(chosen.hitRate * 100).toFixed(1)}% hits · [\\d.]+ (µs|ms)/token$`));
  const l0 = r.layers[0].paging!['layer-lru'];
  assert.match(layerLensTitle(r.layers[0], r), new RegExp(`paging layer-lru ${(l0.hitRate * 100).toFixed(1)}% hits`));
  const hover = fieldHover(plan, 'offload', r) ?? '';
  for (const policy of ['lru', 'layer-lru', 'belady', 'static']) assert.ok(hover.includes(`| paging ${policy} | hit rate`), hover);
});

test('a plan that fits in memory has no paging figures', async () => {
  const { plan } = planOf(OFFLOAD.replace('slots 12 per gpu', 'slots 40 per gpu').replace(/offload \{[^}]*\}\n/, ''));
  assert.equal(ownerSlotsForPaging(plan), undefined);
  const r = await analyzePlan(plan, { timeBudgetMs: 1000, sweeps: false, workers: 1 });
  assert.equal(r.paging, undefined);
  assert.ok(r.layers.every((l) => l.paging === undefined));
});

test('pagingForResults replays at most a bounded prefix and says so', async () => {
  const { plan } = planOf(OFFLOAD.replace('synthetic tokens 400', 'synthetic tokens 2000'));
  const w = await loadWorkload(plan, {});
  if (!w.sequence) return assert.fail('the synthetic workload should keep its token order');
  const pg = pagingForResults(plan, w, undefined, 1600);
  assert.ok(
    pg.notes.some((n) => /replayed the first 100 of 2,000 tokens/.test(n)),
    pg.notes.join('\n'),
  );
  assert.equal(pg.perLayer.length, 16);
});
