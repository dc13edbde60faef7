// Inlay hints with derived values (slots per GPU, bytes per expert, total
// memory, slot use per committed GPU), at the end of the line they explain.
import { InlayHintKind, type InlayHint } from 'vscode-languageserver';
import { inlayHints as feedbackHints } from '../feedback';
import type { ServerContext } from './context';
import { safely } from './safe';

export function register(ctx: ServerContext): void {
  ctx.connection.languages.inlayHint.on(
    safely(ctx.log, 'inlayHint', [], (p): InlayHint[] => {
      const doc = ctx.documents.get(p.textDocument.uri);
      const plan = ctx.fast(p.textDocument.uri)?.plan;
      if (!doc || !plan) return [];
      const out: InlayHint[] = [];
      const seen = new Set<string>();
      for (const h of feedbackHints(plan)) {
        const line = h.anchor.start.line;
        if (line < p.range.start.line || line > p.range.end.line) continue;
        const text = doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$/, '');
        // After the statement, before a trailing comment.
        const hash = text.indexOf('#');
        const endOfCode = (hash >= 0 ? text.slice(0, hash) : text).replace(/\s+$/, '').length;
        const key = `${line}:${h.label}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ position: { line, character: endOfCode }, label: h.label, kind: InlayHintKind.Type, paddingLeft: true, tooltip: h.tooltip });
      }
      return out;
    }),
  );
}
