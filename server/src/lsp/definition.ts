// Go to definition: a layer, GPU or expert named in the plan (pins, forbids,
// hovers) jumps to where the committed placement defines it.
import { pathToFileURL } from 'node:url';
import type { Location } from 'vscode-languageserver';
import type { Plan, PlanRef } from '../plan/types';
import type { Range } from '../language/ast';
import type { ServerContext } from './context';
import { refAt } from './refs';
import { safely } from './safe';

export function definitionRange(plan: Plan, ref: PlanRef): Range | undefined {
  const committed = plan.placement.committed;
  const layerOf = (l: number | undefined) => (l !== undefined ? committed.get(l) : committed.values().next().value);
  switch (ref.kind) {
    case 'layer':
      return committed.get(ref.layer)?.range;
    case 'gpu': {
      const l = layerOf(ref.layer);
      return l?.gpuRanges[ref.gpu] ?? l?.range;
    }
    case 'expert': {
      const l = layerOf(ref.layer);
      if (!l) return undefined;
      const gpu = ref.gpu ?? l.gpus.findIndex((list) => list.includes(ref.expert));
      return gpu >= 0 ? l.gpuRanges[gpu] : undefined;
    }
    default:
      return undefined;
  }
}

export function register(ctx: ServerContext): void {
  ctx.connection.onDefinition(
    safely(ctx.log, 'definition', null, (p): Location | Location[] | null => {
      const plan = ctx.fast(p.textDocument.uri)?.plan;
      if (!plan) return null;
      const ref = refAt(plan, p.position);
      if (!ref) return null;
      if (ref.kind === 'trace') return { uri: pathUri(ref.absPath), range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
      const range = definitionRange(plan, ref);
      // Jumping to where we already are is no jump.
      if (!range || (range.start.line === ref.range.start.line && range.start.character <= ref.range.start.character && ref.range.end.line <= range.end.line))
        return null;
      return { uri: p.textDocument.uri, range };
    }),
  );
}

function pathUri(p: string): string {
  return pathToFileURL(p).href;
}
