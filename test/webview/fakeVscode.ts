// A small stand-in for the `vscode` module, enough for the placement view's
// host (client/src/placementView.ts): panels record the HTML and messages
// they get, editors record their selection. Installed by mapping the module
// name `vscode` to this file before the host is loaded.
import Module from 'node:module';
import { pathToFileURL, fileURLToPath } from 'node:url';

type Listener<T> = (e: T) => void;

class Emitter<T> {
  private listeners: Listener<T>[] = [];
  event = (l: Listener<T>) => {
    this.listeners.push(l);
    return { dispose: () => (this.listeners = this.listeners.filter((x) => x !== l)) };
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly path: string,
  ) {}
  static parse(s: string): Uri {
    const m = /^([a-z][a-z0-9+.-]*):(?:\/\/)?(.*)$/i.exec(s);
    if (!m) throw new Error(`bad uri ${s}`);
    return m[1] === 'file' ? new Uri('file', fileURLToPath(s)) : new Uri(m[1], m[2]);
  }
  static file(p: string): Uri {
    return new Uri('file', p);
  }
  static joinPath(u: Uri, ...parts: string[]): Uri {
    return new Uri(u.scheme, [u.path.replace(/\/$/, ''), ...parts].join('/'));
  }
  get fsPath(): string {
    return this.path;
  }
  with(): Uri {
    return this;
  }
  toString(): string {
    return this.scheme === 'file' ? pathToFileURL(this.path).href : `${this.scheme}://${this.path}`;
  }
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}
export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(sl: number, sc: number, el: number, ec: number) {
    this.start = new Position(sl, sc);
    this.end = new Position(el, ec);
  }
}
export class Selection extends Range {
  constructor(a: Position, b: Position) {
    super(a.line, a.character, b.line, b.character);
  }
}
export const ViewColumn = { One: 1, Two: 2, Beside: -2 };
export const TextEditorRevealType = { InCenterIfOutsideViewport: 2 };

export interface FakeDocument {
  uri: Uri;
  languageId: string;
  getText(): string;
}
export interface FakeEditor {
  document: FakeDocument;
  viewColumn: number;
  selection?: Selection;
  revealed?: Range;
  revealRange(r: Range): void;
}

export class FakePanel {
  readonly posted: unknown[] = [];
  readonly received = new Emitter<unknown>();
  readonly disposed = new Emitter<void>();
  title = '';
  webview = {
    html: '',
    options: {} as unknown,
    cspSource: 'https://webview.test',
    asWebviewUri: (u: Uri) => `https://webview.test${u.path}`,
    postMessage: async (m: unknown) => {
      this.posted.push(m);
      return true;
    },
    onDidReceiveMessage: this.received.event,
  };
  constructor(readonly viewType: string) {}
  onDidDispose = this.disposed.event;
  reveal(): void {}
  dispose(): void {
    this.disposed.fire();
  }
  /** As if the page posted a message. */
  fromPage(m: unknown): void {
    this.received.fire(m);
  }
}

export const state = {
  panels: [] as FakePanel[],
  documents: new Map<string, FakeDocument>(),
  editors: [] as FakeEditor[],
  active: undefined as FakeEditor | undefined,
  serializers: new Map<string, { deserializeWebviewPanel(p: FakePanel, s: unknown): Promise<void> }>(),
  status: [] as string[],
};

const activeChanged = new Emitter<FakeEditor | undefined>();

export function openEditor(path: string, text: string): FakeEditor {
  const uri = Uri.file(path);
  const doc: FakeDocument = { uri, languageId: path.endsWith('.moeplan') ? 'moeplan' : 'plaintext', getText: () => text };
  state.documents.set(uri.toString(), doc);
  const editor: FakeEditor = {
    document: doc,
    viewColumn: 1,
    revealRange(r) {
      this.revealed = r;
    },
  };
  state.editors.push(editor);
  state.active = editor;
  activeChanged.fire(editor);
  return editor;
}

export const window = {
  get activeTextEditor() {
    return state.active;
  },
  get visibleTextEditors() {
    return state.editors;
  },
  onDidChangeActiveTextEditor: activeChanged.event,
  createWebviewPanel(viewType: string, title: string) {
    const p = new FakePanel(viewType);
    p.title = title;
    state.panels.push(p);
    return p;
  },
  registerWebviewPanelSerializer(viewType: string, s: { deserializeWebviewPanel(p: FakePanel, s: unknown): Promise<void> }) {
    state.serializers.set(viewType, s);
    return { dispose() {} };
  },
  async showTextDocument(doc: FakeDocument) {
    const e = state.editors.find((x) => x.document === doc)!;
    state.active = e;
    return e;
  },
  setStatusBarMessage(m: string) {
    state.status.push(m);
    return { dispose() {} };
  },
};

export const workspace = {
  async openTextDocument(uri: Uri) {
    const d = state.documents.get(uri.toString());
    if (!d) throw new Error(`no document ${uri.toString()}`);
    return d;
  },
};

/** Make `require('vscode')` load this module. */
export function installFakeVscode(): void {
  const M = Module as unknown as { _resolveFilename: (req: string, ...rest: unknown[]) => string };
  const original = M._resolveFilename;
  M._resolveFilename = function (req: string, ...rest: unknown[]) {
    if (req === 'vscode') return __filename;
    return original.call(this, req, ...rest);
  };
}
