// The self-contained HTML report (`moeplan report`).
export { renderReport, escapeHtml, jsonForScriptBlock, type ReportOptions } from './render';
export { keyFigures, type KeyFigure } from './keyFigures';
export { loadWebviewBundle, webviewBundleDir, MissingBundleError, type WebviewBundle } from './bundle';
