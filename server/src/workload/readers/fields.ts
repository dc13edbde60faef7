// The names routing traces use for their fields, as logged by the tools in
// use: the expert ids of a token (`experts` in moeplan's own traces and the
// speculative-moe logs; `topk_ids` in vLLM's fused-MoE router and the
// logging patches built on it; `topk_experts`, `selected_experts` (the
// Hugging Face Mixtral router), `expert_ids`), its layer, its request and its
// position in the request. The plan can name others (`experts-field`, …).
import type { TraceFields } from '../../plan/types';
import { TRACE_FIELD_OPTIONS } from '../../plan/vocabulary';

export type FieldRole = keyof TraceFields;

/** Usual names of each field, preferred first when a record has several. */
const FIELD_ALIASES: Readonly<Record<FieldRole, readonly string[]>> = {
  layer: ['layer', 'layer_id', 'layer_idx', 'layer_index'],
  experts: ['experts', 'topk_ids', 'topk_experts', 'selected_experts', 'expert_ids', 'topk_indices', 'expert_indices'],
  request: ['problem_id', 'request_id', 'req_id', 'rid', 'seq_id', 'sequence_id'],
  position: ['token_idx', 'token_index', 'token_pos', 'token_position', 'position'],
};

/** The plan keyword that names each field. */
export const FIELD_KEYWORDS: Readonly<Record<FieldRole, string>> = {
  layer: TRACE_FIELD_OPTIONS.layer.keyword,
  experts: TRACE_FIELD_OPTIONS.experts.keyword,
  request: TRACE_FIELD_OPTIONS.request.keyword,
  position: TRACE_FIELD_OPTIONS.position.keyword,
};

/** The field whose value says what kind of record a line is (meta, header, route…). */
export const TYPE_FIELD = 'type';

/** Names to look for: the plan's own name alone, or the usual ones. */
export function namesFor(role: FieldRole, fields: TraceFields | undefined): readonly string[] {
  const own = fields?.[role];
  return own !== undefined ? [own] : FIELD_ALIASES[role];
}

/** `"layer", "layer_id" or "layer_idx"` — for messages. */
export function quotedNames(names: readonly string[]): string {
  const q = names.map((n) => `"${n}"`);
  return q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}
