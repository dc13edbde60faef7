// @vscode/test-electron integration tests: the code-server suite's checks run
// through the VS Code API inside a desktop VS Code, when one is available.
// This machine kind has none (test-electron would download it from Microsoft,
// which is unreachable), so without MOEPLAN_VSCODE_PATH the test is SKIPPED
// with the reason printed — reported as skipped, never as passed.
//   MOEPLAN_VSCODE_PATH=/path/to/code npm test -- e2e
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { projectRoot } from '../../scripts/e2e/setup.js';
import { isolatedEnv } from '../../scripts/e2e/codeServer.js';
import { buildOnce, checkWithCli, examplePlan, findToken, formatWithCli, makeBrokenPlan, makeMessyPlan } from './plans.js';
import type { CheckRecord, ElectronConfig } from './electron/suite.js';

const vscodePath = process.env.MOEPLAN_VSCODE_PATH;

describe('@vscode/test-electron: the same checks through the VS Code API', { timeout: 15 * 60_000 }, () => {
  it('runs the in-editor suite in a desktop VS Code (MOEPLAN_VSCODE_PATH)', async (t: TestContext) => {
    if (!vscodePath) {
      t.skip(
        'NOT RUN: MOEPLAN_VSCODE_PATH is not set, and no VS Code desktop build can be downloaded here. ' +
          'The same checks ran in code-server (vscode.test.ts). Set MOEPLAN_VSCODE_PATH to a VS Code binary to run them.',
      );
      return;
    }
    assert.ok(existsSync(vscodePath), `MOEPLAN_VSCODE_PATH=${vscodePath} does not exist`);
    buildOnce();
    const scratch = mkdtempSync(join(tmpdir(), 'moeplan-electron-'));
    try {
      const workspace = join(scratch, 'workspace');
      cpSync(join(projectRoot, 'examples'), workspace, { recursive: true });
      const plan = examplePlan(workspace);
      const broken = makeBrokenPlan(workspace, plan);
      const messy = makeMessyPlan(workspace, plan);
      const cli = checkWithCli(broken.path);
      const brokenError = cli.errors.find((e) => e.line === broken.brokenLine) ?? cli.errors[0];
      assert.ok(brokenError, `moeplan check finds no error in the broken plan:\n${cli.raw}`);

      // Bundle the in-host suite (CommonJS, `vscode` provided by the editor).
      const suiteJs = join(scratch, 'suite.js');
      const esbuild = spawnSync(
        process.execPath,
        [
          join(projectRoot, 'node_modules', 'esbuild', 'bin', 'esbuild'),
          join(projectRoot, 'test', 'e2e', 'electron', 'suite.ts'),
          '--bundle',
          '--platform=node',
          '--format=cjs',
          '--external:vscode',
          `--outfile=${suiteJs}`,
        ],
        { encoding: 'utf8' },
      );
      assert.equal(esbuild.status, 0, `bundling the suite failed:\n${esbuild.stderr}`);

      const results = join(scratch, 'results.json');
      const config: ElectronConfig = {
        workspace,
        results,
        plan: plan.name,
        brokenPlan: broken.name,
        brokenLine: broken.brokenLine,
        brokenCode: brokenError.code,
        presetOriginal: broken.original,
        messyPlan: messy.name,
        messyFormatted: formatWithCli(messy.path),
        expert: findToken(plan.text, plan.expertToken),
      };
      const configFile = join(scratch, 'config.json');
      writeFileSync(configFile, JSON.stringify(config));

      const { runTests } = await import('@vscode/test-electron');
      const env = isolatedEnv(scratch);
      const exit = await runTests({
        vscodeExecutablePath: vscodePath,
        extensionDevelopmentPath: projectRoot,
        extensionTestsPath: suiteJs,
        extensionTestsEnv: { MOEPLAN_ELECTRON_CONFIG: configFile, HOME: env.HOME, TMPDIR: env.TMPDIR },
        launchArgs: [
          workspace,
          '--disable-extensions',
          '--disable-workspace-trust',
          '--skip-welcome',
          '--skip-release-notes',
          `--user-data-dir=${join(scratch, 'user-data')}`,
          `--extensions-dir=${join(scratch, 'extensions')}`,
        ],
      }).catch((e: unknown) => e);
      assert.ok(existsSync(results), `the suite wrote no results (runTests: ${String(exit)})`);
      const records = JSON.parse(readFileSync(results, 'utf8')) as CheckRecord[];
      for (const r of records) {
        await t.test(r.name, () => assert.ok(r.ok, r.detail));
      }
      assert.equal(records.length, 9, `expected 9 checks, the suite reported ${records.length}`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
