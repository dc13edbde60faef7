// The extension in a real VS Code workbench (code-server 4.139.1, VS Code
// 1.139), packaged as a .vsix and installed the way a user installs it,
// driven from Debian's Chromium. Every check looks at what a user sees: token
// colours, squiggles, the Problems panel, hovers, code lenses, suggestions,
// the quick-fix menu, the placement view's charts, and the file on disk.
// Expected values come from the CLI on the same files, never hard-coded.
// Screenshots: artifacts/e2e/vscode-*.png (key steps, and FAILED-* on failure).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../scripts/e2e/setup.js';
import { launchWorkbench, waitUntil, withFailureShot, type Workbench } from '../../scripts/e2e/harness.js';
import { trackedPids } from '../../scripts/e2e/processes.js';
import { buildOnce, checkWithCli, examplePlan, findToken, formatWithCli, makeBrokenPlan, makeMessyPlan, type ExamplePlan } from './plans.js';

const EDITOR = '.editor-group-container .monaco-editor';

/** The tab of `name`, marked dirty (unsaved changes) or not. */
const tab = (w: Workbench, name: string, dirty: boolean) =>
  // By resource name: the placement view's tab ("Placement: x.moeplan") must not match.
  w.page.locator(`.tabs-container .tab[data-resource-name="${name}"]${dirty ? '.dirty' : ':not(.dirty)'}`).first();

/** Saves the active editor (Ctrl+S) and waits until its tab is clean, so the file on disk is complete. */
async function save(w: Workbench, name: string): Promise<void> {
  await w.page.locator('.editor-group-container .monaco-editor.focused').first().waitFor({ timeout: 10_000 });
  await w.page.keyboard.press('Control+S');
  await tab(w, name, false).waitFor({ timeout: 15_000 });
}

describe('moeplan in VS Code (code-server + Chromium)', { timeout: 20 * 60_000 }, () => {
  let wb: Workbench | undefined;
  let plan: ExamplePlan;
  let broken: ReturnType<typeof makeBrokenPlan>;
  let messy: { name: string; text: string };

  const shot = async (label: string) => {
    if (wb) await wb.screenshot(label);
  };
  const step = <T>(label: string, fn: (w: Workbench) => Promise<T>) =>
    withFailureShot(wb, label, () => {
      if (!wb) throw new Error('the workbench did not start (see the before hook)');
      return fn(wb);
    });
  const onDisk = (name: string) => readFileSync(join(wb!.workspace, name), 'utf8');

  before(async () => {
    buildOnce();
    const gen = mkdtempSync(join(tmpdir(), 'moeplan-e2e-gen-'));
    try {
      plan = examplePlan(join(projectRoot, 'examples'));
      broken = makeBrokenPlan(gen, plan);
      const m = makeMessyPlan(gen, plan);
      messy = { name: m.name, text: readFileSync(m.path, 'utf8') };
      wb = await launchWorkbench({
        name: 'vscode',
        extraFiles: {
          [broken.name]: readFileSync(broken.path, 'utf8'),
          [messy.name]: messy.text,
          'completion.moeplan': '',
        },
      });
      await shot('workbench-ready');
    } finally {
      rmSync(gen, { recursive: true, force: true });
    }
  });

  after(async () => {
    if (wb) {
      const errors = wb.consoleErrors.filter((e) => !/gallery|404|Failed to load resource/i.test(e));
      if (errors.length) process.stderr.write(`[e2e] console errors seen in the workbench:\n  ${errors.slice(0, 20).join('\n  ')}\n`);
      await wb.close();
    }
    assert.deepEqual(trackedPids(), [], 'processes left running after the suite');
  });

  it('colours a plan: keywords, presets and numbers in different colours; language shown as moeplan', () =>
    step('highlighting', async (w) => {
      await w.openFile(plan.name);
      await w.page.locator('#status\\.editor\\.mode', { hasText: /moeplan/i }).waitFor({ timeout: 30_000 });
      // Colour of each visible token, by its text; colours settle once the
      // grammar and the server's semantic tokens have both been applied.
      let last = '';
      const seen = await waitUntil('distinct colours for keywords, numbers and presets', 30_000, async () => {
        const tokens = (
          await w.page
            .locator(`${EDITOR} .view-lines .view-line span > span`)
            .evaluateAll((spans) => spans.map((s) => ({ text: (s.textContent ?? '').replace(/\u00a0/g, ' ').trim(), color: getComputedStyle(s).color })))
        ).filter((t) => t.text);
        const keyword = tokens.find((t) => t.text === 'model');
        const number = tokens.find((t) => /^\d+(\.\d+)?$/.test(t.text));
        const comment = tokens.find((t) => t.text.startsWith('#'));
        const colours = new Set(tokens.map((t) => t.color));
        last = JSON.stringify({ keyword, number, comment, colours: [...colours] });
        return keyword && number && colours.size >= 3 && keyword.color !== number.color && (!comment || comment.color !== keyword.color)
          ? { keyword, number, colours }
          : undefined;
      }).catch((e: Error) => {
        throw new Error(`${e.message}; last seen: ${last}`);
      });
      assert.ok(seen.colours.size >= 3);
      await shot('highlighting');
    }));

  it('completion offers the model presets after `model `', () =>
    step('completion', async (w) => {
      const preset = plan.text.match(plan.modelToken.pattern)![1]!;
      await w.openFile('completion.moeplan');
      await w.page.keyboard.type('model ');
      await w.page.keyboard.press('Control+Space');
      const row = w.page.locator('.suggest-widget .monaco-list-row', { hasText: preset }).first();
      await row.waitFor({ timeout: 30_000 });
      const labels = await w.page.locator('.suggest-widget .monaco-list-row .label-name').allInnerTexts();
      assert.ok(
        labels.some((l) => l.trim() === preset),
        `suggestions ${labels.join(', ')} lack the preset ${preset}`,
      );
      await shot('completion');
      await row.click();
      await waitUntil(`the editor to read "model ${preset}"`, 10_000, async () => (await w.editorText()).includes(`model ${preset}`));
    }));

  it('shows an error squiggle and a Problems entry with its code on a broken plan', () =>
    step('problems', async (w) => {
      const cli = checkWithCli(join(w.workspace, broken.name));
      assert.ok(cli.errors.length > 0, `moeplan check finds no error in ${broken.name}:\n${cli.raw}`);
      const expected = cli.errors.find((e) => e.line === broken.brokenLine) ?? cli.errors[0]!;
      await w.openFile(broken.name);
      await w.page.locator(`${EDITOR} .squiggly-error`).first().waitFor({ timeout: 30_000 });
      await w.page.keyboard.press('Control+Shift+M');
      const panel = w.page.locator('.markers-panel');
      await panel.waitFor({ timeout: 15_000 });
      const entry = panel.locator('.monaco-list-row', { hasText: expected.code }).first();
      await entry.waitFor({ timeout: 15_000 });
      const text = await entry.innerText();
      assert.match(
        text,
        new RegExp(`${expected.line}\\s*,\\s*${expected.column}|Ln ${expected.line}|\\[${expected.line}`),
        `Problems entry "${text}" is not at line ${expected.line}`,
      );
      await shot('problems');
      await w.page.keyboard.press('Control+Shift+M'); // close the panel again
    }));

  it('applies the quick fix for the misspelt preset and the error goes away', () =>
    step('quickfix', async (w) => {
      await w.openFile(broken.name);
      const pos = findToken(readFileSync(join(w.workspace, broken.name), 'utf8'), plan.modelToken);
      await w.goTo(pos.line + 1, pos.character + 2);
      await w.page.keyboard.press('Control+.');
      const item = w.page.locator('.action-widget .monaco-list-row', { hasText: broken.original }).first();
      await item.waitFor({ timeout: 20_000 });
      await shot('quickfix-menu');
      await item.click();
      await waitUntil('the fixed preset in the editor', 10_000, async () => (await w.editorText()).includes(`model ${broken.original}`));
      await waitUntil('the squiggle to disappear', 30_000, async () => (await w.page.locator(`${EDITOR} .squiggly-error`).count()) === 0);
      await save(w, broken.name);
      assert.equal(onDisk(broken.name), plan.text, 'after the fix the saved plan should equal the original example');
      await shot('quickfix-applied');
    }));

  it('"Solve Now" shows the code lens with µs per layer and E[T] beside it; a hover on an expert shows its figures', () =>
    step('solve-lens-hover', async (w) => {
      await w.openFile(plan.name);
      await w.runCommand('moeplan: Solve Now');
      const lens = w.page.locator(`${EDITOR} .codelens-decoration`, { hasText: 'per layer at batch' }).first();
      await lens.waitFor({ timeout: 120_000 });
      const lensText = await lens.innerText();
      assert.match(lensText, /\d+(\.\d+)?\s*(µs|ms) per layer at batch \d+/, `code lens "${lensText}" does not lead with µs per layer at the plan's batch`);
      assert.match(lensText, /E\[T\]\s*\d/, `code lens "${lensText}" carries no E[T] figure beside it`);
      await shot('code-lens');

      const pos = findToken(plan.text, plan.expertToken);
      await w.goTo(pos.line + 1, pos.character + 1);
      await w.runCommand('Show or Focus Hover');
      // The hover may first show only a diagnostic at that spot; the server's part follows.
      const hover = w.page.locator('.monaco-hover:not(.hidden)').first();
      const text = await waitUntil('a hover naming the expert', 30_000, async () => {
        const t = await hover.innerText().catch(() => '');
        return /expert\s*\d+/i.test(t) ? t : undefined;
      });
      assert.match(text, /E\[T\][^\n]*\d+\.\d+/, `hover "${text}" shows no E[T] figure`);
      assert.match(text, /\d+(\.\d+)?\s*(%|µs|us)/, `hover "${text}" shows no load share or time`);
      await shot('hover-expert');
      await w.page.keyboard.press('Escape');
    }));

  it('opens the placement view with its charts drawn', () =>
    step('placement-view', async (w) => {
      await w.openFile(plan.name);
      await w.runCommand('moeplan: Show Placement View');
      const inner = w.page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      await inner.locator('canvas').first().waitFor({ timeout: 60_000 });
      const drawn = await waitUntil('charts with pixels on their canvases', 60_000, async () => {
        const stats = await inner.locator('canvas').evaluateAll((canvases) =>
          canvases.map((c) => {
            const cv = c as HTMLCanvasElement;
            const ctx = cv.getContext('2d');
            if (!ctx || cv.width === 0 || cv.height === 0) return { w: cv.width, h: cv.height, painted: 0, colours: 0 };
            const data = ctx.getImageData(0, 0, cv.width, cv.height).data;
            let painted = 0;
            const colours = new Set<number>();
            for (let i = 0; i < data.length; i += 4 * 7) {
              if (data[i + 3]! > 0) {
                painted++;
                colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
              }
            }
            return { w: cv.width, h: cv.height, painted, colours: colours.size };
          }),
        );
        const good = stats.filter((s) => s.painted > 50 && s.colours >= 3);
        return good.length >= 2 ? stats : undefined;
      });
      assert.ok(drawn.length >= 2, 'the placement view has fewer than two canvases');
      await shot('placement-view');
    }));

  it('"apply placement" writes the solver\'s placement into the plan; saved, the file on disk changes', () =>
    step('apply-placement', async (w) => {
      await w.openFile(plan.name);
      const before = onDisk(plan.name);
      await w.runCommand('moeplan: Solve Now');
      await w.page.locator(`${EDITOR} .codelens-decoration`, { hasText: 'E[T]' }).first().waitFor({ timeout: 120_000 });
      await w.runCommand("moeplan: Write the Solver's Placement into the Plan");
      await tab(w, plan.name, true).waitFor({ timeout: 30_000 });
      await save(w, plan.name);
      const after = onDisk(plan.name);
      assert.notEqual(after, before, 'the plan on disk did not change');
      assert.match(after, /^\s*gpu\s+\d+\s*:/m, 'the written plan has no committed `gpu N:` line');
      const cli = checkWithCli(join(w.workspace, plan.name));
      assert.deepEqual(cli.errors, [], `the written plan does not check clean:\n${cli.raw}`);
      // Saving re-solves. Each written layer's lens then compares the committed
      // placement with the solver's: they should agree (within the 5% the
      // "committed is slower" warning allows).
      let lastLenses: string[] = [];
      await waitUntil("layer lenses showing the written placement as fast as the solver's", 120_000, async () => {
        lastLenses = await w.page.locator(`${EDITOR} .codelens-decoration`).allInnerTexts();
        // e.g. "layer 0: committed 414 µs · E[T] 1.327 · search 414 µs · 18.8% faster than EPLB"
        const micros = (value: string, unit: string) =>
          Number(value.replace(/,/g, '')) * ({ ns: 1e-3, µs: 1, ms: 1e3, s: 1e6 } as Record<string, number>)[unit];
        const layers = lastLenses
          .map((t) => /^layer \d+: committed ([\d.,]+) (ns|µs|ms|s) · .*?· ([a-z][\w+-]*) ([\d.,]+) (ns|µs|ms|s)\b/.exec(t.trim()))
          .filter((m) => m !== null);
        return layers.length > 0 && layers.every((m) => micros(m[1], m[2]) <= micros(m[4], m[5]) * 1.05);
      }).catch((e: Error) => {
        throw new Error(`${e.message}; lenses: ${JSON.stringify(lastLenses)}`);
      });
      await shot('placement-applied');
    }));

  it('formats a messy plan like `moeplan fmt` does', () =>
    step('format', async (w) => {
      const expected = formatWithCli(join(w.workspace, messy.name));
      assert.notEqual(expected, messy.text, 'the messy plan is already formatted; the test would prove nothing');
      await w.openFile(messy.name);
      await shot('format-before');
      await w.runCommand('Format Document');
      await tab(w, messy.name, true).waitFor({ timeout: 30_000 });
      await save(w, messy.name);
      assert.equal(onDisk(messy.name), expected, 'the saved plan differs from `moeplan fmt` output');
      await shot('format-after');
    }));

  it('"New Plan" opens an untitled moeplan plan from the template, which the server solves on open', () =>
    step('new-plan', async (w) => {
      await w.runCommand('moeplan: New Plan');
      await w.page.locator('#status\\.editor\\.mode', { hasText: /moeplan/i }).waitFor({ timeout: 30_000 });
      await waitUntil('the template in the editor', 15_000, async () => {
        const text = await w.editorText();
        return text.includes('model mixtral-8x7b') && text.includes('policy search 5 s');
      });
      // Opening solves it (moeplan.run = onSave solves on open): the plan-level lens appears
      // in the focused editor, the untitled plan (others may stay visible in other groups).
      await w.page
        .locator('.editor-group-container .monaco-editor.focused .codelens-decoration', { hasText: /per layer/ })
        .first()
        .waitFor({ timeout: 120_000 });
      await shot('new-plan');
    }));

  it('"Show Output" reveals the language server\'s output channel', () =>
    step('show-output', async (w) => {
      await w.runCommand('moeplan: Show Output');
      const channel = await waitUntil('the moeplan channel selected in the Output panel', 15_000, async () => {
        const selected = await w.page
          .locator('.part.panel select')
          .evaluateAll((ss) => ss.map((s) => (s as HTMLSelectElement).selectedOptions[0]?.textContent ?? ''));
        return selected.find((t) => /^moeplan$/i.test(t.trim()));
      });
      assert.match(channel, /moeplan/i);
      await shot('show-output');
    }));

  it('lists the getting-started walkthrough with its four steps', () =>
    step('walkthrough', async (w) => {
      await w.runCommand('Welcome: Open Walkthrough...');
      const row = w.page.locator('.quick-input-list .monaco-list-row', { hasText: 'Get started with moeplan' }).first();
      await row.waitFor({ timeout: 15_000 });
      await row.click();
      for (const title of ['Open a plan', 'Solve it', 'Read the placement view', 'Export it for your engine']) {
        await w.page.locator('.gettingStartedContainer', { hasText: title }).first().waitFor({ timeout: 20_000 });
      }
      await shot('walkthrough');
    }));
});
