// Where the view lives: a VS Code webview (messages to and from the extension,
// state kept across reloads) or the standalone report (data inlined, nothing
// to talk to). The app only sees this interface.
import type { FromWebview, PlanResults } from '../../server/src/protocol';

/** What survives a reload of the webview (VS Code keeps it with setState). */
export interface ViewState {
  results?: PlanResults;
  planName?: string;
  empty?: string;
  layer?: number;
}

export interface Host {
  readonly kind: 'webview' | 'report';
  post(message: FromWebview): void;
  getState(): ViewState | undefined;
  setState(state: ViewState): void;
}

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export function vscodeHost(): Host | null {
  if (typeof acquireVsCodeApi !== 'function') return null;
  const api = acquireVsCodeApi();
  return {
    kind: 'webview',
    post: (m) => api.postMessage(m),
    getState: () => (api.getState() as ViewState | undefined) ?? undefined,
    setState: (s) => api.setState(s),
  };
}

export function reportHost(): Host {
  let state: ViewState | undefined;
  return {
    kind: 'report',
    post: () => undefined,
    getState: () => state,
    setState: (s) => {
      state = s;
    },
  };
}
