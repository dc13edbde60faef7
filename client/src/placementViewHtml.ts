// The HTML of the placement view's webview. Pure (no `vscode` import) so the
// webview tests render exactly what the extension serves.
// Strict CSP: nothing by default; scripts only with this page's nonce; styles,
// images and fonts only from the webview's own resource origin (cspSource).

interface PlacementViewHtmlInput {
  /** webview.asWebviewUri(dist/webview.js).toString() */
  scriptUri: string;
  /** webview.asWebviewUri(dist/webview.css).toString() */
  styleUri: string;
  /** webview.cspSource */
  cspSource: string;
  /** Fresh random nonce per render (base64 or hex). */
  nonce: string;
  title?: string;
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function placementViewCsp(cspSource: string, nonce: string): string {
  return ["default-src 'none'", `script-src 'nonce-${nonce}'`, `style-src ${cspSource}`, `img-src ${cspSource} data:`, `font-src ${cspSource}`].join('; ');
}

export function placementViewHtml(input: PlacementViewHtmlInput): string {
  const title = escapeAttr(input.title ?? 'moeplan placement');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(placementViewCsp(input.cspSource, input.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="${escapeAttr(input.styleUri)}">
</head>
<body>
<main id="app" aria-label="Expert placement"></main>
<script nonce="${escapeAttr(input.nonce)}" src="${escapeAttr(input.scriptUri)}"></script>
</body>
</html>
`;
}
