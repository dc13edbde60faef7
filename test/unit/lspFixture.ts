// Editor features in process, without a server process: a plan written with a
// `$0` cursor marker (as in rust-analyzer's fixtures) is analysed as the
// server analyses an edit, and the server's own completion, hover and
// definition handlers are registered on a stand-in connection that only
// records them, then called with the marker's position. What the handlers
// answer here is what an editor gets over the wire.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { CompletionItem, Hover, Location, Position } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { ServerContext } from '../../server/src/lsp/context';
import { analyseText } from '../../server/src/lsp/fastAnalysis';
import { Timings } from '../../server/src/lsp/timings';
import * as completion from '../../server/src/lsp/completion';
import * as hover from '../../server/src/lsp/hover';
import * as definition from '../../server/src/lsp/definition';

export const CURSOR = '$0';

/** The text without its one `$0` marker, and the marker's position. */
export function cursorFixture(marked: string): { text: string; position: Position } {
  const at = marked.indexOf(CURSOR);
  assert.ok(at >= 0 && marked.indexOf(CURSOR, at + 1) < 0, `the fixture needs exactly one ${CURSOR} marker`);
  const before = marked.slice(0, at);
  const line = before.split('\n').length - 1;
  return { text: before + marked.slice(at + CURSOR.length), position: { line, character: at - (before.lastIndexOf('\n') + 1) } };
}

type Handler = (params: unknown, token?: unknown) => unknown;

/** The handlers the server registers for one document, and the document as the server holds it. */
export function inProcessFeatures(text: string, opts: { file?: string; trusted?: boolean } = {}) {
  const file = opts.file ?? join(tmpdir(), 'fixture.moeplan');
  const uri = pathToFileURL(file).href;
  const doc = TextDocument.create(uri, 'moeplan', 1, text);
  const analysis = analyseText(uri, 1, file, text);
  const handlers = new Map<string, Handler>();
  const on = (name: string) => (h: Handler) => {
    handlers.set(name, h);
    return { dispose() {} };
  };
  const ctx = {
    connection: { onCompletion: on('completion'), onHover: on('hover'), onDefinition: on('definition') },
    documents: { get: (u: string) => (u === uri ? doc : undefined), onDidClose: () => ({ dispose() {} }) },
    log: (message: string) => assert.fail(`a handler logged an error: ${message}`),
    trusted: () => opts.trusted ?? true,
    readable: (p: string) => p,
    fast: (u: string) => (u === uri ? analysis : undefined),
    solves: { entry: () => undefined },
    timings: new Timings(0),
  } as unknown as ServerContext;
  for (const feature of [completion, hover, definition]) feature.register(ctx);
  const call = async <R>(name: string, position: Position): Promise<R> => {
    const h = handlers.get(name);
    assert.ok(h, `the server registers no ${name} handler`);
    return (await h({ textDocument: { uri }, position }, { isCancellationRequested: false })) as R;
  };
  return {
    uri,
    analysis,
    completion: (p: Position) => call<CompletionItem[]>('completion', p),
    hover: (p: Position) => call<Hover | null>('hover', p),
    definition: (p: Position) => call<Location | Location[] | null>('definition', p),
  };
}

/** The completion labels at the marker. */
type FixtureOptions = Parameters<typeof inProcessFeatures>[1];

export async function completionsAt(marked: string, opts?: FixtureOptions): Promise<string[]> {
  const { text, position } = cursorFixture(marked);
  return (await inProcessFeatures(text, opts).completion(position)).map((i) => i.label);
}

/** Completion at the marker offers every label of `includes` and none of `excludes` (as Langium's `expectCompletion`). */
export async function expectCompletion(marked: string, expected: { includes?: string[]; excludes?: string[] }, opts?: FixtureOptions): Promise<void> {
  const labels = await completionsAt(marked, opts);
  for (const l of expected.includes ?? []) assert.ok(labels.includes(l), `completion offers '${l}'; it offered ${JSON.stringify(labels)}`);
  for (const l of expected.excludes ?? []) assert.ok(!labels.includes(l), `completion does not offer '${l}'; it offered ${JSON.stringify(labels)}`);
}

/** The hover's markdown at the marker, or undefined when there is none. */
export async function hoverAt(marked: string, opts?: FixtureOptions): Promise<string | undefined> {
  const { text, position } = cursorFixture(marked);
  const h = await inProcessFeatures(text, opts).hover(position);
  return h ? (h.contents as { value: string }).value : undefined;
}

/** Where go-to-definition jumps from the marker: one location, or undefined. */
export async function definitionAt(marked: string, opts?: FixtureOptions): Promise<Location | undefined> {
  const { text, position } = cursorFixture(marked);
  const d = await inProcessFeatures(text, opts).definition(position);
  assert.ok(!Array.isArray(d), 'one definition');
  return d ?? undefined;
}
