// Entry of dist/webview.js (browser iife). Two homes:
// - a VS Code webview: post {type:'ready'}, draw when the extension posts
//   results, keep the last payload with setState and revive it after reload;
// - the HTML report: the payload is inlined as JSON in
//   <script type="application/json" id="moeplan-data">, nothing is posted.
import type { PlanResults, ToWebview } from '../../server/src/protocol';
import { PlacementApp } from './app';
import { reportHost, vscodeHost } from './host';
import './style.css';

interface ReportData {
  results: PlanResults;
  planName: string;
}

function boot(): void {
  const root = document.getElementById('app') ?? document.body.appendChild(document.createElement('div'));
  root.id = 'app';
  const dataEl = document.getElementById('moeplan-data');
  if (dataEl) {
    const app = new PlacementApp(root, reportHost(), { staticHeader: root.dataset.staticHeader === 'true' });
    exposeForTests(app);
    try {
      const data = JSON.parse(dataEl.textContent ?? '') as ReportData;
      app.show(data.results, data.planName);
    } catch (e) {
      app.showEmpty(`The report's data could not be read: ${(e as Error).message}`);
    }
    return;
  }
  const host = vscodeHost();
  if (!host) {
    root.textContent = 'moeplan: no data (this page runs inside VS Code or as a report).';
    return;
  }
  const app = new PlacementApp(root, host);
  exposeForTests(app);
  window.addEventListener('message', (ev: MessageEvent<ToWebview>) => {
    const m = ev.data;
    if (!m || typeof m !== 'object') return;
    if (m.type === 'results') {
      try {
        app.show(m.results, m.planName);
      } catch (e) {
        // A payload this view cannot read (e.g. from a newer server): say so instead of a blank page.
        app.showEmpty(`These results could not be drawn: ${(e as Error).message}`);
      }
    } else if (m.type === 'empty') app.showEmpty(m.message);
  });
  // Revive the last payload (VS Code keeps it across reloads), then ask for fresh data.
  const state = host.getState();
  if (state?.results) app.show(state.results, state.planName ?? '', state.layer);
  else if (state?.empty) app.showEmpty(state.empty);
  host.post({ type: 'ready' });
}

/** Lets tests and the extension's end-to-end suite see render counts. */
function exposeForTests(app: PlacementApp): void {
  (window as unknown as { moeplanView: PlacementApp }).moeplanView = app;
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
