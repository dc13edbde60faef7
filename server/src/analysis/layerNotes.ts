// Per-layer notes ("layer 12, search: …") repeat the same sentence for many
// layers of a large model; one line naming the layers reads better in the
// CLI, the view and the report.

/** "0–3, 7, 9–10" from ascending layer numbers. */
export function layerList(layers: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < layers.length;) {
    let j = i;
    while (j + 1 < layers.length && layers[j + 1] === layers[j] + 1) j++;
    parts.push(j === i ? `${layers[i]}` : `${layers[i]}–${layers[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

const LAYER_NOTE = /^layer (\d+)([,:][\s\S]*)$/;

/**
 * Merges notes that differ only in their leading `layer N`, keeping the
 * order of first appearance; every other note is kept as it is.
 */
export function groupLayerNotes(notes: readonly string[]): string[] {
  const groups = new Map<string, number[]>();
  const order: (string | { rest: string })[] = [];
  for (const note of notes) {
    const m = LAYER_NOTE.exec(note);
    if (!m) {
      order.push(note);
      continue;
    }
    const rest = m[2];
    const layers = groups.get(rest);
    if (layers) layers.push(Number(m[1]));
    else {
      groups.set(rest, [Number(m[1])]);
      order.push({ rest });
    }
  }
  return order.map((item) => {
    if (typeof item === 'string') return item;
    const layers = [...new Set(groups.get(item.rest)!)].sort((a, b) => a - b);
    return layers.length === 1 ? `layer ${layers[0]}${item.rest}` : `layers ${layerList(layers)} (${layers.length} layers)${item.rest}`;
  });
}
