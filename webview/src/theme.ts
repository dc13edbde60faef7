// Colours for the canvases, read from VS Code's `--vscode-*` theme variables
// at render time (a canvas ignores CSS). VS Code changes the body's class and
// the variables on <html> when the theme changes; watchTheme redraws then.

type Rgba = [number, number, number, number];

export interface Palette {
  kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
  foreground: string;
  background: string;
  muted: string;
  grid: string;
  focus: string;
  /** A border colour only high-contrast themes set; empty otherwise. */
  contrastBorder: string;
  series: string[];
  blue: string;
  orange: string;
  green: string;
  red: string;
  purple: string;
  yellow: string;
  fontFamily: string;
  fontSize: number;
}

let probe: CanvasRenderingContext2D | null = null;

/** Any CSS colour → [r, g, b, a] with a in 0..1 (via the canvas parser). */
export function parseColor(css: string): Rgba {
  probe ??= document.createElement('canvas').getContext('2d');
  if (!probe) return [128, 128, 128, 1];
  probe.fillStyle = '#000000';
  probe.fillStyle = css;
  const v = String(probe.fillStyle);
  if (v.startsWith('#')) {
    return [parseInt(v.slice(1, 3), 16), parseInt(v.slice(3, 5), 16), parseInt(v.slice(5, 7), 16), 1];
  }
  const m = /rgba?\(([^)]+)\)/.exec(v);
  if (!m) return [128, 128, 128, 1];
  const parts = m[1].split(',').map((s) => parseFloat(s));
  return [parts[0], parts[1], parts[2], parts[3] ?? 1];
}

function rgba([r, g, b, a]: Rgba): string {
  return `rgba(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)}, ${+a.toFixed(3)})`;
}

/** Mix two colours: t = 0 gives a, t = 1 gives b (opaque result over a). */
export function mix(a: string, b: string, t: number): string {
  const ca = parseColor(a);
  const cb = parseColor(b);
  const u = Math.max(0, Math.min(1, t)) * cb[3];
  return rgba([ca[0] + (cb[0] - ca[0]) * u, ca[1] + (cb[1] - ca[1]) * u, ca[2] + (cb[2] - ca[2]) * u, 1]);
}

export function withAlpha(color: string, alpha: number): string {
  const c = parseColor(color);
  return rgba([c[0], c[1], c[2], alpha]);
}

function themeKind(): Palette['kind'] {
  const c = document.body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  if (c.contains('vscode-dark')) return 'dark';
  if (c.contains('vscode-light')) return 'light';
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** Read the palette now. Fallbacks are VS Code's default Dark+/Light+ colours. */
export function readPalette(): Palette {
  const kind = themeKind();
  const dark = kind === 'dark' || kind === 'high-contrast';
  const style = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const foreground = v('--vscode-editor-foreground', v('--vscode-foreground', dark ? '#cccccc' : '#3b3b3b'));
  const background = v('--vscode-editor-background', dark ? '#1f1f1f' : '#ffffff');
  const blue = v('--vscode-charts-blue', dark ? '#3794ff' : '#1a85ff');
  const orange = v('--vscode-charts-orange', dark ? '#d18616' : '#d18616');
  const green = v('--vscode-charts-green', dark ? '#89d185' : '#388a34');
  const red = v('--vscode-charts-red', dark ? '#f14c4c' : '#e51400');
  const purple = v('--vscode-charts-purple', dark ? '#b180d7' : '#652d90');
  const yellow = v('--vscode-charts-yellow', dark ? '#cca700' : '#bf8803');
  const contrastBorder = style.getPropertyValue('--vscode-contrastBorder').trim();
  return {
    kind,
    foreground,
    background,
    muted: v('--vscode-descriptionForeground', mix(background, foreground, 0.7)),
    grid: v('--vscode-charts-lines', withAlpha(foreground, 0.25)),
    focus: v('--vscode-focusBorder', blue),
    contrastBorder,
    series: [blue, orange, green, purple, red, yellow],
    blue,
    orange,
    green,
    red,
    purple,
    yellow,
    fontFamily: v('--vscode-font-family', 'system-ui, sans-serif'),
    fontSize: parseFloat(v('--vscode-font-size', '13')) || 13,
  };
}

/**
 * Call `redraw` after the theme changes: the body's class (VS Code's theme
 * kind), the style on <html> (VS Code's variables) or the system scheme (the
 * report). Coalesced to one call per animation frame.
 */
export function watchTheme(redraw: () => void): () => void {
  let pending = false;
  const schedule = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      redraw();
    });
  };
  const observer = new MutationObserver(schedule);
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  const media = window.matchMedia?.('(prefers-color-scheme: dark)');
  media?.addEventListener('change', schedule);
  return () => {
    observer.disconnect();
    media?.removeEventListener('change', schedule);
  };
}
