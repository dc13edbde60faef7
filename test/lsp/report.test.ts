// moeplan/report: the server renders the page `moeplan report` writes from
// the plan's last results, answers it, or writes it through the write path.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReportRequest } from '../../server/src/protocol';
import { LspClient, fileUri } from './harness';
import { smallPlan } from './plans';

let c: LspClient;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'moeplan-lsp-report-'));
  c = await LspClient.start({ workspace: dir });
});
after(async () => {
  await c.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the report of an open, solved plan: the page, then the same page written to a file', async () => {
  const uri = fileUri(join(dir, 'small.moeplan'));
  const notOpen = await c.call(ReportRequest, { uri });
  assert.equal(notOpen.ok, false);
  assert.match(notOpen.error ?? '', /not open/);

  writeFileSync(join(dir, 'small.moeplan'), smallPlan());
  await c.open(uri, smallPlan());
  const ready = await c.resultsFor(uri, 1);
  assert.equal(ready.error, undefined, ready.error?.message);

  const page = await c.call(ReportRequest, { uri, title: 'Small plan' });
  assert.equal(page.ok, true, page.error);
  assert.match(page.html ?? '', /^<!DOCTYPE html>/i);
  assert.match(page.html!, /<title>Small plan — moeplan placement report<\/title>/);
  // Self-contained under a strict CSP: the view's script is inlined with its hash.
  assert.match(page.html!, /Content-Security-Policy[^>]*script-src (&#39;|')sha256-/);
  assert.match(page.html!, /model mixtral-8x7b/, 'the plan text is not in the page');

  const target = join(dir, 'small.report.html');
  const written = await c.call(ReportRequest, { uri, title: 'Small plan', outputPath: target });
  assert.equal(written.ok, true, written.error);
  assert.equal(written.written, target);
  assert.equal(readFileSync(target, 'utf8'), page.html);

  const relative = await c.call(ReportRequest, { uri, outputPath: 'small.report.html' });
  assert.equal(relative.ok, false);
  assert.match(relative.error ?? '', /absolute/);
  // Never over the plan itself.
  const overPlan = await c.call(ReportRequest, { uri, outputPath: join(dir, 'small.moeplan') });
  assert.equal(overPlan.ok, false);
  assert.equal(readFileSync(join(dir, 'small.moeplan'), 'utf8'), smallPlan());
  await c.close(uri);
});
