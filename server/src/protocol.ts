// Custom messages between the language server, the extension client and the
// webview, declared once, and the results they carry. Only types and plain
// method objects live here, so every side (server bundle, client bundle,
// webview bundle, tests) can import it without pulling in a runtime.
import type { Range } from './language/ast';
import type { DispatchRule, MixRule, ObjectiveName, PolicyName } from './plan/types';
import type { OffloadComparison } from './cost/types';
import type { Partner } from './workload/distribution';

// ---------------------------------------------------------------------------
// Results of analysing a plan (solvers + cost model). Also the payload of the
// webview and the HTML report, and the body of `moeplan solve --json`.
// ---------------------------------------------------------------------------

/**
 * Placements compared on a layer besides the policies: the committed one, one
 * copy per expert (no replicas), the placement that minimises E[T] (when the
 * objective is latency), and the lower bounds.
 */
export type FigureName = PolicyName | 'committed' | 'lower-bound' | 'one-copy' | 'expected-time-optimum';

export interface PolicyFigure {
  policy: FigureName;
  /** E[T] in expert-time units. */
  expectedTime: number;
  /**
   * µs per MoE layer at the plan's batch under its dispatch rule (the latency
   * objective), on the fresh sampled batches every figure of the layer shares.
   */
  latencyUs: number;
  ms?: number;
  optimal?: boolean;
}

export interface PagingFigures {
  hits: number;
  misses: number;
  /** Bytes moved over PCIe. */
  bytes: number;
  usPerToken: number;
  hitRate: number;
  /** Overall figures only: expert-layers pinned (all GPUs), prefetches issued, µs per token with every expert resident. */
  pinned?: number;
  prefetches?: number;
  residentUsPerToken?: number;
}

export interface LayerResult {
  layer: number;
  /** GPU index → expert ids: the chosen placement (solver's, or committed). */
  placement: number[][];
  /** E[T] of `placement` over the full empirical distribution. */
  expectedTime: number;
  lowerBound: number;
  baselines: { contiguous: number; roundRobin: number; eplb: number };
  /** Every policy evaluated on this layer (including committed when present). */
  policies: PolicyFigure[];
  /** µs per MoE layer of `placement` at the plan's batch under its dispatch rule (fresh batches). */
  latencyUs: number;
  /** `latencyUs` split: expert compute (slowest GPU, shared experts included), dispatch, combine. */
  latencyParts: { computeUs: number; dispatchUs: number; combineUs: number };
  /** Lower bound on `latencyUs` over every placement (same batches). */
  lowerBoundUs: number;
  /** µs per layer of the baselines on the same batches. */
  baselinesUs: { contiguous: number; roundRobin: number; eplb: number; oneCopy: number; expectedTimeOptimum?: number };
  /** Slots left empty per GPU (replicas placed only where they pay). */
  freeSlots: number[];
  /** Where the solver started (the best of the candidates it was given), when it searched. */
  startedFrom?: string;
  /** Pairs each GPU serves per token under the plan's dispatch rule. */
  gpuLoad: number[];
  /** Expected activations per expert per token (sums to k). */
  expertLoad: number[];
  /** P(T = t), index t. */
  tDistribution: number[];
  /** Committed placement's E[T], when the plan commits one for this layer. */
  committedExpectedTime?: number;
  /** Fingerprint (placementDigest) of the committed placement evaluated above, to spot edits made since. */
  committedDigest?: string;
  /**
   * Top co-activated partners per expert, best first: [expert][i] =
   * [partner id, P(partner active | expert active)] (at most 3, share to 4 decimals).
   */
  partners: Partner[][];
  paging?: Record<string, PagingFigures>;
  /** The placement planned on this layer's planning part, scored on its held-out part (when the workload can be split). */
  heldOut?: LayerHeldOut;
  /** The placement on each workload, when the plan mixes several (plan order). */
  workloads?: WorkloadFigures[];
}

/** A pair of figures in the objective's two units. */
export interface ObjectiveFigures {
  /** E[T] in expert-time units (exact on the distribution). */
  expectedTime: number;
  /** µs per MoE layer at the plan's batch under its dispatch rule, on fresh batches of the distribution. */
  latencyUs: number;
}

/**
 * Held-out figures (docs/cost-model.md, "Held-out figures"): the placement
 * the plan's procedure gives on the planning part of the routing, scored on
 * the held-out part it never saw. The in-sample figures of the results are
 * the placement planned on everything, scored on everything; this is their
 * honest estimate on new traffic.
 */
export interface LayerHeldOut extends ObjectiveFigures {
  /** The same placement on the planning part it was planned on (in sample). */
  planning: ObjectiveFigures;
  /** EPLB planned on the planning part, on the held-out part. */
  eplb: ObjectiveFigures;
  /** Per workload of a mixture, on that workload's held-out part (order of `workloads`). */
  workloads?: ObjectiveFigures[];
}

/** The held-out figures of the whole plan: means over layers, and how the routing was split. */
export interface PlanHeldOut extends LayerHeldOut {
  /** "by request: the last 1 of 2 requests … held out, 48% of the token records". */
  split: string;
  /** Share of each layer's time budget the held-out solve had. */
  budgetShare: number;
  /** Tokens and distinct subsets per layer of the whole workload (means over layers): how much routing there is to pin down. */
  tokensPerLayer: number;
  subsetsPerLayer: number;
}

/** A placement on one workload of a mixture, beside that workload's own best placement. */
export interface WorkloadFigures extends ObjectiveFigures {
  /** The plan's name for it: the trace path as written, "synthetic seed 7", "inline subsets". */
  name: string;
  /** Its share of the mixture (shares sum to 1). */
  share: number;
  /** The best placement found for this workload alone, on it. */
  best: ObjectiveFigures;
}

export interface SweepPoint {
  slotsPerGpu: number;
  /** Mean E[T] over layers of the default policy at that memory. */
  expectedTime: number;
  eplb: number;
  lowerBound: number;
}

export interface BatchPoint {
  batch: number;
  /** Expected time of one step (all MoE layers) under the plan's dispatch rule, µs. */
  stepUs: number;
  /** Per-token latency, µs (a token waits for its whole step). */
  latencyUsPerToken: number;
  tokensPerS: number;
  /** Step µs under each dispatch rule (the plan's is `stepUs`). */
  byDispatch: Record<DispatchRule, number>;
}

/** What the solvers minimised and how the figures were measured. */
export interface ObjectiveInfo {
  name: ObjectiveName;
  dispatch: DispatchRule;
  /** Tokens per step the figures are at. */
  batch: number;
  /** The batches the reported figures are averaged over (fresh, not searched on). */
  measuredOn: string;
}

export interface PlanResults {
  /** Plan file (path or URI) and the document version analysed. */
  uri: string;
  version?: number;
  model: {
    name: string;
    layers: number;
    experts: number;
    topK: number;
    bytesPerExpert: number;
    /** KV-cache bytes per token of context (docs/cost-model.md §7.1), when the model's attention shape is known. */
    kvBytesPerToken?: number;
  };
  hardware: { gpu: string; gpus: number; nodes: number; slotsPerGpu: number[] };
  workload: { description: string; notes: string[]; batch: number; phase: 'prefill' | 'decode' };
  layers: LayerResult[];
  objective: ObjectiveInfo;
  /** Mean E[T] over layers. */
  expectedTime: number;
  lowerBound: number;
  baselines: { contiguous: number; roundRobin: number; eplb: number };
  /** Mean µs per MoE layer at the plan's batch under its dispatch rule (the latency objective). */
  latencyUs: number;
  lowerBoundUs: number;
  /** Mean µs per layer of the baselines. */
  baselinesUs: { contiguous: number; roundRobin: number; eplb: number; oneCopy: number; expectedTimeOptimum?: number };
  /** µs of one step through all MoE layers (Σ of layers' latencyUs): a token's MoE time per step. */
  latencyUsPerToken: number;
  /** Slots no layer uses, per GPU, and the memory they return (bytes per GPU, all MoE layers). */
  freeSlots: number[];
  freeBytesPerGpu: number[];
  solver: { name: PolicyName; ms: number; optimal: boolean };
  memorySweep: SweepPoint[];
  batchSweep: BatchPoint[];
  /** Offload versus expert parallelism (γ), from the cost model. */
  offload: OffloadComparison;
  paging?: Record<string, PagingFigures>;
  /** The paging policy the plan chose (its `offload` block, else layer-lru), when `paging` is set. */
  pagingPolicy?: string;
  /** Slots against batch under the plan's `serve` target (present when the plan has one). */
  capacity?: CapacityResults;
  /** Messages worth showing (e.g. "trace has loads only"). */
  notes: string[];
  /** Held-out figures (means over layers), when the workload can be split… */
  heldOut?: PlanHeldOut;
  /** …or why it cannot (subset counts, inline subsets). */
  heldOutMissing?: string;
  /** The placement on each workload (means over layers), when the plan mixes several; `mix` says how they made one objective. */
  workloads?: WorkloadFigures[];
  mix?: MixRule;
  /** The drift gate, when the plan names a newer trace (`drift`) and commits a placement. */
  drift?: DriftReport;
}

/**
 * The drift gate (`moeplan check PLAN --trace NEW`, or a plan's `drift`
 * line): the committed placement on a newer trace against a fresh solve on
 * it with the same budget, in the objective's units.
 */
export interface DriftReport {
  /** The newer trace as the plan or the command line names it. */
  trace: string;
  objective: ObjectiveName;
  /** The committed placement on the newer trace: means over the committed layers. */
  committed: ObjectiveFigures;
  /** A fresh solve on the newer trace, on the same layers. */
  fresh: ObjectiveFigures;
  /** committed / fresh − 1 on the objective's figure (0.094 = 9.4% slower). */
  regression: number;
  /** The limit (0.05 = 5%) and whether the regression is over it. */
  maxRegression: number;
  exceeded: boolean;
  /** Layers compared (those the plan commits) and those it does not commit. */
  layers: number;
  uncommitted: number[];
  /** Time budget of the fresh solve, ms. */
  budgetMs: number;
  /** What the newer trace's workload says about itself (notes of its reading). */
  description: string;
}

/** One (slots per GPU, batch) point of the capacity sweep (docs/cost-model.md §7). */
export interface CapacityPoint {
  slotsPerGpu: number;
  /** Tokens per step over all GPUs (decode: running requests). */
  batch: number;
  /** KV cache these slots leave per GPU, in tokens of context. */
  kvTokensPerGpu: number;
  /** µs of one step through the whole model: the time per output token in decode. */
  usPerToken: number;
  tokensPerSecond: number;
  /** The latency the target is compared with (decode: usPerToken; prefill: time to the first token) is within it. */
  meetsTarget: boolean;
  /** µs of the step in the MoE layers (the step estimator) and outside them (dense weights, KV cache, attention). */
  moeUs: number;
  attentionUs: number;
  /** Prefill: µs to the first token of a prompt of the context. */
  ttftUs?: number;
  /** Not beaten on both throughput and latency by another point. */
  onFront: boolean;
}

export interface CapacityResults {
  target: {
    /** µs, or null when the plan sets no target (every point meets it). */
    us: number | null;
    metric: 'time-per-output-token' | 'time-to-first-token';
    /** Tokens per request, prompt and output. */
    context: number;
  };
  points: CapacityPoint[];
  /** The best throughput that meets the target; absent when no point does. */
  recommended?: { slotsPerGpu: number; batch: number; usPerToken: number; tokensPerSecond: number; redundantExperts: number; requestsPerGpu: number };
  /** Per slot count: what its memory leaves and its best point within the target. */
  bySlots: { slotsPerGpu: number; redundantExperts: number; kvTokensPerGpu: number; requestsPerGpu: number; best: CapacityPoint | null }[];
  /** Memory per GPU besides the slots, bytes, and one slot's bytes (all MoE layers). */
  memory: { totalBytes: number; denseBytes: number; sharedBytes: number; activationBytes: number; slotBytes: number };
  /** When no point meets the target: what would, with figures. */
  advice?: CapacityAdvice;
  /** What the sweep sampled (layers, batches) and how long it took. */
  sampled: string;
  notes: string[];
}

export interface CapacityAdvice {
  message: string;
  /** The fastest point's latency: a target at least this loose is met. */
  fastestUs: number;
  fastestSlots: number;
  fastestBatch: number;
  /** The longest context at which the fastest point meets the target, when a shorter one would. */
  shorterContext?: number;
  /** The fastest point with an FP8 KV cache, µs, when it reads markedly less. */
  fp8Us?: number;
  /** Twice the GPUs, one copy per expert, one request per GPU: µs against the target. */
  moreGpus?: { gpus: number; latencyUs: number };
}

// ---------------------------------------------------------------------------
// Server ↔ client: custom LSP methods
//
// Each method is declared once, below, as an object: its name, who sends it,
// and (as types only) its parameters and result. The server registers
// handlers and both sides send through `onRequest`/`sendRequest`/
// `onNotification`/`sendNotification` here, so a handler or a call with the
// wrong shape is a type error. The objects are plain data (no JSON-RPC
// runtime): the client, the server and the tests use different versions of
// vscode-jsonrpc, whose RequestType classes are not interchangeable, and the
// webview imports this module too. docs/editors.md lists every method
// (test/unit/protocol.test.ts holds the two lists equal).
// ---------------------------------------------------------------------------

/** Who sends a method. */
export type Direction = 'client → server' | 'server → client';

/** A custom request: method name, sender, and its parameter and result types. */
export interface RequestMethod<P, R> {
  readonly kind: 'request';
  readonly method: `moeplan/${string}`;
  readonly direction: Direction;
  /** Types only: never set at run time. */
  readonly types?: { params: P; result: R };
}

/** A custom notification: method name, sender, and its parameter type. */
export interface NotificationMethod<P> {
  readonly kind: 'notification';
  readonly method: `moeplan/${string}`;
  readonly direction: Direction;
  /** Types only: never set at run time. */
  readonly types?: { params: P };
}

const request = <P, R>(method: `moeplan/${string}`, direction: Direction): RequestMethod<P, R> => ({ kind: 'request', method, direction });
const notification = <P>(method: `moeplan/${string}`, direction: Direction): NotificationMethod<P> => ({ kind: 'notification', method, direction });

/**
 * A handler as vscode-jsonrpc types it (`GenericRequestHandler`): the
 * helpers below are what give it its real parameter and result types.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the JSON-RPC libraries' own handler type
type AnyHandler = (...params: any[]) => any;

/** The part of a language client or server connection that carries custom methods. */
export interface MessageEndpoint<D = unknown> {
  sendRequest(method: string, params: unknown): Promise<unknown>;
  onRequest(method: string, handler: AnyHandler): D;
  sendNotification(method: string, params: unknown): unknown;
  onNotification(method: string, handler: AnyHandler): D;
}

export function sendRequest<P, R>(to: Pick<MessageEndpoint, 'sendRequest'>, m: RequestMethod<P, R>, params: P): Promise<R> {
  return to.sendRequest(m.method, params) as Promise<R>;
}

export function onRequest<P, R, D>(on: Pick<MessageEndpoint<D>, 'onRequest'>, m: RequestMethod<P, R>, handler: (params: P) => R | Promise<R>): D {
  return on.onRequest(m.method, handler);
}

export function sendNotification<P>(to: Pick<MessageEndpoint, 'sendNotification'>, m: NotificationMethod<P>, params: P): void {
  void to.sendNotification(m.method, params);
}

export function onNotification<P, D>(on: Pick<MessageEndpoint<D>, 'onNotification'>, m: NotificationMethod<P>, handler: (params: P) => void): D {
  return on.onNotification(m.method, handler);
}

/**
 * Why a solve gave no results. Clients act on the kind (a superseded solve
 * is not worth a warning), never on the wording of the message.
 */
export type SolveErrorKind =
  /** A newer version of the document is being solved instead. */
  | 'superseded'
  /** The document is not open in the editor. */
  | 'not-open'
  /** The plan has errors, or is empty. */
  | 'not-solvable'
  /** Untrusted workspace: solved only when asked, or a trace outside the workspace. */
  | 'untrusted'
  /** The trace may not be read (too large for the editor). */
  | 'refused'
  /** The analysis ran past its watchdog and was stopped. */
  | 'timeout'
  /** The analysis failed. */
  | 'failed';

export interface SolveError {
  kind: SolveErrorKind;
  message: string;
}

export interface ResultsReadyParams {
  uri: string;
  version: number;
  results?: PlanResults;
  error?: SolveError;
  ms: number;
}

/** Server → client: analysis results for a plan are ready (or the analysis failed). */
export const ResultsReadyNotification = notification<ResultsReadyParams>('moeplan/resultsReady', 'server → client');

export interface SolveStateParams {
  uri: string;
  state: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  ms?: number;
  /** The last solve's overall figures (means per layer) and the objective they are compared by. */
  expectedTime?: number;
  latencyUs?: number;
  objective?: ObjectiveName;
}

/** Server → client: solve state, for the status item. */
export const SolveStateNotification = notification<SolveStateParams>('moeplan/solveState', 'server → client');

export interface SolveParams {
  uri: string;
}
/** null when the server failed to answer (see its log). */
export type SolveResponse = ResultsReadyParams | null;

/** Client → server: solve now, whatever the `run` setting. */
export const SolveRequest = request<SolveParams, SolveResponse>('moeplan/solve', 'client → server');

export interface GetResultsParams {
  uri: string;
}
export type GetResultsResponse = ResultsReadyParams | null;

/** Client → server: the last results for a plan, if any. */
export const GetResultsRequest = request<GetResultsParams, GetResultsResponse>('moeplan/getResults', 'client → server');

export interface ApplyPlacementParams {
  uri: string;
}
export interface ApplyPlacementResponse {
  applied: boolean;
  message?: string;
}

/** Client → server: write the solved placement into the plan (the server sends a `workspace/applyEdit`). */
export const ApplyPlacementRequest = request<ApplyPlacementParams, ApplyPlacementResponse>('moeplan/applyPlacement', 'client → server');

/** An expert or a GPU of one layer, as the placement view names it. */
export type RevealTarget =
  { kind: 'expert'; expert: number; layer: number; /** the copy clicked, when known */ gpu?: number } | { kind: 'gpu'; gpu: number; layer: number };

export interface RevealParams {
  uri: string;
  target: RevealTarget;
}
export interface RevealResponse {
  /** The text to select in the plan. */
  range: Range;
  /** Set when the exact place does not exist and a fallback was chosen. */
  note?: string;
}

/** Client → server: where in the plan an expert or GPU clicked in the view is written (null: nowhere). */
export const RevealRequest = request<RevealParams, RevealResponse | null>('moeplan/reveal', 'client → server');

/** Client → server: write the capacity sweep's recommended slots and batch into the plan (the server sends a `workspace/applyEdit`). */
export interface ApplyCapacityParams {
  uri: string;
}
export type ApplyCapacityResponse = ApplyPlacementResponse;
export const ApplyCapacityRequest = request<ApplyCapacityParams, ApplyCapacityResponse>('moeplan/applyCapacity', 'client → server');

export type ExportFormat = 'sglang' | 'trtllm' | 'vllm-ascend' | 'json';
export interface ExportParams {
  uri: string;
  format: ExportFormat;
  /** Absolute path the client saves the file to; the launch arguments name it. Default: the suggested name next to the plan. */
  outputPath?: string;
  /**
   * The server writes outputPath itself, through moeplan's one write path
   * (links followed; never over the plan or its trace; FIFOs, devices and
   * read-only files refused), and answers `written` instead of `content`.
   */
  write?: boolean;
}
export interface ExportResponse {
  ok: boolean;
  /** File contents when ok; the client saves them. */
  content?: string;
  /** The file the server wrote (`write`). */
  written?: string;
  suggestedName?: string;
  /** The engine flags that go with the file (engine formats only). */
  launch?: LaunchArguments;
  /** Things that make the engine not run the placement as planned. */
  warnings?: string[];
  /** Things the user should know (the version of the engine read, optional keys). */
  notes?: string[];
  error?: string;
}

/** Client → server: the plan in an engine format (`moeplan export`'s output), or written to a file. */
export const ExportRequest = request<ExportParams, ExportResponse>('moeplan/export', 'client → server');

export interface ReportParams {
  uri: string;
  /** Page title; default: the plan's file name. */
  title?: string;
  /**
   * Absolute path of the HTML file: the server writes it through moeplan's
   * one write path (as `moeplan export`'s `write`) and answers `written`.
   * Without it the server answers the page as `html` (the client saves it
   * where the server cannot write, e.g. a remote file system).
   */
  outputPath?: string;
}
export interface ReportResponse {
  ok: boolean;
  html?: string;
  written?: string;
  error?: string;
}

/** Client → server: the plan's last results as a self-contained HTML page, the same page `moeplan report` writes. */
export const ReportRequest = request<ReportParams, ReportResponse>('moeplan/report', 'client → server');

/**
 * What to pass a serving engine so that it loads an exported placement with
 * the meaning moeplan gives it (docs/engines.md). Later figures (redundant
 * experts or running requests from a capacity plan) join `args`.
 */
export interface LaunchArguments {
  engine: 'SGLang' | 'TensorRT-LLM' | 'vLLM-Ascend';
  /** EP ranks: the GPUs of the placement. */
  epSize: number;
  slotsPerGpu: number;
  /** epSize × slotsPerGpu. */
  physicalExperts: number;
  /** physicalExperts − the model's routed experts. */
  redundantExperts: number;
  /** The exported file as the flags name it (absolute); undefined when it went to stdout (the flags then say FILE). */
  file?: string;
  /** The flags, one argv word per entry (not shell-quoted). */
  args: string[];
  /** The same flags as one shell-quoted line. */
  flags: string;
  /** A full command line, shell-quoted, with <model> for the model path. */
  command: string;
  /** An entry for a config file the flags point at (TensorRT-LLM: moe_config in the --extra_llm_api_options YAML). */
  configEntry?: { file: string; text: string };
  /** All of the above as the CLI prints it and the editor shows it. */
  text: string;
}

// ---------------------------------------------------------------------------
// Extension host ↔ webview (postMessage)
// ---------------------------------------------------------------------------

export type ToWebview = { type: 'results'; results: PlanResults; planName: string } | { type: 'empty'; message: string };

export type FromWebview = { type: 'ready' } | { type: 'reveal'; target: RevealTarget };

/** Every message type of each direction, for docs/editors.md's test (a type error when they and the unions above differ). */
export const WEBVIEW_MESSAGES = {
  toWebview: ['results', 'empty'] as const satisfies readonly ToWebview['type'][],
  fromWebview: ['ready', 'reveal'] as const satisfies readonly FromWebview['type'][],
};
type Missing<All, Listed> = Exclude<All, Listed> extends never ? true : never;
const everyMessageListed: [
  Missing<ToWebview['type'], (typeof WEBVIEW_MESSAGES.toWebview)[number]>,
  Missing<FromWebview['type'], (typeof WEBVIEW_MESSAGES.fromWebview)[number]>,
] = [true, true];
void everyMessageListed;

// ---------------------------------------------------------------------------
// Language-server extras (owned by the LSP side; optional for other clients)
// ---------------------------------------------------------------------------

export interface WorkspaceTrustParams {
  trusted: boolean;
}
/** Client → server: the workspace became trusted (or not). Untrusted: no
 * trace outside the workspace is read and no solver runs without a request. */
export const WorkspaceTrustNotification = notification<WorkspaceTrustParams>('moeplan/workspaceTrust', 'client → server');

export interface ServerTimingsParams {
  /** Clear the recorded samples after returning them. */
  reset?: boolean;
}
export interface ServerTimingsResponse {
  /** Milliseconds of main-thread work per fast analysis (parse, resolve, diagnostics). */
  fastMs: number[];
  /** Milliseconds of main-thread work per diagnostics publication (fast analysis + feedback + send). */
  validateMs: number[];
  /** Milliseconds from the last change to published diagnostics (includes the debounce). */
  changeToDiagnosticsMs: number[];
  /** Milliseconds spent answering hover requests. */
  hoverMs: number[];
  /** Save (or solve request) → solver diagnostics published, ms. */
  solveMs: number[];
  /** Main-thread time to take in one result (trim for the wire, diagnostics, queue the notification), ms. */
  resultsSendMs?: number[];
  /** Debounce applied to fast work, ms. */
  debounceMs: number;
  /** Largest event-loop delay seen since the last reset, ms (perf_hooks histogram). */
  eventLoopMaxMs: number;
  /** 99th percentile event-loop delay since the last reset, ms. */
  eventLoopP99Ms: number;
}

/** Client → server (tests, benchmarks): the server's own timings. */
export const ServerTimingsRequest = request<ServerTimingsParams | undefined, ServerTimingsResponse>('moeplan/timings', 'client → server');
