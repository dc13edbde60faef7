// The self-contained HTML report: rendered from real results (A's checkText,
// C's analyzePlan), opened from a file in headless Chromium with nothing else
// reachable; and `moeplan report` end to end, including its error messages.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { runReport } from '../../server/src/cli/report';
import type { CliIo } from '../../server/src/cli/io';
import type { PlanResults } from '../../server/src/protocol';

import { renderReport } from '../../server/src/report/render';
import { ARTIFACTS, buildWebviewBundle, canvasInk, launch, type Bundle, type Session } from './harness';
import { EXAMPLE_PLAN, examplePlanText, PAGING_PLAN, pagingResults, realResults } from './realResults';
import * as show from '../../server/src/display';

let session: Session;
let results: PlanResults;
let scratch: string;
let bundle: Bundle;

before(async () => {
  bundle = await buildWebviewBundle();
  mkdirSync(ARTIFACTS, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'moeplan-report-'));
  results = await realResults();
  session = await launch();
});

after(async () => {
  await session?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

interface Loaded {
  page: Page;
  requests: string[];
  violations: string[];
  errors: string[];
}

/** Open a report file; record every request other than the file itself. */
async function openReport(file: string, colorScheme: 'light' | 'dark' = 'light'): Promise<Loaded> {
  const page = await session.context.newPage();
  await page.emulateMedia({ colorScheme });
  const url = pathToFileURL(file).href;
  const out: Loaded = { page, requests: [], violations: [], errors: [] };
  page.on('request', (r) => {
    if (r.url() !== url) out.requests.push(r.url());
  });
  page.on('console', (m) => {
    if (m.type() === 'error') out.errors.push(m.text());
  });
  page.on('pageerror', (e) => out.errors.push(`pageerror: ${e.message}`));
  await page.addInitScript({ content: 'globalThis.__name = globalThis.__name || ((f) => f);' });
  await page.exposeFunction('__violation', (t: string) => out.violations.push(t));
  await page.addInitScript({
    content: "document.addEventListener('securitypolicyviolation', (e) => window.__violation(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));",
  });
  await page.goto(url);
  await page.waitForFunction(() => Number(document.getElementById('app')?.dataset.renders ?? 0) > 0);
  return out;
}

function silentIo(cwd: string): CliIo & { stdout: string; stderr: string } {
  const io = {
    cwd,
    stdout: '',
    stderr: '',
    out(t: string) {
      io.stdout += t;
    },
    err(t: string) {
      io.stderr += t;
    },
  };
  return io;
}

describe('HTML report', () => {
  test('one file: charts drawn from inlined data, no network, no CSP violation, key figures in text', async () => {
    const title = 'mixtral </script><script>window.__pwned = 1</script> & "quotes"';
    const html = renderReport(results, { title, planText: examplePlanText(), source: 'examples/mixtral-8x7b.moeplan', bundle });
    assert.doesNotMatch(html, /<script[^>]*\bsrc=/i, 'no external script');
    assert.doesNotMatch(html, /<link\b/i, 'no external stylesheet');
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; script-src &#39;sha256-/);
    // Key figures readable without scripts.
    const text = html.replace(/<script[\s\S]*?<\/script>/g, '').replace(/<[^>]+>/g, ' ');
    assert.match(text, new RegExp(`E\\[T\\]\\s+${show.expectedTime(results.expectedTime).replace('.', '\\.')}`));
    assert.match(text, /Lower bound/);
    assert.match(text, /Against EPLB/);
    assert.match(text, new RegExp(`Latency per layer\\s+${show.micros(results.latencyUs)}`));
    assert.match(text, new RegExp(`Solver\\s+${results.solver.name}`));
    const file = join(scratch, 'report.html');
    writeFileSync(file, html);

    const { page, requests, violations, errors } = await openReport(file, 'light');
    const ink = await canvasInk(page);
    const ids = ink.map((c) => c.id);
    for (const id of ['matrix', 'chart-summary', 'chart-gpu-load', 'chart-policies', 'chart-t-distribution']) assert.ok(ids.includes(id), `${id} is shown`);
    if (results.memorySweep.length) assert.ok(ids.includes('chart-memory'));
    // The example has a `serve` block: the capacity chart and its caption are in the report.
    assert.ok(results.capacity?.points.length, 'the example sweeps slots against batch');
    assert.ok(ids.includes('chart-capacity'), 'the capacity chart is shown');
    assert.match(await page.locator('#card-capacity .caption').innerText(), /^(Recommended: \d+ slots per GPU|No slots and batch meet)/);
    for (const c of ink) assert.ok(c.inked / (c.width * c.height) > 0.01 && c.colours >= 3, `${c.id} draws non-blank pixels`);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined, 'the title cannot inject a script');
    assert.equal(await page.title(), `${title} — moeplan placement report`);
    // The inlined data is the analysis, intact.
    const data = await page.evaluate(() => JSON.parse(document.getElementById('moeplan-data')!.textContent!));
    assert.equal(data.results.expectedTime, results.expectedTime);
    assert.equal(data.results.layers.length, results.layers.length);
    assert.deepEqual(data.results.layers[0].placement, results.layers[0].placement);
    await page.screenshot({ path: join(ARTIFACTS, 'report-light.png'), fullPage: true });

    // Layer selection works in the report too.
    if (results.layers.length > 1) {
      await page.selectOption('#layer-select', '1');
      assert.match(await page.locator('#title-matrix').innerText(), new RegExp(`layer ${results.layers[1].layer}\\b`));
    }
    assert.deepEqual(requests, [], 'nothing is fetched');
    assert.deepEqual(violations, []);
    assert.deepEqual(errors, []);

    // The reader's dark scheme redraws every chart in other colours.
    const before = new Map(ink.map((c) => [c.id, c.hash]));
    const renders = await page.evaluate(() => Number(document.getElementById('app')!.dataset.renders));
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction((n) => Number(document.getElementById('app')!.dataset.renders) > n, renders);
    for (const c of await canvasInk(page)) assert.notEqual(c.hash, before.get(c.id), `${c.id} redrawn for the dark scheme`);
    await page.screenshot({ path: join(ARTIFACTS, 'report-dark.png'), fullPage: true });
    await page.close();
  });

  test('a plan that pages experts from host memory shows its paging hit rates', async () => {
    const paged = await pagingResults();
    assert.ok(
      paged.layers.some((l) => l.paging && Object.keys(l.paging).length),
      'the analysis reports paging per layer',
    );
    const file = join(scratch, 'paging.html');
    writeFileSync(file, renderReport(paged, { title: 'paging.moeplan', planText: readFileSync(PAGING_PLAN, 'utf8'), bundle }));
    const { page, requests, violations, errors } = await openReport(file, 'dark');
    const ink = await canvasInk(page);
    const chart = ink.find((c) => c.id === 'chart-paging');
    assert.ok(chart, 'the paging chart is shown');
    assert.ok(chart.inked / (chart.width * chart.height) > 0.01 && chart.colours >= 3, 'and drawn');
    const caption = await page.locator('#card-paging .caption').innerText();
    assert.match(caption, /Whole model: .*\d+(\.\d)?% hits/);
    if (paged.pagingPolicy) assert.match(caption, new RegExp(`${paged.pagingPolicy} \\(plan\\)`));
    await page.locator('#card-paging').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'report-paging.png'), fullPage: true });
    assert.deepEqual([requests, violations, errors], [[], [], []]);
    await page.close();
  });

  test('moeplan report writes the page atomically and says what it wrote', async () => {
    const dir = mkdtempSync(join(scratch, 'cli-'));
    writeFileSync(join(dir, 'plan.moeplan'), examplePlanText());
    const io = silentIo(dir);
    const code = await runReport(['plan.moeplan', '-o', 'out.html', '--time', '0.6'], io);
    assert.equal(code, 0, io.stderr);
    assert.match(
      io.stdout,
      /^wrote out\.html \(\d+ KiB\): [\d.]+ (µs|ms) · E\[T\] [\d.]+ per layer \(µs per MoE layer at batch \d+, static dispatch\), bound [\d.]+ (µs|ms), EPLB [\d.]+ (µs|ms), [\d.]+ (µs|ms) per step/,
    );
    assert.deepEqual(readdirSync(dir).sort(), ['out.html', 'plan.moeplan'], 'no temporary file left');
    const html = readFileSync(join(dir, 'out.html'), 'utf8');
    assert.match(html, /<title>plan\.moeplan — moeplan placement report<\/title>/);
    assert.match(html, /model mixtral-8x7b/, 'the plan text is included');
    const { page, requests, violations, errors } = await openReport(join(dir, 'out.html'));
    assert.ok((await canvasInk(page)).every((c) => c.inked > 0));
    assert.deepEqual([requests, violations, errors], [[], [], []]);
    await page.close();
  });

  test('moeplan report: clear errors for usage, unreadable plans, plan errors and unwritable outputs', async () => {
    const dir = mkdtempSync(join(scratch, 'err-'));
    writeFileSync(join(dir, 'plan.moeplan'), examplePlanText());
    writeFileSync(join(dir, 'bad.moeplan'), 'model mixtral-8x7b\ngpu h100-sxm x 2\nslots 4 per gpu\nplacement {\n  policy fastest\n}\n');

    let io = silentIo(dir);
    assert.equal(await runReport(['plan.moeplan'], io), 2);
    assert.match(io.stderr, /no output file: add -o report\.html/);

    io = silentIo(dir);
    assert.equal(await runReport(['missing.moeplan', '-o', 'r.html'], io), 1);
    assert.match(io.stderr, /cannot read 'missing\.moeplan': no such file/);

    io = silentIo(dir);
    assert.equal(await runReport(['bad.moeplan', '-o', 'r.html'], io), 1);
    assert.match(io.stderr, /^bad\.moeplan:5:\d+: error /m, 'errors are reported as path:line:col');
    assert.match(io.stderr, /before making a report/);

    io = silentIo(dir);
    assert.equal(await runReport(['plan.moeplan', '-o', 'no/such/dir/r.html'], io), 1);
    assert.match(io.stderr, /folder no\/such\/dir does not exist/);

    io = silentIo(dir);
    assert.equal(await runReport(['plan.moeplan', '-o', 'plan.moeplan'], io), 1);
    assert.match(io.stderr, /cannot write 'plan\.moeplan': is the plan itself; choose another output file/);
    assert.equal(readFileSync(join(dir, 'plan.moeplan'), 'utf8'), examplePlanText(), 'the plan is untouched');

    io = silentIo(dir);
    assert.equal(await runReport(['plan.moeplan', '-o', 'r.html', '--bogus'], io), 2);
    assert.match(io.stderr, /unknown option '--bogus'/);
    assert.equal(existsSync(join(dir, 'r.html')), false, 'nothing written on errors');
    assert.ok(EXAMPLE_PLAN.endsWith('.moeplan'));
  });
});
