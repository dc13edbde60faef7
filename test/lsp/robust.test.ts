// Over the real protocol: traces named as folders and globs go through the
// trust check file by file (untrusted, a folder inside the workspace is
// read, a link in it that leads out is not, a glob whose folder is outside
// is refused); the results carry held-out figures and the lenses show them
// over the workload's sources, each workload of a mixture against its own
// best.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CodeLens } from 'vscode-languageserver-protocol';
import { SolveRequest } from '../../server/src/protocol';
import { LspClient, fileUri } from './harness';
import { smallPlan } from './plans';

const SECRET = 'TOPSECRET-robust-41c2';

/** A plan of the small test plan with these workload lines instead of its synthetic source. */
const withSources = (lines: string) => smallPlan().replace(/ {2}synthetic tokens .*\n/, lines);

/** A JSONL trace for Mixtral's 32 MoE layers: `tokens` tokens of one request each `perRequest`, with positions. */
function mixtralTrace(tokens: number, shift: number, perRequest = 10): string {
  const lines: string[] = [];
  for (let t = 0; t < tokens; t++)
    for (let l = 0; l < 32; l++)
      lines.push(
        JSON.stringify({
          request_id: `q${Math.floor(t / perRequest)}`,
          token_idx: t % perRequest,
          layer: l,
          experts: [(t * shift + l) % 8, (t * shift + l + 3) % 8],
        }),
      );
  return lines.join('\n') + '\n';
}

describe('folders and globs of traces in an untrusted workspace', () => {
  let c: LspClient;
  let top: string;
  let ws: string;
  before(async () => {
    top = mkdtempSync(join(tmpdir(), 'moeplan-robust-lsp-'));
    ws = join(top, 'ws');
    mkdirSync(join(ws, 'logs'), { recursive: true });
    mkdirSync(join(top, 'outside'));
    writeFileSync(join(top, 'outside', 'secret.jsonl'), `${SECRET} not a trace\n`);
    writeFileSync(join(ws, 'logs', 'r-1.jsonl'), mixtralTrace(30, 1));
    writeFileSync(join(ws, 'logs', 'r-2.jsonl'), mixtralTrace(30, 3));
    symlinkSync(join(top, 'outside', 'secret.jsonl'), join(ws, 'logs', 'r-3.jsonl')); // a log that leads out
    writeFileSync(join(ws, 'code.jsonl'), mixtralTrace(40, 5));
    c = await LspClient.start({ workspace: ws, trusted: false });
  });
  after(async () => {
    await c.stop();
    rmSync(top, { recursive: true, force: true });
  });

  test('a folder inside is read file by file; a link in it that leads out is skipped, its bytes nowhere', async () => {
    const uri = fileUri(join(ws, 'folder.moeplan'));
    await c.open(uri, withSources('  trace "logs/"\n'));
    const r = (await c.call(SolveRequest, { uri }))!;
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.match(r.results!.workload.notes.join('\n'), /read 2 files of logs\/ as one trace/);
    assert.ok(!JSON.stringify(r).includes(SECRET));
    await c.close(uri);
  });

  test('a glob whose folder is outside the workspace is refused without listing it', async () => {
    const uri = fileUri(join(ws, 'glob.moeplan'));
    await c.open(uri, withSources(`  trace "${join(top, 'outside')}/*.jsonl"\n`));
    const r = (await c.call(SolveRequest, { uri }))!;
    assert.equal(r.error?.kind, 'untrusted', JSON.stringify(r.error));
    assert.match(r.error?.message ?? '', /outside the workspace \(links followed\)/);
    assert.ok(!JSON.stringify(r).includes(SECRET));
    await c.close(uri);
  });

  test('two workloads: held-out figures, and lenses over each source (held out; its figure against its own best)', async () => {
    const uri = fileUri(join(ws, 'mix.moeplan'));
    const text = withSources('  trace "logs/r-*.jsonl" weight 3\n  trace "code.jsonl"\n  mix worst\n');
    await c.open(uri, text);
    const r = (await c.call(SolveRequest, { uri }))!;
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    const res = r.results!;
    assert.deepEqual(
      res.workloads!.map((w) => [w.name, w.share]),
      [
        ['logs/r-*.jsonl', 0.75],
        ['code.jsonl', 0.25],
      ],
    );
    assert.equal(res.mix, 'worst');
    assert.ok(res.heldOut && Number.isFinite(res.heldOut.latencyUs) && Number.isFinite(res.heldOut.expectedTime));
    assert.ok(res.layers.every((l) => l.heldOut && l.workloads?.length === 2));
    const lenses = await c.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
    const lines = text.split('\n');
    const at = (needle: string) => lenses.filter((l) => lines[l.range.start.line].includes(needle)).map((l) => l.command?.title ?? '');
    const first = at('trace "logs/');
    assert.ok(
      first.some((t) => /^held out: .+ per layer \((?:[+-]\d+\.\d%|0\.0%) vs in sample\) · EPLB held out /.test(t)),
      first.join(' | '),
    );
    assert.ok(
      first.some((t) => /^75\.0% of the mix: .* vs its own best/.test(t)),
      first.join(' | '),
    );
    assert.ok(at('trace "code.jsonl"').some((t) => /^25\.0% of the mix: /.test(t)));
    await c.close(uri);
  });
});
