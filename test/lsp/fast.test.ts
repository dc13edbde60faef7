// Fast features of the bundled server over stdio: diagnostics on open and
// change (debounced, superseded), completion, hover, formatting, semantic
// tokens, outline, folding, definition, inlay hints, quick fixes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  CodeAction,
  CompletionItem,
  CompletionList,
  DocumentSymbol,
  FoldingRange,
  Hover,
  InlayHint,
  Location,
  SemanticTokens,
  TextEdit,
  Diagnostic,
} from 'vscode-languageserver-protocol';
import { LspClient, fileUri } from './harness';
import { positionOf, smallPlan } from './plans';
import { applyEdits } from '../../server/src/lsp/textDiff';
import { formatText } from '../../server/src/language/formatter';
import { checkText } from '../../server/src/plan/check';
import { RevealRequest } from '../../server/src/protocol';

let c: LspClient;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'moeplan-lsp-'));
  c = await LspClient.start({ workspace: dir });
});
after(async () => {
  await c.stop();
  rmSync(dir, { recursive: true, force: true });
});

const labels = (r: CompletionItem[] | CompletionList | null): string[] => (Array.isArray(r) ? r : (r?.items ?? [])).map((i) => i.label);

async function complete(uri: string, text: string, position: { line: number; character: number }): Promise<string[]> {
  const v = await c.change(uri, text);
  assert.ok(v > 1);
  return labels(await c.request('textDocument/completion', { textDocument: { uri }, position }));
}

describe('fast features', () => {
  test('initialize advertises the features', () => {
    const caps = c.initializeResult.capabilities;
    for (const k of [
      'hoverProvider',
      'completionProvider',
      'codeLensProvider',
      'inlayHintProvider',
      'semanticTokensProvider',
      'documentFormattingProvider',
      'documentRangeFormattingProvider',
      'codeActionProvider',
      'definitionProvider',
      'documentSymbolProvider',
      'foldingRangeProvider',
    ] as const) {
      assert.ok(caps[k], `capability ${k}`);
    }
  });

  test('open publishes diagnostics with codes and doc links; a fix removes them', async () => {
    const uri = fileUri(join(dir, 'bad.moeplan'));
    const text = smallPlan().replace('model mixtral-8x7b', 'model mixtral-8x7');
    await c.open(uri, text);
    const d = await c.diagnosticsFor(uri, 1);
    const unit = d.diagnostics.find((x) => x.range.start.line === positionOf(text, 'mixtral-8x7').line);
    assert.ok(unit, `a diagnostic on the model line, got ${JSON.stringify(d.diagnostics.map((x) => x.message))}`);
    assert.match(String(unit.code), /^MP\d{3}$/);
    assert.match(unit.codeDescription?.href ?? '', /diagnostics\.md#mp\d{3}$/);
    const actions = await c.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: unit.range,
      context: { diagnostics: [unit] },
    });
    const fix = actions.find((a) => a.kind === 'quickfix' && a.edit);
    assert.ok(fix, 'a quick fix for the preset');
    const fixed = applyEdits(text, fix.edit!.changes![uri]!);
    assert.ok(fixed.includes('model mixtral-8x7b\n'), fixed);
    const v = await c.change(uri, fixed);
    const after = await c.diagnosticsFor(uri, v);
    assert.equal(after.diagnostics.filter((x: Diagnostic) => x.severity === 1).length, 0, JSON.stringify(after.diagnostics));
    await c.close(uri);
  });

  test('rapid changes publish diagnostics for the last version only', async () => {
    const uri = fileUri(join(dir, 'rapid.moeplan'));
    const base = smallPlan();
    await c.open(uri, base);
    await c.diagnosticsFor(uri, 1);
    let v = 0;
    for (let i = 0; i < 5; i++) v = await c.change(uri, base.replace('seed 7', `seed ${10 + i}`));
    await c.change(uri, base.replace('model mixtral-8x7b', 'model mixtrall-8x7b'));
    v = c.version(uri);
    const last = await c.diagnosticsFor(uri, v);
    assert.ok(
      last.diagnostics.some((d) => d.message.toLowerCase().includes('mixtral')),
      'the unknown preset is reported',
    );
    const older = c.diagnostics.all.filter((p) => p.uri === uri && p.version !== undefined && p.version > 1 && p.version < v);
    assert.deepEqual(
      older.map((p) => p.version),
      [],
      'superseded versions were not published',
    );
    await c.close(uri);
  });

  test('completion: keywords, presets, units, ids, trace paths', async () => {
    mkdirSync(join(dir, 'traces'), { recursive: true });
    writeFileSync(join(dir, 'traces', 'chat.jsonl'), '');
    writeFileSync(join(dir, 'traces', 'notes.md'), '');
    const uri = fileUri(join(dir, 'complete.moeplan'));
    const base = smallPlan();
    await c.open(uri, base);
    await c.diagnosticsFor(uri, 1);

    const top = base.replace('link nvlink', '\nlink nvlink');
    assert.ok((await complete(uri, top, positionOf(top, '\nlink nvlink', 1))).includes('workload'));

    const preset = base.replace('model mixtral-8x7b', 'model ');
    const presets = await complete(uri, preset, positionOf(preset, 'model ', 6));
    assert.ok(presets.includes('deepseek-v3') && presets.includes('mixtral-8x7b'), presets.join());

    const unit = base.replace('slots 3 per gpu', 'reserve 40 ');
    assert.ok((await complete(uri, unit, positionOf(unit, 'reserve 40 ', 11))).includes('GiB'));

    const inBlock = base.replace('  batch 16 tokens', '  ba');
    const wl = await complete(uri, inBlock, positionOf(inBlock, '  ba', 4));
    assert.ok(wl.includes('batch') && !wl.includes('model'), wl.join());

    const ids = base.replace('gpu 3: 6 7', 'gpu 3: 6 ');
    const experts = await complete(uri, ids, positionOf(ids, 'gpu 3: 6 ', 9));
    assert.ok(experts.includes('7') && !experts.includes('6'), experts.join());

    const trace = base.replace('  synthetic tokens', '  trace "traces/\n  # synthetic tokens');
    const paths = await complete(uri, trace, positionOf(trace, 'trace "traces/', 14));
    assert.deepEqual(paths, ['chat.jsonl']);
    await c.close(uri);
  });

  test('completion offers exactly the keywords the checker accepts in each block', async () => {
    // One plan with a marked line in every kind of block; `subsets { layer … }` and
    // `placement { layer … }` hold different statements.
    const plan = (where: string, line: string) => `model custom {
  layers 2; experts 8; top-k 2; hidden 64; expert-ffn 64
${where === 'model' ? line : ''}
}
gpu custom x 2 {
  memory 80 GB; bandwidth 3 TB/s; compute 900 TFLOPS
${where === 'gpu' ? line : ''}
}
${where === 'top' ? line : ''}
workload {
  subsets {
    subset 0 1: 1
${where === 'subsets' ? line : ''}
    layer 1 {
      subset 0 1: 1
${where === 'subsets-layer' ? line : ''}
    }
  }
${where === 'workload' ? line : ''}
}
placement {
${where === 'placement' ? line : ''}
  layer 0 {
    gpu 0: 0..3
    gpu 1: 4..7
${where === 'layer' ? line : ''}
  }
}
offload {
${where === 'offload' ? line : ''}
}
`;
    const uri = fileUri(join(dir, 'contexts.moeplan'));
    await c.open(uri, plan('top', ''));
    await c.diagnosticsFor(uri, 1);
    for (const where of ['top', 'model', 'gpu', 'workload', 'subsets', 'subsets-layer', 'placement', 'layer', 'offload']) {
      const probe = checkText(plan(where, '    zzqq 1'), join(dir, 'contexts.moeplan'), { fileExists: () => true });
      const unknown = probe.diagnostics.find((d) => d.code === 'MP110' && d.message.includes('`zzqq`'));
      assert.ok(unknown, `${where}: the checker reports the unknown keyword`);
      const accepted = [...unknown.message.split('Known here:')[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).sort();
      assert.ok(accepted.length > 0, unknown.message);
      const text = plan(where, '    ');
      const offered = await complete(uri, text, { line: text.split('\n').indexOf('    '), character: 4 });
      assert.deepEqual([...offered].sort(), accepted, `${where}: completion offers what the checker accepts`);
    }
    await c.close(uri);
  });

  test('completion: preset aliases, subset experts, synthetic options, units already given', async () => {
    const uri = fileUri(join(dir, 'complete2.moeplan'));
    const base = smallPlan();
    await c.open(uri, base);
    await c.diagnosticsFor(uri, 1);
    const at = async (text: string, needle: string) => complete(uri, text, positionOf(text, needle, needle.length));

    const preset = base.replace('model mixtral-8x7b', 'model ');
    const presets = await at(preset, 'model ');
    assert.ok(presets.includes('deepseek-r1') && presets.includes('deepseek-v3') && presets.includes('custom'), presets.join());

    const subsets = base.replace(/ {2}synthetic tokens[^\n]*/, '  subsets {\n    subset 0 1: 1\n    subset 2 \n  }');
    const subsetIds = await at(subsets, 'subset 2 ');
    assert.deepEqual(subsetIds, ['0', '1', '3', '4', '5', '6', '7']);

    const synth = base.replace(/ {2}synthetic tokens[^\n]*/, '  synthetic seed 7 ');
    assert.deepEqual(await at(synth, 'synthetic seed 7 '), ['tokens', 'skew', 'concentration', 'topics', 'weight']);

    for (const line of ['reserve 52GiB ', 'reserve 52 GiB ', 'reserve 20% ', 'slots 3 ']) {
      const text = base.replace('slots 3 per gpu', line);
      assert.deepEqual(await at(text, line), ['per gpu'], line);
    }
    const units = base.replace('slots 3 per gpu', 'reserve 40 ');
    assert.ok((await at(units, 'reserve 40 ')).includes('GiB'));

    const budget = base.replace('policy greedy', 'policy search 10 ');
    assert.ok((await at(budget, 'policy search 10 ')).includes('s'));

    const pin = base.replace('pin expert 0 on gpu 0 layer 0', 'pin expert 0 on gpu 0 layer 0 ');
    assert.deepEqual(await at(pin, 'layer 0 '), []);

    const oneLine = base.replace('  batch 16 tokens', '  batch 16 tokens; ');
    const afterSemicolon = await at(oneLine, 'batch 16 tokens; ');
    assert.ok(afterSemicolon.includes('phase') && afterSemicolon.includes('trace'), afterSemicolon.join());
    await c.close(uri);
  });

  test('hover on model and hardware fields shows figures with sources', async () => {
    const uri = fileUri(join(dir, 'hover.moeplan'));
    const text = smallPlan();
    await c.open(uri, text);
    await c.diagnosticsFor(uri, 1);
    const h = await c.request<Hover>('textDocument/hover', { textDocument: { uri }, position: positionOf(text, 'mixtral-8x7b', 2) });
    const md = (h.contents as { value: string }).value;
    assert.match(md, /Mixtral/);
    assert.match(md, /bytes per expert/);
    assert.match(md, /336 MiB/);
    const g = await c.request<Hover>('textDocument/hover', { textDocument: { uri }, position: positionOf(text, 'slots 3', 1) });
    assert.match((g.contents as { value: string }).value, /expert slots per GPU \| 3/);
    await c.close(uri);
  });

  test('formatting returns minimal edits that produce the formatter output; range formatting stays in range', async () => {
    const uri = fileUri(join(dir, 'fmt.moeplan'));
    const text = smallPlan().replace('gpu h100-sxm x 4', 'gpu   h100-sxm   x 4').replace('    gpu 1: 2 3', 'gpu 1:   2   3');
    await c.open(uri, text);
    await c.diagnosticsFor(uri, 1);
    const edits = await c.request<TextEdit[]>('textDocument/formatting', { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } });
    const expected = formatText(text);
    assert.ok('text' in expected);
    assert.equal(applyEdits(text, edits), expected.text);
    assert.equal(edits.length, 2, JSON.stringify(edits));
    const line = positionOf(text, 'gpu   h100').line;
    const ranged = await c.request<TextEdit[]>('textDocument/rangeFormatting', {
      textDocument: { uri },
      range: { start: { line, character: 0 }, end: { line, character: 5 } },
      options: { tabSize: 2, insertSpaces: true },
    });
    assert.equal(ranged.length, 1);
    assert.equal(ranged[0]!.range.start.line, line);
    await c.close(uri);
  });

  test('moeplan/reveal answers where the plan writes an expert or a GPU of a layer, from the open text', async () => {
    const uri = fileUri(join(dir, 'reveal.moeplan'));
    const text = smallPlan();
    await c.open(uri, text);
    await c.diagnosticsFor(uri, 1);
    const line = (needle: string) => positionOf(text, needle).line;
    const expert = await c.call(RevealRequest, { uri, target: { kind: 'expert', expert: 5, gpu: 2, layer: 0 } });
    assert.deepEqual(expert?.range, { start: positionOf(text, '4 5', 2), end: positionOf(text, '4 5', 3) });
    const gpu = await c.call(RevealRequest, { uri, target: { kind: 'gpu', gpu: 3, layer: 0 } });
    assert.equal(gpu?.range.start.line, line('gpu 3: 6 7'));
    // Edited but not saved: the answer follows the text the editor holds.
    const moved = text.replace('gpu 3: 6 7', 'gpu 3: 7 6');
    await c.change(uri, moved);
    const after = await c.call(RevealRequest, { uri, target: { kind: 'expert', expert: 6, gpu: 3, layer: 0 } });
    assert.deepEqual(after?.range.start, positionOf(moved, '7 6', 2));
    assert.equal(await c.call(RevealRequest, { uri: fileUri(join(dir, 'not-open.moeplan')), target: { kind: 'gpu', gpu: 0, layer: 0 } }), null);
    await c.close(uri);
  });

  test('semantic tokens, outline, folding, definition, inlay hints', async () => {
    const uri = fileUri(join(dir, 'misc.moeplan'));
    const text = smallPlan();
    await c.open(uri, text);
    await c.diagnosticsFor(uri, 1);
    const legend = c.initializeResult.capabilities.semanticTokensProvider!.legend;
    const st = await c.request<SemanticTokens>('textDocument/semanticTokens/full', { textDocument: { uri } });
    const decoded: { line: number; char: number; len: number; type: string }[] = [];
    let line = 0;
    let char = 0;
    for (let i = 0; i < st.data.length; i += 5) {
      line += st.data[i]!;
      char = st.data[i] === 0 ? char + st.data[i + 1]! : st.data[i + 1]!;
      decoded.push({ line, char, len: st.data[i + 2]!, type: legend.tokenTypes[st.data[i + 3]!]! });
    }
    const at = (needle: string, n = 0) => {
      const p = positionOf(text, needle, 0, n);
      return decoded.find((t) => t.line === p.line && t.char === p.character)?.type;
    };
    assert.equal(at('model'), 'keyword');
    assert.equal(at('mixtral-8x7b'), 'type');
    assert.equal(at('# test plan'), 'comment');
    assert.equal(at('GB/s'), 'unit');
    assert.equal(at('450'), 'number');

    const symbols = await c.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
    const placement = symbols.find((s) => s.name.startsWith('placement'));
    assert.ok(
      placement?.children?.some((s) => s.name === 'layer 0'),
      JSON.stringify(symbols.map((s) => s.name)),
    );

    const folds = await c.request<FoldingRange[]>('textDocument/foldingRange', { textDocument: { uri } });
    assert.ok(folds.some((f) => f.startLine === positionOf(text, 'layer 0 {').line));

    const def = await c.request<Location | null>('textDocument/definition', { textDocument: { uri }, position: positionOf(text, 'layer 0', 6) });
    assert.ok(def && !Array.isArray(def));
    assert.equal(def.range.start.line, positionOf(text, 'layer 0 {').line);

    const hints = await c.request<InlayHint[]>('textDocument/inlayHint', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 100, character: 0 } },
    });
    const text2 = hints.map((h) => String(h.label));
    assert.ok(
      text2.some((l) => /3 slots\/GPU/.test(l)),
      text2.join(' | '),
    );
    assert.ok(
      text2.some((l) => /336 MiB\/expert/.test(l)),
      text2.join(' | '),
    );
    assert.ok(
      text2.some((l) => l === '2/3 slots'),
      text2.join(' | '),
    );
    await c.close(uri);
  });
});
