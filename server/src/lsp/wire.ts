// The results as sent to clients (notification, getResults, solve): the same
// PlanResults with the bulky per-expert arrays trimmed to what clients show
// (three partners per expert, loads to 6 decimals). A DeepSeek-V3 result is
// ~3.4 MB of JSON in full and about half that here; serialising it happens on
// the server's main thread, so its size is event-loop delay.
import type { LayerResult, PlanResults } from '../protocol';

const PARTNERS_SENT = 3;

const round = (x: number, digits: number): number => {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

function wireLayer(l: LayerResult): LayerResult {
  return {
    ...l,
    expertLoad: l.expertLoad.map((x) => round(x, 6)),
    gpuLoad: l.gpuLoad.map((x) => round(x, 6)),
    partners: l.partners.map((list) => list.slice(0, PARTNERS_SENT).map((p) => ({ expert: p.expert, share: round(p.share, 4) }))),
  };
}

export function wireResults(r: PlanResults): PlanResults {
  return { ...r, layers: r.layers.map(wireLayer) };
}
