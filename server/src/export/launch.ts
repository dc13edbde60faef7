// The engine flags that go with an exported placement. Each engine reads the
// file's width (slots per layer) against a figure it takes from its own
// flags; when they disagree the engine either refuses (vLLM-Ascend: "EPLB
// local expert capacity mismatch") or silently allocates fewer slots than the
// file names (SGLang with --ep-num-redundant-experts left at 0). So every
// export says the exact flags. Sources and versions: docs/engines.md.
import type { LaunchArguments } from '../protocol';

export type EngineFormat = 'sglang' | 'trtllm' | 'vllm-ascend';

interface PlacementShape {
  /** GPUs of the placement = EP ranks. */
  gpus: number;
  slotsPerGpu: number;
  /** The model's routed experts. */
  experts: number;
  nodes: number;
}

/**
 * The serving point of a plan with a `serve` block (decode): requests
 * running at once over all GPUs (the plan's batch) under data-parallel
 * attention, which moeplan's memory and time figures assume
 * (docs/cost-model.md §7), and the KV cache dtype.
 */
export interface ServingFlags {
  /** Running requests over all GPUs. */
  batch: number;
  kvFp8: boolean;
}

/** Stands for the exported file when it went to stdout. */
const FILE_PLACEHOLDER = 'FILE';
/** The TensorRT-LLM LLM-API options file the moe_config entry belongs in. */
const TRTLLM_OPTIONS_FILE = 'extra_llm_api_options.yaml';

/**
 * Flags for `format` with the file at `file` (absolute; undefined = stdout).
 * The redundant-expert count is the file's own: GPUs × slots − experts.
 */
export function launchArguments(format: EngineFormat, shape: PlacementShape, file: string | undefined, serving?: ServingFlags): LaunchArguments {
  const G = shape.gpus;
  const physical = G * shape.slotsPerGpu;
  const R = physical - shape.experts;
  const path = file ?? FILE_PLACEHOLDER;
  const base = { epSize: G, slotsPerGpu: shape.slotsPerGpu, physicalExperts: physical, redundantExperts: R, file };
  const figures = `EP size ${G}, ${shape.slotsPerGpu} slots per GPU = ${physical} physical experts for ${shape.experts}, ${R} redundant`;
  switch (format) {
    case 'sglang': {
      // SGLang places experts over the whole TP group (ExpertLocationMetadata.ep_size
      // is the world size), so --tp-size and --ep-size are both G.
      const args = ['--tp-size', `${G}`, '--ep-size', `${G}`, '--init-expert-location', path, '--ep-num-redundant-experts', `${R}`];
      // Data-parallel attention: each rank runs its own requests; --max-running-requests is over all ranks.
      if (serving)
        args.push(
          '--enable-dp-attention',
          '--dp-size',
          `${G}`,
          '--max-running-requests',
          `${serving.batch}`,
          ...(serving.kvFp8 ? ['--kv-cache-dtype', 'fp8_e4m3'] : []),
        );
      const command = shellLine(['python', '-m', 'sglang.launch_server', '--model-path', '<model>', ...args]);
      const lines = [`SGLang launch arguments for this file (${figures}${servingText(serving, G)}):`, `  ${shellLine(args)}`, 'for example:', `  ${command}`];
      if (shape.nodes > 1) lines.push(`on ${shape.nodes} nodes, run it on each node with --nnodes ${shape.nodes} --node-rank <i> --dist-init-addr <host:port>`);
      return { engine: 'SGLang', ...base, args, flags: shellLine(args), command, text: lines.join('\n') + '\n' };
    }
    case 'vllm-ascend': {
      // EplbConfig (vllm_ascend/ascend_config.py) rejects unknown keys; init_eplb
      // needs num_redundant_experts equal to the map's redundancy.
      const config = JSON.stringify({ eplb_config: { expert_map_path: path, num_redundant_experts: R } });
      const args = ['--tensor-parallel-size', `${G}`, '--enable-expert-parallel', '--additional-config', config];
      // One scheduler for the tensor-parallel group: --max-num-seqs is the whole batch.
      if (serving) args.push('--max-num-seqs', `${serving.batch}`, ...(serving.kvFp8 ? ['--kv-cache-dtype', 'fp8'] : []));
      const command = shellLine(['vllm', 'serve', '<model>', ...args]);
      const lines = [
        `vLLM-Ascend launch arguments for this file (${figures}${servingText(serving, G)}):`,
        `  ${shellLine(args)}`,
        'for example:',
        `  ${command}`,
        `the EP size is tensor × data parallel size: --data-parallel-size D with --tensor-parallel-size ${G}/D gives the same ${G} ranks`,
      ];
      if (serving)
        lines.push(
          `moeplan's KV cache and step figures assume data-parallel attention (--data-parallel-size ${G} --tensor-parallel-size 1), where --max-num-seqs is per rank: ${Math.ceil(serving.batch / G)}`,
        );
      return { engine: 'vLLM-Ascend', ...base, args, flags: shellLine(args), command, text: lines.join('\n') + '\n' };
    }
    case 'trtllm': {
      // The EP size is a launch flag, never a key of the load balancer YAML.
      const entryLines = ['moe_config:', '  backend: WIDEEP', `  load_balancer: ${yamlScalar(path)}`];
      // Attention data parallelism: every rank schedules its own requests, so the batch flag is per rank.
      if (serving) entryLines.push('enable_attention_dp: true', ...(serving.kvFp8 ? ['kv_cache_config:', '  dtype: fp8'] : []));
      const entry = entryLines.join('\n') + '\n';
      const args = ['--tp_size', `${G}`, '--ep_size', `${G}`, '--extra_llm_api_options', TRTLLM_OPTIONS_FILE];
      if (serving) args.push('--max_batch_size', `${Math.ceil(serving.batch / G)}`);
      const command = shellLine(['trtllm-serve', '<model>', ...args]);
      const lines = [
        `TensorRT-LLM launch arguments for this file (${figures}${servingText(serving, G)}):`,
        `  ${shellLine(args)}`,
        `with this entry in ${TRTLLM_OPTIONS_FILE}:`,
        ...entry
          .trimEnd()
          .split('\n')
          .map((l) => `  ${l}`),
        'for example:',
        `  ${command}`,
      ];
      if (shape.nodes > 1) lines.push(`on ${shape.nodes} nodes, start it under MPI or Slurm (trtllm-llmapi-launch) with the same flags`);
      return {
        engine: 'TensorRT-LLM',
        ...base,
        args,
        flags: shellLine(args),
        command,
        configEntry: { file: TRTLLM_OPTIONS_FILE, text: entry },
        text: lines.join('\n') + '\n',
      };
    }
  }
}

/** ", batch 88 running requests (44 per GPU)" when the plan serves, else nothing. */
function servingText(serving: ServingFlags | undefined, gpus: number): string {
  if (!serving) return '';
  return `, ${serving.batch} running requests (${Math.ceil(serving.batch / gpus)} per GPU)${serving.kvFp8 ? ', FP8 KV cache' : ''}`;
}

/** POSIX shell quoting: bare when safe, else single quotes. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_/.,:=@%+-]+$/.test(word)) return word;
  if (word === '<model>') return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function shellLine(words: string[]): string {
  return words.map(shellQuote).join(' ');
}

/** A YAML plain scalar when the path allows one, else a double-quoted string. */
function yamlScalar(s: string): string {
  return /^[A-Za-z0-9_/.-][A-Za-z0-9_/. -]*$/.test(s) && !s.endsWith(' ') ? s : JSON.stringify(s);
}
