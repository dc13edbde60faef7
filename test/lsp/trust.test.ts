// Workspace trust over the real protocol: a trust flag that is not literally
// `true` is untrusted, and in an untrusted workspace nothing outside it is
// read, listed or tested, whether the path says so or a symbolic link inside
// the workspace leads there (to a file, to a folder, to `/`). Also the
// editor's export: written by the server through the one write path.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompletionItem, CompletionList } from 'vscode-languageserver-protocol';
import { ExportRequest, SolveRequest } from '../../server/src/protocol';
import { LspClient, fileUri } from './harness';
import { smallPlan } from './plans';

const SECRET = 'TOPSECRET-6f1d';

/** A plan of the small test plan reading this trace. */
const withTrace = (trace: string) => smallPlan().replace(/ {2}synthetic tokens .*\n/, `  trace "${trace}"\n`);

/** A JSONL trace for Mixtral's 32 MoE layers (20 tokens), so a read one solves. */
function mixtralTrace(): string {
  const lines: string[] = [];
  for (let t = 0; t < 20; t++) for (let l = 0; l < 32; l++) lines.push(JSON.stringify({ layer: l, experts: [(t + l) % 8, (t + l + 3) % 8], token_idx: t }));
  return lines.join('\n') + '\n';
}

describe('a trust flag that is not literally true', () => {
  for (const value of ['false', 0, 'true', {}, null]) {
    test(`initializationOptions.trusted = ${JSON.stringify(value)} is untrusted: nothing solves on open`, async () => {
      const ws = mkdtempSync(join(tmpdir(), 'moeplan-trustflag-'));
      const c = await LspClient.start({ workspace: ws, trustedValue: value });
      try {
        const uri = fileUri(join(ws, 'plan.moeplan'));
        await c.open(uri, smallPlan());
        await c.states.next((s) => s.uri === uri && s.state === 'queued', 'queued (untrusted)');
        assert.equal(c.results.all.length, 0);
      } finally {
        await c.stop();
        rmSync(ws, { recursive: true, force: true });
      }
    });
  }
});

describe('untrusted workspace and symbolic links', () => {
  let c: LspClient;
  let top: string;
  let ws: string;
  const outside = () => join(top, 'outside');
  before(async () => {
    top = mkdtempSync(join(tmpdir(), 'moeplan-links-'));
    ws = join(top, 'ws');
    mkdirSync(ws);
    mkdirSync(outside());
    writeFileSync(join(outside(), 'secret.jsonl'), `${SECRET} not a trace\n`);
    mkdirSync(join(ws, 'sub'));
    writeFileSync(join(ws, 'sub', 'real.jsonl'), mixtralTrace());
    symlinkSync('../outside/secret.jsonl', join(ws, 'link.jsonl')); // to a file outside
    symlinkSync('../outside', join(ws, 'data')); // to a folder outside
    symlinkSync('/', join(ws, 'up')); // to the root
    symlinkSync('sub/real.jsonl', join(ws, 'inner.jsonl')); // inside, stays inside
    symlinkSync('sub/../../outside/secret.jsonl', join(ws, 'sneaky.jsonl')); // `..` after a folder
    c = await LspClient.start({ workspace: ws, trusted: false });
  });
  after(async () => {
    await c.stop();
    rmSync(top, { recursive: true, force: true });
  });

  for (const [name, trace] of [
    ['a link to a file outside', () => 'link.jsonl'],
    ['a link to a folder outside', () => 'data/secret.jsonl'],
    ['a link to /', () => 'up' + join(outside(), 'secret.jsonl')],
    ['a link whose `..` leaves the workspace', () => 'sneaky.jsonl'],
  ] as const) {
    test(`${name} is not read on Solve Now, and its bytes appear nowhere`, async () => {
      const uri = fileUri(join(ws, `${name.replace(/\W+/g, '-')}.moeplan`));
      await c.open(uri, withTrace(trace()));
      const r = await c.call(SolveRequest, { uri });
      assert.match(r?.error?.message ?? '', /outside the workspace \(links followed\)/, name);
      const d = await c.diagnosticsFor(uri, 1, (p) => p.diagnostics.some((x) => x.code === 'MP806'));
      assert.ok(!JSON.stringify(d).includes(SECRET), 'no byte of the file in any diagnostic');
      assert.ok(!JSON.stringify(c.results.all).includes(SECRET));
      await c.close(uri);
    });
  }

  test('a link that stays inside the workspace is read', async () => {
    const uri = fileUri(join(ws, 'inner.moeplan'));
    await c.open(uri, withTrace('inner.jsonl'));
    const r = await c.call(SolveRequest, { uri });
    assert.equal(r?.error, undefined);
    assert.match(r?.results?.workload.description ?? '', /inner\.jsonl/);
  });

  test('the existence of a file outside is not tested (no MP301 through a link), inside it is', async () => {
    const uri = fileUri(join(ws, 'probe.moeplan'));
    const text = withTrace('up/no/such/file.jsonl');
    await c.open(uri, text);
    const d = await c.diagnosticsFor(uri, 1);
    assert.ok(!d.diagnostics.some((x) => x.code === 'MP301'), JSON.stringify(d.diagnostics));
    const v = await c.change(uri, withTrace('sub/missing.jsonl'));
    const d2 = await c.diagnosticsFor(uri, v);
    assert.ok(d2.diagnostics.some((x) => x.code === 'MP301'));
    await c.close(uri);
  });

  test('trace-path completion lists neither a link out of the workspace nor anything through it', async () => {
    const uri = fileUri(join(ws, 'complete.moeplan'));
    const text = withTrace('');
    await c.open(uri, text);
    const line = text.split('\n').findIndex((l) => l.includes('trace ""'));
    const at = (typed: string) => {
      const v = text.replace('trace ""', `trace "${typed}`);
      return { v, position: { line, character: `  trace "${typed}`.length } };
    };
    const labels = async (typed: string) => {
      const { v, position } = at(typed);
      const version = await c.change(uri, v);
      await c.diagnosticsFor(uri, version);
      const r = await c.request<CompletionItem[] | CompletionList | null>('textDocument/completion', { textDocument: { uri }, position });
      return (Array.isArray(r) ? r : (r?.items ?? [])).map((i) => i.label);
    };
    const listed = await labels('');
    assert.ok(listed.includes('sub/') && listed.includes('inner.jsonl'), listed.join(' '));
    for (const out of ['up/', 'data/', 'link.jsonl', 'sneaky.jsonl']) assert.ok(!listed.includes(out), `${out} listed: ${listed.join(' ')}`);
    assert.deepEqual(await labels('up/'), []);
    assert.deepEqual(await labels('up/etc/'), []);
    assert.deepEqual(await labels('data/'), []);
    assert.deepEqual(await labels('../'), []);
    await c.close(uri);
  });
});

describe('moeplan/export', () => {
  let c: LspClient;
  let ws: string;
  before(async () => {
    ws = mkdtempSync(join(tmpdir(), 'moeplan-lsp-export-'));
    c = await LspClient.start({ workspace: ws });
  });
  after(async () => {
    await c.stop();
    rmSync(ws, { recursive: true, force: true });
  });

  test('on a plan that is not open: says so (not "the plan has errors")', async () => {
    const r = await c.call(ExportRequest, { uri: fileUri(join(ws, 'closed.moeplan')), format: 'json' });
    assert.deepEqual(r, { ok: false, error: 'the plan is not open in the editor: open it, then export' });
  });

  test('written by the server: never over the plan, never into a FIFO; a link is followed', async () => {
    const plan = join(ws, 'plan.moeplan');
    const text = smallPlan();
    writeFileSync(plan, text);
    const uri = fileUri(plan);
    await c.open(uri, text);
    await c.resultsFor(uri, 1);
    const over = await c.call(ExportRequest, { uri, format: 'json', outputPath: plan, write: true });
    assert.equal(over.ok, false);
    assert.match(over.error ?? '', /^cannot write '.*plan\.moeplan': is the plan itself/);
    assert.equal(readFileSync(plan, 'utf8'), text);
    execFileSync('mkfifo', [join(ws, 'out.fifo')]);
    const fifo = await c.call(ExportRequest, { uri, format: 'json', outputPath: join(ws, 'out.fifo'), write: true });
    assert.match(fifo.error ?? '', /is a FIFO/);
    assert.ok(lstatSync(join(ws, 'out.fifo')).isFIFO());
    mkdirSync(join(ws, 'real'));
    symlinkSync('real/out.json', join(ws, 'out.json'));
    const ok = await c.call(ExportRequest, { uri, format: 'json', outputPath: join(ws, 'out.json'), write: true });
    assert.equal(ok.ok, true, ok.error);
    assert.equal(ok.written, join(ws, 'real', 'out.json'));
    assert.equal(ok.content, undefined);
    assert.ok(existsSync(join(ws, 'real', 'out.json')) && lstatSync(join(ws, 'out.json')).isSymbolicLink());
  });
});
