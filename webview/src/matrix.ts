// The assignment matrix of one layer: GPUs (rows) × experts (columns), drawn
// on one canvas so 256 experts × 32 GPUs stays cheap (no DOM node per cell).
// A cell is filled when the GPU holds a copy of the expert, shaded by the
// load that copy serves; copies of replicated experts carry a marker, and a
// strip above the matrix shows each expert's number of copies.
// Mouse: click a cell (expert) or a row label (GPU) to reveal it in the plan.
// Keyboard: arrows move the cursor, Enter reveals the expert (or the GPU on an
// empty cell), G reveals the GPU; the status line describes the cursor.
import type { LayerResult } from '../../server/src/protocol';
import { copiesPerExpert } from './derive';
import { mix, parseColor, type Palette } from './theme';
import * as show from '../../server/src/display';

/** Relative luminance (0 dark … 1 light) of a CSS colour, to pick readable text on it. */
function luminance(css: string): number {
  const [r, g, b] = parseColor(css).map((v) => v / 255);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

type MatrixTarget = { kind: 'expert'; expert: number; gpu: number } | { kind: 'gpu'; gpu: number };

interface Geometry {
  labelW: number;
  stripH: number;
  gap: number;
  top: number;
  cellW: number;
  cellH: number;
  width: number;
  height: number;
}

export class MatrixView {
  readonly canvas: HTMLCanvasElement;
  private readonly status: HTMLElement;
  private layer: LayerResult | null = null;
  private experts = 0;
  private copies: number[] = [];
  /** holds[g] = set of expert ids on GPU g */
  private holds: Set<number>[] = [];
  private geometry: Geometry | null = null;
  private palette: Palette | null = null;
  private cursor = { gpu: 0, expert: 0 };
  private hover: { gpu: number; expert: number } | null = null;
  private readonly resize: ResizeObserver;

  constructor(
    private readonly host: HTMLElement,
    private readonly onReveal: (target: MatrixTarget) => void,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.id = 'matrix';
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'img');
    this.status = document.createElement('p');
    this.status.className = 'matrix-status';
    this.status.setAttribute('aria-live', 'polite');
    host.append(this.canvas, this.status);
    this.canvas.addEventListener('click', (ev) => this.click(ev));
    this.canvas.addEventListener('mousemove', (ev) => this.move(ev));
    this.canvas.addEventListener('mouseleave', () => {
      this.hover = null;
      this.draw();
    });
    this.canvas.addEventListener('keydown', (ev) => this.key(ev));
    this.canvas.addEventListener('focus', () => {
      this.describe(this.cursor.gpu, this.cursor.expert);
      this.draw();
    });
    this.canvas.addEventListener('blur', () => this.draw());
    let lastWidth = 0;
    this.resize = new ResizeObserver(() => {
      const w = this.host.clientWidth;
      if (w !== lastWidth) {
        lastWidth = w;
        this.draw();
      }
    });
    this.resize.observe(host);
  }

  setLayer(layer: LayerResult, experts: number): void {
    this.layer = layer;
    this.experts = experts;
    this.copies = copiesPerExpert(layer.placement, experts);
    this.holds = layer.placement.map((g) => new Set(g));
    this.cursor = {
      gpu: Math.min(this.cursor.gpu, Math.max(0, layer.placement.length - 1)),
      expert: Math.min(this.cursor.expert, Math.max(0, experts - 1)),
    };
    const unplaced = this.copies.filter((c) => c === 0).length;
    const replicated = this.copies.filter((c) => c > 1).length;
    this.canvas.setAttribute(
      'aria-label',
      `Assignment matrix of layer ${layer.layer}: ${layer.placement.length} GPUs by ${experts} experts; ` +
        `${replicated} experts have extra copies` +
        (unplaced ? `, ${unplaced} are not placed` : '') +
        '. Use the arrow keys to move, Enter to reveal the expert in the plan, G to reveal the GPU.',
    );
    this.status.textContent = 'Click a cell to reveal the expert in the plan, or a GPU label to reveal the GPU.';
  }

  setPalette(palette: Palette): void {
    this.palette = palette;
  }

  private layout(): Geometry {
    const gpus = this.layer?.placement.length ?? 1;
    const fontSize = this.palette?.fontSize ?? 13;
    const labelW = Math.ceil(fontSize * 4.6);
    const stripH = 8;
    const gap = 3;
    const top = stripH + gap;
    const available = Math.max(200, this.host.clientWidth);
    // Wide enough to click, never so wide that a small model's cells turn into bars.
    const cellW = Math.min(56, Math.max(1.5, (available - labelW - 4) / Math.max(1, this.experts)));
    const cellH = Math.max(5, Math.min(22, Math.floor(520 / gpus)));
    const width = Math.ceil(labelW + cellW * this.experts + 2);
    const height = Math.ceil(top + cellH * gpus + fontSize + 8);
    return { labelW, stripH, gap, top, cellW, cellH, width, height };
  }

  /** Paint everything; cheap enough to call on every hover move. */
  draw(): void {
    const layer = this.layer;
    const p = this.palette;
    if (!layer || !p) return;
    const g = (this.geometry = this.layout());
    const dpr = window.devicePixelRatio || 1;
    if (this.canvas.width !== Math.round(g.width * dpr) || this.canvas.height !== Math.round(g.height * dpr)) {
      this.canvas.width = Math.round(g.width * dpr);
      this.canvas.height = Math.round(g.height * dpr);
      this.canvas.style.width = `${g.width}px`;
      this.canvas.style.height = `${g.height}px`;
    }
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, g.width, g.height);
    const gpus = layer.placement.length;
    const experts = this.experts;
    const x0 = g.labelW;

    // Load served by one copy of each expert; shade relative to the largest.
    const perCopy = layer.expertLoad.map((l, e) => (this.copies[e] > 0 ? l / this.copies[e] : 0));
    const maxPerCopy = Math.max(1e-12, ...perCopy);
    const empty = mix(p.background, p.foreground, p.kind.startsWith('high') ? 0.14 : 0.07);
    const lowFill = mix(p.background, p.blue, 0.3);
    const maxCopies = Math.max(1, ...this.copies);

    // Copies strip: darker = more copies; red = not placed anywhere.
    for (let e = 0; e < experts; e++) {
      const c = this.copies[e];
      ctx.fillStyle = c === 0 ? p.red : c === 1 ? empty : mix(p.background, p.orange, 0.35 + (0.65 * (c - 1)) / Math.max(1, maxCopies - 1));
      ctx.fillRect(x0 + e * g.cellW, 0, Math.max(1, g.cellW - (g.cellW > 3 ? 0.5 : 0)), g.stripH);
    }

    // Cells; expert ids inside them when they fit (small models).
    const inset = g.cellW > 4 ? 0.5 : 0;
    const cellFont = Math.min(p.fontSize - 1, g.cellH - 4);
    ctx.font = `${cellFont}px ${p.fontFamily}`;
    const labelled = cellFont >= 9 && ctx.measureText(String(experts - 1)).width + 4 <= g.cellW;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    for (let gpu = 0; gpu < gpus; gpu++) {
      const y = g.top + gpu * g.cellH;
      ctx.fillStyle = empty;
      ctx.fillRect(x0, y, experts * g.cellW, g.cellH - 1);
      for (const e of layer.placement[gpu]) {
        if (e < 0 || e >= experts) continue;
        const t = perCopy[e] / maxPerCopy;
        const fill = mix(lowFill, p.blue, Math.sqrt(t));
        ctx.fillStyle = fill;
        const x = x0 + e * g.cellW;
        ctx.fillRect(x + inset, y, Math.max(1, g.cellW - 2 * inset), g.cellH - 1);
        const marker = Math.max(2, Math.floor(g.cellH / (labelled ? 5 : 3)));
        if (this.copies[e] > 1) {
          // Marker: the top edge of a replicated expert's cell.
          ctx.fillStyle = p.orange;
          ctx.fillRect(x + inset, y, Math.max(1, g.cellW - 2 * inset), marker);
        }
        if (labelled) {
          ctx.fillStyle = luminance(fill) > 0.45 ? '#000000' : '#ffffff';
          ctx.fillText(String(e), x + g.cellW / 2, y + (g.cellH - 1 + (this.copies[e] > 1 ? marker : 0)) / 2);
        }
      }
    }

    // GPU labels (every row when they fit, else every n-th).
    ctx.fillStyle = p.foreground;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    const fontPx = Math.min(p.fontSize, Math.max(9, g.cellH - 2));
    ctx.font = `${fontPx}px ${p.fontFamily}`;
    const every = Math.max(1, Math.ceil((fontPx + 2) / g.cellH));
    for (let gpu = 0; gpu < gpus; gpu += every) {
      ctx.fillText(`GPU ${gpu}`, x0 - 6, g.top + gpu * g.cellH + (g.cellH - 1) / 2);
    }
    // Expert ticks along the bottom.
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const approx = Math.max(1, Math.ceil((fontPx * 3) / g.cellW));
    const step = [1, 2, 4, 5, 8, 10, 16, 20, 25, 32, 50, 64, 100, 128].find((s) => s >= approx) ?? approx;
    const yText = g.top + gpus * g.cellH + 3;
    for (let e = 0; e < experts; e += step) ctx.fillText(String(e), x0 + (e + 0.5) * g.cellW, yText);

    // Hover and keyboard cursor.
    const outline = (gpu: number, expert: number, color: string, width: number) => {
      ctx.strokeStyle = color;
      ctx.lineWidth = width;
      const w = Math.max(g.cellW, 3);
      ctx.strokeRect(x0 + expert * g.cellW - (w - g.cellW) / 2 - 1, g.top + gpu * g.cellH - 1, w + 2, g.cellH + 1);
    };
    if (this.hover) outline(this.hover.gpu, this.hover.expert, p.foreground, 1);
    if (document.activeElement === this.canvas) outline(this.cursor.gpu, this.cursor.expert, p.focus, 2);
  }

  /** Page coordinates of a cell's centre (expert null: the GPU's label). For tests and automation. */
  pointOf(gpu: number, expert: number | null): { x: number; y: number } | null {
    const g = this.geometry;
    if (!g) return null;
    const r = this.canvas.getBoundingClientRect();
    const x = expert === null ? g.labelW / 2 : g.labelW + (expert + 0.5) * g.cellW;
    return { x: r.left + x, y: r.top + g.top + (gpu + 0.5) * g.cellH };
  }

  /** Canvas point → what is under it. */
  hit(x: number, y: number): { gpu: number; expert: number | null } | null {
    const g = this.geometry;
    const layer = this.layer;
    if (!g || !layer) return null;
    const gpu = Math.floor((y - g.top) / g.cellH);
    if (gpu < 0 || gpu >= layer.placement.length) return null;
    if (x < g.labelW) return { gpu, expert: null };
    const expert = Math.floor((x - g.labelW) / g.cellW);
    if (expert < 0 || expert >= this.experts) return null;
    return { gpu, expert };
  }

  private point(ev: MouseEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: ev.clientX - r.left, y: ev.clientY - r.top };
  }

  private click(ev: MouseEvent): void {
    const { x, y } = this.point(ev);
    const h = this.hit(x, y);
    if (!h) return;
    if (h.expert === null) {
      this.onReveal({ kind: 'gpu', gpu: h.gpu });
      return;
    }
    this.cursor = { gpu: h.gpu, expert: h.expert };
    this.reveal(false);
  }

  private move(ev: MouseEvent): void {
    const { x, y } = this.point(ev);
    const h = this.hit(x, y);
    const next = h && h.expert !== null ? { gpu: h.gpu, expert: h.expert } : null;
    this.canvas.style.cursor = h ? 'pointer' : 'default';
    if (next?.gpu === this.hover?.gpu && next?.expert === this.hover?.expert) return;
    this.hover = next;
    if (next) this.describe(next.gpu, next.expert);
    else if (h) this.status.textContent = `GPU ${h.gpu}: click to reveal it in the plan.`;
    this.draw();
  }

  private key(ev: KeyboardEvent): void {
    const layer = this.layer;
    if (!layer) return;
    const gpus = layer.placement.length;
    let { gpu, expert } = this.cursor;
    switch (ev.key) {
      case 'ArrowLeft':
        expert = Math.max(0, expert - 1);
        break;
      case 'ArrowRight':
        expert = Math.min(this.experts - 1, expert + 1);
        break;
      case 'ArrowUp':
        gpu = Math.max(0, gpu - 1);
        break;
      case 'ArrowDown':
        gpu = Math.min(gpus - 1, gpu + 1);
        break;
      case 'Home':
        expert = 0;
        break;
      case 'End':
        expert = this.experts - 1;
        break;
      case 'PageUp':
        expert = Math.max(0, expert - 16);
        break;
      case 'PageDown':
        expert = Math.min(this.experts - 1, expert + 16);
        break;
      case 'Enter':
      case ' ':
        ev.preventDefault();
        this.reveal(false);
        return;
      case 'g':
      case 'G':
        ev.preventDefault();
        this.reveal(true);
        return;
      default:
        return;
    }
    ev.preventDefault();
    this.cursor = { gpu, expert };
    this.describe(gpu, expert);
    this.draw();
  }

  private reveal(gpuOnly: boolean): void {
    const { gpu, expert } = this.cursor;
    if (gpuOnly || !this.holds[gpu]?.has(expert)) this.onReveal({ kind: 'gpu', gpu });
    else this.onReveal({ kind: 'expert', expert, gpu });
    this.describe(gpu, expert);
  }

  private describe(gpu: number, expert: number): void {
    const layer = this.layer;
    if (!layer) return;
    const held = this.holds[gpu]?.has(expert);
    const where = layer.placement.flatMap((experts, g) => (experts.includes(expert) ? [g] : []));
    const load = layer.expertLoad[expert] ?? 0;
    const partners = (layer.partners?.[expert] ?? [])
      .slice(0, 3)
      .map(([partner, share]) => `${partner} (${show.percent(share)})`)
      .join(', ');
    const copies = where.length;
    this.status.textContent =
      `GPU ${gpu} · expert ${expert}: ${held ? 'held here' : 'not on this GPU'}; ` +
      `${copies === 0 ? 'not placed on any GPU' : `${copies} ${copies === 1 ? 'copy' : 'copies'} (GPU ${where.join(', ')})`}; ` +
      `${show.load(load)} activations per token${copies > 1 ? `, ${show.load(load / copies)} per copy` : ''}` +
      (partners ? `; often with ${partners}` : '') +
      ` · GPU ${gpu} load ${show.load(layer.gpuLoad[gpu] ?? 0)}.`;
  }

  dispose(): void {
    this.resize.disconnect();
  }
}
