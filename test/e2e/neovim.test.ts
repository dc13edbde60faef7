// A second, independent LSP client: Debian's Neovim 0.7.2, headless, against
// the bundled language server over stdio. Asserts on what Neovim received
// (its stored diagnostics and hover answers), compared with the CLI's verdict
// on the same files.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureE2eTools, projectRoot, type E2eTools } from '../../scripts/e2e/setup.js';
import { runNeovim } from '../../scripts/e2e/neovim.js';
import { buildOnce, checkWithCli, examplePlan, findToken, makeBrokenPlan } from './plans.js';
import { trackedPids } from '../../scripts/e2e/processes.js';

describe('Neovim (headless) as an LSP client of dist/server.js --stdio', { timeout: 15 * 60_000 }, () => {
  let tools: E2eTools;
  let ws: string;
  const serverCmd = () => [process.execPath, join(projectRoot, 'dist', 'server.js'), '--stdio'];

  before(async () => {
    tools = await ensureE2eTools();
    buildOnce();
    ws = mkdtempSync(join(tmpdir(), 'moeplan-nvim-ws-'));
    cpSync(join(projectRoot, 'examples'), ws, { recursive: true });
  });

  it('receives no error diagnostics on a valid example plan, and a hover on an expert with its figures', async (t) => {
    t.after(() => rmSync(ws, { recursive: true, force: true }));
    const plan = examplePlan(ws);
    const cli = checkWithCli(plan.path);
    assert.equal(cli.errors.length, 0, `the CLI finds errors in ${plan.path}; the example should be valid:\n${cli.raw}`);
    const expert = findToken(plan.text, plan.expertToken);
    const model = findToken(plan.text, plan.modelToken);
    const run = await runNeovim({
      nvim: tools.nvim,
      serverCmd: serverCmd(),
      file: plan.path,
      root: ws,
      hovers: [{ ...expert, until: 'E[T]' }, model],
      minPublishes: 1,
      save: true,
      timeoutMs: 90_000,
    });
    assert.equal(run.error, undefined, `Neovim script error: ${run.error}`);
    assert.equal(run.timeout, undefined, `Neovim timed out waiting for ${run.timeout}`);
    assert.ok(run.initialized, 'the server never finished initialising');
    assert.ok(run.publishCount >= 1, 'no publishDiagnostics for the file');
    const errors = run.diagnostics.filter((d) => d.severity === 1);
    assert.deepEqual(errors, [], 'Neovim shows error diagnostics on a valid plan');
    const [expertHover, modelHover] = run.hovers;
    assert.match(expertHover ?? '', /expert\s*\**\s*\d+/i, `hover on ${plan.expertToken.describe} did not name the expert:\n${expertHover}`);
    assert.match(expertHover ?? '', /E\[T\][^\n]*\d+\.\d+/, `after :write (solve), the expert hover shows no E[T] figure:\n${expertHover}`);
    assert.ok((modelHover ?? '').length > 0, `no hover on the model (${plan.modelToken.describe})`);
  });

  it('receives the error diagnostic, with the same line and code as `moeplan check`, on a broken plan', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'moeplan-nvim-broken-'));
    try {
      const broken = makeBrokenPlan(dir);
      const cli = checkWithCli(broken.path);
      assert.ok(cli.errors.length > 0, `the CLI finds no error in the broken plan:\n${cli.raw}`);
      const run = await runNeovim({
        nvim: tools.nvim,
        serverCmd: serverCmd(),
        file: broken.path,
        root: dir,
        waitForDiagnostics: true,
      });
      assert.equal(run.error, undefined, `Neovim script error: ${run.error}`);
      assert.equal(run.timeout, undefined, `Neovim timed out waiting for ${run.timeout}`);
      const errors = run.diagnostics.filter((d) => d.severity === 1);
      assert.ok(errors.length > 0, `Neovim stored no error diagnostic; got ${JSON.stringify(run.diagnostics)}`);
      const first = cli.errors[0]!;
      const match = errors.find((d) => d.lnum + 1 === first.line && String(d.code) === first.code);
      assert.ok(match, `no Neovim diagnostic at line ${first.line} with code ${first.code}; got ${JSON.stringify(errors)}`);
      assert.equal(broken.brokenLine, first.line, 'the CLI reports the error on the line the test broke');
      assert.ok(readFileSync(broken.path, 'utf8').length > 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the init.lua documented for Neovim 0.7 in docs/editors.md attaches the server and shows its diagnostics', async () => {
    const doc = readFileSync(join(projectRoot, 'docs', 'editors.md'), 'utf8');
    const section = doc.slice(doc.indexOf('### Neovim 0.7'));
    const snippet = /```lua\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(snippet, 'docs/editors.md has no lua block under "### Neovim 0.7"');
    const path = /vim\.fn\.expand\('([^']*dist\/server\.js)'\)/.exec(snippet)?.[1];
    assert.ok(path, 'the documented snippet does not name dist/server.js');
    const dir = mkdtempSync(join(tmpdir(), 'moeplan-nvim-doc-'));
    try {
      const init = join(dir, 'init.lua');
      // The reader's checkout path → this checkout; `node` → this Node.
      writeFileSync(
        init,
        snippet
          .replace(`vim.fn.expand('${path}')`, JSON.stringify(join(projectRoot, 'dist', 'server.js')))
          .replace(`{ 'node',`, `{ ${JSON.stringify(process.execPath)},`),
      );
      const broken = makeBrokenPlan(dir);
      const run = await runNeovim({
        nvim: tools.nvim,
        serverCmd: [],
        file: broken.path,
        root: dir,
        init,
        waitForDiagnostics: true,
        minPublishes: 0,
      });
      assert.equal(run.error, undefined, `Neovim script error: ${run.error}`);
      assert.equal(run.timeout, undefined, `Neovim timed out waiting for ${run.timeout}`);
      assert.equal(run.serverName, 'moeplan');
      assert.ok(
        run.diagnostics.some((d) => d.severity === 1 && d.lnum + 1 === broken.brokenLine),
        `no error on line ${broken.brokenLine}: ${JSON.stringify(run.diagnostics)}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('left no process running', () => {
    assert.deepEqual(trackedPids(), []);
  });
});
