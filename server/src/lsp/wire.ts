// The results as sent to clients (notification, getResults, solve): the same
// PlanResults with the per-expert and per-GPU loads rounded to 6 decimals
// (partners are already trimmed and rounded where they are computed). JSON
// serialisation happens on the server's main thread, so every byte of a
// DeepSeek-V3-scale result (58 layers × 256 experts) is event-loop delay.
import type { LayerResult, PlanResults } from '../protocol';

const round6 = (x: number): number => (Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : x);

function wireLayer(l: LayerResult): LayerResult {
  return { ...l, expertLoad: l.expertLoad.map(round6), gpuLoad: l.gpuLoad.map(round6) };
}

export function wireResults(r: PlanResults): PlanResults {
  return { ...r, layers: r.layers.map(wireLayer) };
}
