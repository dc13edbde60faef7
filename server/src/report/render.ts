// One self-contained HTML file with the placement view's charts: the webview
// bundle and its CSS inlined, the results inlined as JSON in a data block
// (never executed), no network, and a CSP that allows only the inlined script
// and style by hash. The key figures are also written as plain text so the
// file reads without scripts and CI logs can grep it.
import { createHash } from 'node:crypto';
import type { PlanResults } from '../protocol';
import { loadWebviewBundle, type WebviewBundle } from './bundle';
import { keyFigures } from './keyFigures';
import { REPORT_THEME_CSS } from './reportTheme';
import * as show from '../display';
import { objectiveName } from '../feedback/objective';

interface ReportOptions {
  title: string;
  /** The plan's text, shown in a collapsed section. */
  planText?: string;
  /** Shown under the title (e.g. the plan's path). */
  source?: string;
  /** Defaults to dist/webview.js and dist/webview.css. */
  bundle?: WebviewBundle;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** JSON that cannot end its <script> block early or open an HTML comment. */
export function jsonForScriptBlock(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Script text safe inside <script>…</script>. */
function inlineScript(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

function inlineStyle(css: string): string {
  return css.replace(/<\/(style)/gi, '<\\/$1');
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

function layerTable(r: PlanResults): string {
  const us = r.layers.some((l) => Number.isFinite(l.latencyUs));
  const usFirst = us && objectiveName(r) === 'latency';
  const usHead = us ? '<th scope="col">µs</th><th scope="col">EPLB µs</th><th scope="col">bound µs</th>' : '';
  const etHead = '<th scope="col">E[T]</th><th scope="col">EPLB</th><th scope="col">bound</th><th scope="col">contiguous</th>';
  const rows = r.layers
    .map((l) => {
      const usCells = us
        ? `<td>${show.micros(l.latencyUs)}</td><td>${show.micros(l.baselinesUs?.eplb ?? NaN)}</td><td>${show.micros(l.lowerBoundUs ?? NaN)}</td>`
        : '';
      const etCells =
        `<td>${show.expectedTime(l.expectedTime)}</td><td>${show.expectedTime(l.baselines.eplb)}</td><td>${show.expectedTime(l.lowerBound)}</td>` +
        `<td>${show.expectedTime(l.baselines.contiguous)}</td>`;
      return `<tr><th scope="row">${l.layer}</th>${usFirst ? usCells + etCells : etCells + usCells}</tr>`;
    })
    .join('\n');
  return `<table class="figures"><thead><tr><th scope="col">layer</th>${usFirst ? usHead + etHead : etHead + usHead}</tr></thead>\n<tbody>\n${rows}\n</tbody></table>`;
}

/** The first few notes in a list, the rest folded (same as the view). */
function notesHtml(notes: string[]): string {
  if (!notes.length) return '';
  const li = (list: string[]) => list.map((n) => `<li>${escapeHtml(n)}</li>`).join('');
  const shown = notes.length > 4 ? 3 : notes.length;
  let html = `<ul class="notes">${li(notes.slice(0, shown))}</ul>\n`;
  if (notes.length > shown)
    html += `<details class="notes-more"><summary>${notes.length - shown} more notes</summary><ul class="notes">${li(notes.slice(shown))}</ul></details>\n`;
  return html;
}

export function renderReport(results: PlanResults, opts: ReportOptions): string {
  const bundle = opts.bundle ?? loadWebviewBundle();
  const script = inlineScript(bundle.js);
  const style = inlineStyle(`${REPORT_THEME_CSS}\n${bundle.css}`);
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(script)}`,
    `style-src ${sha256(style)}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const figures = keyFigures(results)
    .map((f) => `<div title="${escapeHtml(f.hint)}"><dt>${escapeHtml(f.label)}</dt><dd>${escapeHtml(f.value)}</dd></div>`)
    .join('\n');
  const notes = [...new Set([...results.notes, ...results.workload.notes])];
  const data = jsonForScriptBlock({ results, planName: opts.title });
  const title = escapeHtml(opts.title);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="moeplan report">
<title>${title} — moeplan placement report</title>
<style>${style}</style>
</head>
<body class="moeplan-report">
<header class="header" id="report-header">
<h1>Placement — ${title}</h1>
${opts.source ? `<p class="report-meta">${escapeHtml(opts.source)}</p>\n` : ''}<dl class="key-figures" id="key-figures">
${figures}
</dl>
${notesHtml(notes)}<noscript><p>The charts need JavaScript; every figure above and in the tables below is complete without it.</p></noscript>
</header>
<main id="app" data-static-header="true" aria-label="Expert placement"></main>
<details class="report-details"><summary>Per-layer figures (E[T] in expert-time units)</summary>
${layerTable(results)}
</details>
${opts.planText !== undefined ? `<details class="report-details"><summary>Plan</summary><pre>${escapeHtml(opts.planText)}</pre></details>\n` : ''}<p class="report-footer">Generated by moeplan. E[T]: expected number of experts the busiest GPU runs for one token (Beaumont et al., Euro-Par 2025); µs from the plan's hardware at batch ${results.workload.batch}.</p>
<script type="application/json" id="moeplan-data">${data}</script>
<script>${script}</script>
</body>
</html>
`;
}
