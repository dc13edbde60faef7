// The placement view: builds the page once, then redraws the selected layer's
// charts and the whole-model charts when results, the layer or the theme
// change. Everything is created with DOM calls (no inline styles or markup
// strings), so it runs under a strict CSP.
import type { FromWebview, LayerResult, PlanResults } from '../../server/src/protocol';
import { keyFigures } from '../../server/src/report/keyFigures';
import { batchConfig, ChartSlot, gammaConfig, gpuLoadConfig, memoryConfig, pagingConfig, policiesConfig, summaryConfig, tDistributionConfig } from './charts';
import { copiesPerExpert, mean, orderedPolicies } from './derive';
import { eplbFigure, figureText, objectiveLabel, objectiveName, overallFigure, primaryText, versus } from '../../server/src/feedback/objective';
import type { Host, ViewState } from './host';
import { MatrixView } from './matrix';
import { readPalette, watchTheme, type Palette } from './theme';
import * as show from '../../server/src/display';
import { capacityConfig } from './capacityChart';
import { capacityCaption } from '../../server/src/feedback/capacityText';
import { el } from './dom';
import { robustCard } from './robust';

/** The analysis' notes: the first few in a list, the rest folded away. */
function notesBlock(notes: string[]): HTMLElement[] {
  if (!notes.length) return [];
  const shown = notes.length > 4 ? 3 : notes.length;
  const out: HTMLElement[] = [el('ul', { class: 'notes' }, ...notes.slice(0, shown).map((n) => el('li', {}, n)))];
  if (notes.length > shown) {
    out.push(
      el(
        'details',
        { class: 'notes-more' },
        el('summary', {}, `${notes.length - shown} more notes`),
        el('ul', { class: 'notes' }, ...notes.slice(shown).map((n) => el('li', {}, n))),
      ),
    );
  }
  return out;
}

/** Whole-model paging figures in one sentence. */
function pagingSummary(r: PlanResults): string {
  const overall = Object.entries(r.paging ?? {});
  if (!overall.length) return '';
  const parts = overall.map(
    ([name, f]) => `${name}${name === r.pagingPolicy ? ' (plan)' : ''} ${show.percent(f.hitRate)} hits, ${show.micros(f.usPerToken)}/token`,
  );
  const resident = overall.map(([, f]) => f.residentUsPerToken).find((x) => x !== undefined && Number.isFinite(x));
  return `Whole model: ${parts.join('; ')}${resident !== undefined ? `; every expert resident: ${show.micros(resident)}/token` : ''}.`;
}

interface Card {
  section: HTMLElement;
  slot: ChartSlot;
  caption: HTMLElement;
}

function card(id: string, title: string, help: string, wide = false): Card {
  const canvas = el('canvas', { id: `chart-${id}`, role: 'img', 'aria-label': title });
  const caption = el('p', { class: 'caption' });
  const section = el(
    'section',
    { class: wide ? 'card wide' : 'card', id: `card-${id}`, 'aria-labelledby': `title-${id}` },
    el('h3', { id: `title-${id}` }, title),
    el('div', { class: 'chart' }, canvas),
    caption,
    el('p', { class: 'help' }, help),
  );
  return { section, slot: new ChartSlot(canvas), caption };
}

export class PlacementApp {
  private results: PlanResults | null = null;
  private planName = '';
  private layerIndex = 0;
  private palette: Palette;
  /** Number of full redraws so far (tests read it to see a theme change took). */
  renders = 0;

  private readonly header = el('header', { class: 'header' });
  private readonly emptyBox = el('p', { class: 'empty', role: 'status' });
  private readonly content = el('div', { class: 'content' });
  private readonly select = el('select', { id: 'layer-select' });
  private readonly layerSummary = el('span', { class: 'layer-summary', 'aria-live': 'polite' });
  private readonly modelHeading = el('h2', {}, 'Memory, batch size and offload');
  private readonly robust = el('div', { class: 'grid', id: 'robust-grid' });
  private readonly matrixTitle = el('h3', { id: 'title-matrix' }, 'Assignment matrix');
  private readonly matrix: MatrixView;
  private readonly policyTable = el('table', { class: 'figures', id: 'policy-table' });
  private readonly summary = card(
    'summary',
    'E[T] per layer (whole model)',
    'Bars: E[T] of the chosen placement per MoE layer (orange: the selected layer); red line: EPLB; dashed green: the lower bound. Click a bar to select that layer.',
    true,
  );
  private readonly gpuLoad = card(
    'gpu-load',
    'Expected load per GPU',
    'Tokens each GPU serves per token, on average; the dashed line is the mean. The busiest GPU sets the pace. Click a bar to reveal the GPU in the plan.',
  );
  private readonly policies = card(
    'policies',
    'Policies compared',
    'E[T] (solid, bottom axis) and predicted µs for this layer (light, top axis) of each policy on the same slots. Orange: the solver used; green: the lower bound no placement can beat.',
  );
  private readonly tDist = card(
    't-distribution',
    'Distribution of T(S)',
    'How often the busiest GPU must run t experts for one token. Mass at small t means tokens rarely wait on one overloaded GPU.',
  );
  private readonly memory = card(
    'memory',
    'E[T] against memory',
    'E[T] as each GPU gets more expert slots (room for extra copies). The diamond marks this plan. A flat curve means more memory buys little.',
  );
  private readonly capacity = card(
    'capacity',
    'Replica slots against KV cache',
    'Each curve is a number of expert slots per GPU, each point a batch up to what the KV cache left by those slots holds: throughput of the whole model against the latency the `serve` target is about. More slots give room to replicas but take KV cache, so fewer requests run at once. The dashed line is the target, the star the recommendation: the most tokens per second within it.',
    true,
  );
  private readonly batch = card(
    'batch',
    'Throughput against latency',
    "Each point is a batch size: larger batches give more tokens per second but each token waits for a longer step. The diamond is the plan's batch.",
  );
  private readonly gamma = card(
    'gamma',
    'Expert parallelism vs offload (γ)',
    'γ = ½·(S_E·f_E)/(d·f_a)·(B_net/B_pcie)·(N_ue/N_t) compares moving activations over the network (expert parallelism) with moving expert weights over PCIe (offload). Above the dashed line γ = 1, expert parallelism is faster; below it, offload. γ falls as more tokens share each expert load.',
  );
  private readonly paging = card(
    'paging',
    'Paging hit rates',
    "Share of expert uses served from GPU memory when experts are paged in from host memory, per layer and eviction policy. Belady (dashed) is the offline optimum no policy can beat; static keeps a fixed set resident. The thick line is the plan's policy.",
    true,
  );

  constructor(
    private readonly root: HTMLElement,
    private readonly host: Host,
    private readonly options: { staticHeader?: boolean } = {},
  ) {
    this.palette = readPalette();
    const matrixHost = el('div', { class: 'matrix-host' });
    this.matrix = new MatrixView(matrixHost, (t) => {
      const layer = this.layer()?.layer ?? 0;
      this.post(
        t.kind === 'gpu'
          ? { type: 'reveal', target: { kind: 'gpu', gpu: t.gpu, layer } }
          : { type: 'reveal', target: { kind: 'expert', expert: t.expert, gpu: t.gpu, layer } },
      );
    });
    this.select.addEventListener('change', () => this.selectLayer(Number(this.select.value)));
    const prev = el('button', { type: 'button', id: 'layer-prev', 'aria-label': 'Previous layer' }, '◀');
    const next = el('button', { type: 'button', id: 'layer-next', 'aria-label': 'Next layer' }, '▶');
    prev.addEventListener('click', () => this.selectLayer(this.layerIndex - 1));
    next.addEventListener('click', () => this.selectLayer(this.layerIndex + 1));

    const nav = el(
      'nav',
      { class: 'layer-nav', 'aria-label': 'Layer selection' },
      el('label', { for: 'layer-select' }, 'Layer'),
      prev,
      this.select,
      next,
      this.layerSummary,
    );
    const matrixCard = el(
      'section',
      { class: 'card wide', id: 'card-matrix', 'aria-labelledby': 'title-matrix' },
      this.matrixTitle,
      matrixHost,
      el(
        'p',
        { class: 'help' },
        'Rows are GPUs, columns experts. A filled cell: the GPU holds a copy of the expert, darker = more load per copy. Orange top edge: the expert has several copies. Top strip: copies per expert (red = not placed). Click a cell or a GPU label to reveal it in the plan; with the keyboard, arrows move, Enter reveals the expert, G the GPU.',
      ),
    );
    this.policies.section.append(this.policyTable);
    this.content.append(
      el('h2', {}, 'Whole model'),
      el('div', { class: 'grid' }, this.summary.section),
      this.robust,
      nav,
      el('div', { class: 'grid' }, matrixCard, this.gpuLoad.section, this.policies.section, this.tDist.section),
      this.modelHeading,
      el('div', { class: 'grid' }, this.capacity.section, this.memory.section, this.batch.section, this.gamma.section, this.paging.section),
    );
    this.content.hidden = true;
    this.emptyBox.textContent = 'Waiting for results…';
    root.append(this.header, this.emptyBox, this.content);
    if (options.staticHeader) this.header.hidden = true;
    watchTheme(() => this.redraw());
  }

  /** Page coordinates of a matrix cell (expert null: the GPU label); for tests. */
  matrixPoint(gpu: number, expert: number | null): { x: number; y: number } | null {
    return this.matrix.pointOf(gpu, expert);
  }

  /** Page coordinates of a bar or point of a chart (`gpu-load`, `summary`, …); for tests. */
  chartPoint(id: string, datasetIndex: number, index: number): { x: number; y: number } | null {
    const card = this.cards().find((c) => c.slot.canvas.id === `chart-${id}`);
    return card?.slot.pointOf(datasetIndex, index) ?? null;
  }

  private post(message: FromWebview): void {
    this.host.post(message);
  }

  private layer(): LayerResult | undefined {
    return this.results?.layers[this.layerIndex];
  }

  private save(): void {
    const state: ViewState = this.results
      ? { results: this.results, planName: this.planName, layer: this.layerIndex }
      : { empty: this.emptyBox.textContent ?? '' };
    this.host.setState(state);
  }

  /** Show results; keeps the selected layer when the new results have it. */
  show(results: PlanResults, planName: string, layerIndex?: number): void {
    const previousLayer = this.layer()?.layer;
    this.results = results;
    this.planName = planName;
    const byNumber = previousLayer === undefined ? -1 : results.layers.findIndex((l) => l.layer === previousLayer);
    const wanted = layerIndex ?? (byNumber >= 0 ? byNumber : 0);
    this.layerIndex = Math.max(0, Math.min(results.layers.length - 1, wanted));
    this.emptyBox.hidden = results.layers.length > 0;
    this.emptyBox.textContent = results.layers.length ? '' : 'The plan has no MoE layers to show.';
    this.content.hidden = results.layers.length === 0;
    this.buildHeader();
    this.select.replaceChildren(...results.layers.map((l, i) => el('option', { value: String(i) }, `${l.layer} — E[T] ${show.expectedTime(l.expectedTime)}`)));
    this.save();
    this.redraw();
  }

  showEmpty(message: string): void {
    this.results = null;
    this.emptyBox.hidden = false;
    this.emptyBox.textContent = message;
    this.content.hidden = true;
    this.header.replaceChildren();
    for (const c of this.cards()) c.slot.clear();
    this.save();
  }

  selectLayer(index: number): void {
    const r = this.results;
    if (!r || index < 0 || index >= r.layers.length || index === this.layerIndex) {
      this.select.value = String(this.layerIndex);
      return;
    }
    this.layerIndex = index;
    this.save();
    this.drawLayer();
    this.summary.slot.render(summaryConfig(r, this.layerIndex, this.palette, (i) => this.selectLayer(i)));
  }

  private cards(): Card[] {
    return [this.summary, this.gpuLoad, this.policies, this.tDist, this.capacity, this.memory, this.batch, this.gamma, this.paging];
  }

  private buildHeader(): void {
    const r = this.results;
    if (!r || this.options.staticHeader) return;
    const dl = el('dl', { class: 'key-figures', id: 'key-figures' });
    for (const f of keyFigures(r)) dl.append(el('div', { title: f.hint }, el('dt', {}, f.label), el('dd', {}, f.value)));
    const notes = [...new Set([...r.notes, ...r.workload.notes])];
    this.header.replaceChildren(el('h1', {}, `Placement — ${this.planName || r.model.name}`), dl, ...notesBlock(notes));
  }

  /** Redraw everything with the current theme colours. */
  redraw(): void {
    const r = this.results;
    if (!r) return;
    this.palette = readPalette();
    this.renders++;
    this.summary.slot.render(summaryConfig(r, this.layerIndex, this.palette, (i) => this.selectLayer(i)));
    const o = objectiveName(r);
    const bound = { expectedTime: r.lowerBound, latencyUs: r.lowerBoundUs };
    this.summary.caption.textContent =
      `Mean ${figureText(overallFigure(r), o)} per layer over ${r.layers.length} layers (${objectiveLabel(r.objective)}); ` +
      `${versus(overallFigure(r), eplbFigure(r), o, 'EPLB')} (EPLB ${primaryText(eplbFigure(r), o)}); bound ${primaryText(bound, o)}.`;
    const robust = robustCard(r);
    this.robust.replaceChildren(...(robust ? [robust] : []));
    this.robust.hidden = robust === null;
    this.drawLayer();
    // Sections whose figures the analysis did not compute are hidden, with the reason in the notes.
    const memory = (r.memorySweep ?? []).length > 0;
    this.memory.section.hidden = !memory;
    if (memory) this.memory.slot.render(memoryConfig(r, this.palette));
    else this.memory.slot.clear();
    const capacity = capacityConfig(r, this.palette);
    this.capacity.section.hidden = capacity === null;
    if (capacity) this.capacity.slot.render(capacity);
    else this.capacity.slot.clear();
    this.capacity.caption.textContent = capacityCaption(r);
    const batch = batchConfig(r, this.palette);
    this.batch.section.hidden = batch === null;
    if (batch) this.batch.slot.render(batch);
    else this.batch.slot.clear();
    this.batch.caption.textContent = `At batch ${show.count(r.workload.batch)} under ${r.objective?.dispatch ?? 'static'} dispatch: ${show.micros(r.latencyUsPerToken)} per step over all MoE layers (a token waits for its whole step).`;
    const gamma = gammaConfig(r, this.palette);
    this.gamma.section.hidden = gamma === null;
    if (gamma) {
      this.gamma.slot.render(gamma);
      const o = r.offload;
      this.gamma.caption.textContent = `γ = ${show.number(o.gamma)} at ${o.tokens} tokens (${o.phase}): offload ${show.micros(o.offloadUs)} vs expert parallelism ${show.micros(o.expertParallelUs)} → ${o.advice === 'offload' ? 'offload wins' : 'expert parallelism wins'}.`;
    } else this.gamma.slot.clear();
    const paging = pagingConfig(r, this.palette);
    this.paging.section.hidden = paging === null;
    if (paging) this.paging.slot.render(paging);
    else this.paging.slot.clear();
    this.paging.caption.textContent = pagingSummary(r);
    this.modelHeading.hidden =
      this.capacity.section.hidden && this.memory.section.hidden && this.batch.section.hidden && this.gamma.section.hidden && this.paging.section.hidden;
    this.root.dataset.renders = String(this.renders);
    this.root.dataset.theme = this.palette.kind;
  }

  private drawLayer(): void {
    const r = this.results;
    const layer = this.layer();
    if (!r || !layer) return;
    const p = this.palette;
    this.select.value = String(this.layerIndex);
    const copies = copiesPerExpert(layer.placement, r.model.experts);
    const replicas = copies.reduce((a, c) => a + Math.max(0, c - 1), 0);
    const o = objectiveName(r);
    const free = (layer.freeSlots ?? []).reduce((a, b) => a + b, 0);
    this.layerSummary.textContent =
      `layer ${layer.layer}: ${figureText(layer, o)}, bound ${primaryText({ expectedTime: layer.lowerBound, latencyUs: layer.lowerBoundUs ?? NaN }, o)}, ` +
      `${replicas} extra ${replicas === 1 ? 'copy' : 'copies'}${free > 0 ? `, ${free} empty ${free === 1 ? 'slot' : 'slots'}` : ''}${layer.startedFrom ? `; the search started from ${layer.startedFrom}` : ''}`;
    this.matrixTitle.textContent = `Assignment matrix — layer ${layer.layer}`;
    this.matrix.setPalette(p);
    this.matrix.setLayer(layer, r.model.experts);
    this.matrix.draw();
    const reveal = (gpu: number) => this.post({ type: 'reveal', target: { kind: 'gpu', gpu, layer: layer.layer } });
    this.gpuLoad.slot.render(gpuLoadConfig(layer, p, reveal));
    const m = mean(layer.gpuLoad);
    const max = Math.max(...layer.gpuLoad);
    this.gpuLoad.caption.textContent = `Busiest GPU ${layer.gpuLoad.indexOf(max)} at ${show.load(max)}, ${show.percent(m > 0 ? max / m - 1 : 0)} above the mean ${show.load(m)}.`;
    this.policies.slot.render(policiesConfig(layer, r.solver.name, p, o));
    const policies = orderedPolicies(layer);
    const hasUs = policies.some((q) => Number.isFinite(q.latencyUs));
    const usFirst = o === 'latency' && hasUs;
    const cols = usFirst ? ['µs (layer)', 'E[T]'] : hasUs ? ['E[T]', 'µs (layer)'] : ['E[T]'];
    const cell = (name: string, q: (typeof policies)[number]) => el('td', {}, name === 'E[T]' ? show.expectedTime(q.expectedTime) : show.micros(q.latencyUs));
    this.policyTable.replaceChildren(
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'policy'), ...cols.map((c) => el('th', { scope: 'col' }, c)))),
      el('tbody', {}, ...policies.map((q) => el('tr', {}, el('th', { scope: 'row' }, q.policy), ...cols.map((c) => cell(c, q))))),
    );
    this.policies.caption.textContent = hasUs ? '' : 'Predicted µs are not available for this plan; E[T] only.';
    this.tDist.slot.render(tDistributionConfig(layer, p));
    const pagingNow = layer.paging ? Object.entries(layer.paging) : [];
    this.tDist.caption.textContent =
      `E[T] = ${show.expectedTime(layer.expectedTime)}; P(T ≤ 1) = ${show.percent((layer.tDistribution[0] ?? 0) + (layer.tDistribution[1] ?? 0))}.` +
      (pagingNow.length ? ` Paging hit rate here: ${pagingNow.map(([k, v]) => `${k} ${show.percent(v.hitRate)}`).join(', ')}.` : '');
  }
}
