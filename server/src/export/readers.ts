// Readers for every export format, back to layer → GPU → experts, so exports
// can be checked by round trip (and engine files imported later).
export type PlacementList = number[][][];

export class ExportFormatError extends Error {}

function intArray(v: unknown, what: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x))) throw new ExportFormatError(`${what} must be an array of integers`);
  return v as number[];
}

function split(row: number[], gpus: number, what: string): number[][] {
  if (row.length % gpus !== 0) throw new ExportFormatError(`${what}: ${row.length} slots do not divide over ${gpus} GPUs`);
  const per = row.length / gpus;
  return Array.from({ length: gpus }, (_, g) => row.slice(g * per, (g + 1) * per));
}

/** SGLang physical_to_logical_map → MoE layers (rows firstMoeLayer … firstMoeLayer+layers−1). */
export function readSglangMap(text: string, o: { gpus: number; firstMoeLayer: number; layers: number }): PlacementList {
  const doc = JSON.parse(text) as { physical_to_logical_map?: unknown };
  const map = doc.physical_to_logical_map;
  if (!Array.isArray(map)) throw new ExportFormatError('expected {"physical_to_logical_map": [[...]]}');
  if (map.length < o.firstMoeLayer + o.layers) throw new ExportFormatError(`map has ${map.length} rows, expected at least ${o.firstMoeLayer + o.layers}`);
  return map.slice(o.firstMoeLayer, o.firstMoeLayer + o.layers).map((row, l) => split(intArray(row, `row ${l + o.firstMoeLayer}`), o.gpus, `row ${l + o.firstMoeLayer}`));
}

/** Our own TensorRT-LLM YAML (the subset we write: scalars and flow lists). */
export function readTrtllmYaml(text: string, o: { firstMoeLayer: number }): PlacementList {
  let slots: number | undefined;
  let ep: number | undefined;
  const layers = new Map<number, number[]>();
  let inAssignments = false;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/\s+#.*$/, '').replace(/^#.*$/, '');
    if (line.trim() === '') return;
    const top = /^([a-z_]+):\s*(.*)$/.exec(line);
    if (top) {
      inAssignments = top[1] === 'initial_global_assignments';
      if (top[1] === 'num_slots') slots = Number(top[2]);
      if (top[1] === 'ep_size') ep = Number(top[2]);
      return;
    }
    const entry = /^\s+(\d+):\s*\[([^\]]*)\]\s*$/.exec(line);
    if (!inAssignments || !entry) throw new ExportFormatError(`line ${i + 1}: unexpected '${raw.trim()}'`);
    layers.set(Number(entry[1]), entry[2].split(',').map((s) => Number(s.trim())));
  });
  if (!slots || !ep) throw new ExportFormatError('num_slots and ep_size are required');
  const keys = [...layers.keys()].sort((a, b) => a - b);
  return keys.map((k, i) => {
    if (k !== o.firstMoeLayer + i) throw new ExportFormatError(`layer ${k} out of sequence (expected ${o.firstMoeLayer + i})`);
    const row = layers.get(k)!;
    if (row.length !== slots) throw new ExportFormatError(`layer ${k} has ${row.length} entries, num_slots is ${slots}`);
    return split(row, ep!, `layer ${k}`);
  });
}

export function readVllmAscendMap(text: string): PlacementList {
  const doc = JSON.parse(text) as { moe_layer_count?: number; layer_list?: { layer_id: number; device_count: number; device_list: { device_id: number; device_expert: unknown }[] }[] };
  if (!Array.isArray(doc.layer_list)) throw new ExportFormatError('expected {"moe_layer_count": L, "layer_list": [...]}');
  if (doc.moe_layer_count !== doc.layer_list.length) throw new ExportFormatError(`moe_layer_count ${doc.moe_layer_count} but ${doc.layer_list.length} layers listed`);
  const out: PlacementList = [];
  for (const layer of doc.layer_list) {
    if (layer.device_list.length !== layer.device_count) throw new ExportFormatError(`layer ${layer.layer_id}: device_count ${layer.device_count} but ${layer.device_list.length} devices`);
    const gpus: number[][] = [];
    for (const d of layer.device_list) gpus[d.device_id] = intArray(d.device_expert, `layer ${layer.layer_id} device ${d.device_id}`);
    out[layer.layer_id] = gpus;
  }
  return out;
}

export function readMoeplanJson(text: string): PlacementList {
  const doc = JSON.parse(text) as { format?: string; layers?: { layer: number; gpus: number[][] }[] };
  if (doc.format !== 'moeplan-placement' || !Array.isArray(doc.layers)) throw new ExportFormatError('not a moeplan placement file');
  const out: PlacementList = [];
  for (const l of doc.layers) out[l.layer] = l.gpus.map((g, i) => intArray(g, `layer ${l.layer} GPU ${i}`));
  return out;
}
