// Routing traces for tests, written by the project's own synthetic
// generator: one JSONL record per token and MoE layer, as routing loggers
// write them, with a request id and the token's position when asked.
import { writeFileSync } from 'node:fs';
import { generateSynthetic } from '../../server/src/workload/synthetic';
import type { SyntheticSpec } from '../../server/src/plan/types';

export interface TraceModelShape {
  layers: number;
  experts: number;
  topK: number;
}

export interface FixtureOptions {
  /** Tokens per request (requests follow one another); undefined = no request ids. */
  requestTokens?: number;
  /** Write each token's position (`token_idx`); default true when requests are written. */
  positions?: boolean;
}

export function syntheticSpec(tokens: number, seed: number, extra: Partial<SyntheticSpec> = {}): SyntheticSpec {
  return { kind: 'synthetic', tokens, seed, skew: 1.2, concentration: 0.7, topics: 6, ...extra };
}

/** The records of a generated trace, in token order then layer order; returns the token count. */
export function writeSyntheticTrace(path: string, spec: SyntheticSpec, model: TraceModelShape, opts: FixtureOptions = {}): number {
  const w = generateSynthetic(spec, model);
  const seq = w.sequence!;
  const lines: string[] = [];
  const positions = opts.positions ?? opts.requestTokens !== undefined;
  for (let t = 0; t < seq.tokens; t++) {
    for (let l = 0; l < seq.layers; l++) {
      const ids = Array.from(seq.ids.subarray((t * seq.layers + l) * seq.k, (t * seq.layers + l + 1) * seq.k));
      const rec: Record<string, unknown> = {};
      if (opts.requestTokens !== undefined) rec.request_id = `r${Math.floor(t / opts.requestTokens)}`;
      if (positions) rec.token_idx = opts.requestTokens !== undefined ? t % opts.requestTokens : t;
      rec.layer = l;
      rec.experts = ids;
      lines.push(JSON.stringify(rec));
    }
  }
  writeFileSync(path, lines.join('\n') + '\n');
  return seq.tokens;
}
