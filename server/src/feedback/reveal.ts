// Where in the plan text to put the cursor when the placement view asks to
// reveal an expert or a GPU (the `moeplan/reveal` request). Works on the
// resolved plan: the references the resolver records and the committed
// layers.
import type { Position, Range } from '../language/ast';
import type { Plan, PlanRef } from '../plan/types';
import type { RevealResponse, RevealTarget } from '../protocol';

function before(a: Position, b: Position): boolean {
  return a.line < b.line || (a.line === b.line && a.character <= b.character);
}

function inside(inner: Range, outer: Range | undefined): boolean {
  return !!outer && before(outer.start, inner.start) && before(inner.end, outer.end);
}

type ExpertRef = Extract<PlanRef, { kind: 'expert' }>;
type GpuRef = Extract<PlanRef, { kind: 'gpu' }>;

export function findRevealRange(plan: Plan, target: RevealTarget): RevealResponse | undefined {
  const committed = plan.placement.committed.get(target.layer);
  const block = committed?.range;
  if (target.kind === 'gpu') {
    const line = committed?.gpuRanges[target.gpu];
    if (line) return { range: line };
    const refs = plan.refs.filter((r): r is GpuRef => r.kind === 'gpu' && r.gpu === target.gpu);
    const ref = refs.find((r) => inside(r.range, block)) ?? refs.find((r) => r.layer === target.layer) ?? refs[0];
    if (ref) return { range: ref.range, note: committed ? undefined : `layer ${target.layer} has no committed placement` };
    const fallback = block ?? plan.hardware.range;
    return fallback ? { range: fallback, note: `GPU ${target.gpu} is not named in the plan` } : undefined;
  }

  const refs = plan.refs.filter((r): r is ExpertRef => r.kind === 'expert' && r.expert === target.expert);
  const gpuLine = target.gpu !== undefined ? committed?.gpuRanges[target.gpu] : undefined;
  // 1. The id written on that GPU's line of this layer.
  const onLine = gpuLine ? refs.find((r) => inside(r.range, gpuLine)) : undefined;
  if (onLine) return { range: onLine.range };
  // 2. The line holds it inside a range such as `0..3`: show the line.
  if (gpuLine && target.gpu !== undefined && committed?.gpus[target.gpu]?.includes(target.expert)) return { range: gpuLine };
  // 3. Anywhere in this layer's committed block, then the line of any GPU holding it.
  const inBlock = refs.find((r) => inside(r.range, block));
  if (inBlock) return { range: inBlock.range };
  const holder = committed?.gpus.findIndex((experts) => experts.includes(target.expert)) ?? -1;
  if (holder >= 0 && committed?.gpuRanges[holder]) return { range: committed.gpuRanges[holder]! };
  // 4. Elsewhere in the plan (pins, forbids, inline subsets).
  const anywhere = refs.find((r) => r.layer === target.layer) ?? refs[0];
  const note = committed ? `expert ${target.expert} is not in layer ${target.layer}'s committed placement` : `layer ${target.layer} has no committed placement`;
  if (anywhere) return { range: anywhere.range, note };
  const fallback = block ?? plan.placement.range;
  return fallback ? { range: fallback, note } : undefined;
}
