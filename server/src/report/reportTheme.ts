// The report has no VS Code around it, so it defines the `--vscode-*`
// variables the view reads: VS Code's Light+ colours by default, Dark+ when
// the reader's system prefers dark, and a high-contrast set when the system
// asks for more contrast. The charts redraw when the system scheme changes.
const light = `
  --vscode-font-family: system-ui, -apple-system, "Segoe UI", Ubuntu, sans-serif;
  --vscode-font-size: 13px;
  --vscode-foreground: #3b3b3b;
  --vscode-editor-foreground: #3b3b3b;
  --vscode-editor-background: #ffffff;
  --vscode-editorWidget-background: #f8f8f8;
  --vscode-descriptionForeground: #5f5f5f;
  --vscode-panel-border: #e5e5e5;
  --vscode-focusBorder: #005fb8;
  --vscode-charts-foreground: #3b3b3b;
  --vscode-charts-lines: rgba(59, 59, 59, 0.2);
  --vscode-charts-blue: #1a85ff;
  --vscode-charts-orange: #d18616;
  --vscode-charts-green: #388a34;
  --vscode-charts-red: #e51400;
  --vscode-charts-purple: #652d90;
  --vscode-charts-yellow: #bf8803;
  --vscode-dropdown-background: #ffffff;
  --vscode-dropdown-foreground: #3b3b3b;
  --vscode-dropdown-border: #cecece;`;

const dark = `
  --vscode-foreground: #cccccc;
  --vscode-editor-foreground: #cccccc;
  --vscode-editor-background: #1f1f1f;
  --vscode-editorWidget-background: #202020;
  --vscode-descriptionForeground: #9d9d9d;
  --vscode-panel-border: #2b2b2b;
  --vscode-focusBorder: #0078d4;
  --vscode-charts-foreground: #cccccc;
  --vscode-charts-lines: rgba(204, 204, 204, 0.2);
  --vscode-charts-blue: #3794ff;
  --vscode-charts-orange: #d18616;
  --vscode-charts-green: #89d185;
  --vscode-charts-red: #f14c4c;
  --vscode-charts-purple: #b180d7;
  --vscode-charts-yellow: #cca700;
  --vscode-dropdown-background: #313131;
  --vscode-dropdown-foreground: #cccccc;
  --vscode-dropdown-border: #3c3c3c;`;

const highContrast = `
  --vscode-foreground: #ffffff;
  --vscode-editor-foreground: #ffffff;
  --vscode-editor-background: #000000;
  --vscode-editorWidget-background: #0c141f;
  --vscode-descriptionForeground: rgba(255, 255, 255, 0.7);
  --vscode-contrastBorder: #6fc3df;
  --vscode-focusBorder: #f38518;
  --vscode-charts-lines: rgba(255, 255, 255, 0.5);
  --vscode-charts-blue: #3794ff;
  --vscode-charts-orange: #d18616;
  --vscode-charts-green: #89d185;
  --vscode-charts-red: #f14c4c;
  --vscode-charts-purple: #b180d7;
  --vscode-charts-yellow: #ffd700;`;

export const REPORT_THEME_CSS = `
body {${light}
}
@media (prefers-color-scheme: dark) {
  body {${dark}
  }
}
@media (prefers-contrast: more), (forced-colors: active) {
  body {${highContrast}
  }
}
.report-meta { color: var(--vscode-descriptionForeground); margin: 0 0 8px; }
details.report-details { margin-top: 16px; }
details.report-details summary { cursor: pointer; font-weight: 600; }
details.report-details pre { overflow-x: auto; padding: 8px; border: 1px solid var(--vscode-panel-border, #8884); }
`;
