// The engines give every GPU the same number of expert slots in every layer
// and fill them all; the solver leaves a slot empty where a copy would slow
// the step (a replica makes a second GPU read the expert's weights). Where
// the engine allows it (SGLang, TensorRT-LLM), an empty slot is exported as a
// second copy of an expert already on that GPU: every token of that expert
// still goes to this GPU, so no dispatch changes. vLLM-Ascend's expert map
// cannot hold one expert twice on a device, so there the slot gets a copy of
// the expert with the fewest copies not on the device — a replica the plan
// did not time, which the export says.
import type { Placements } from './validate';

interface Padded {
  placements: number[][][];
  /** Slots per GPU in the file: the most any GPU fills in any layer. */
  slots: number;
  /** Empty slots filled, over all layers and GPUs. */
  padded: number;
}

export function padToUniformSlots(placements: Placements, sameGpuCopies: boolean): Padded {
  let slots = 0;
  for (const layer of placements) for (const gpu of layer) slots = Math.max(slots, gpu.length);
  let padded = 0;
  const out = placements.map((layer) => {
    const copies = new Map<number, number>();
    for (const gpu of layer) for (const e of gpu) copies.set(e, (copies.get(e) ?? 0) + 1);
    const fewest = (pool: number[]) => pool.sort((a, b) => (copies.get(a) ?? 0) - (copies.get(b) ?? 0) || a - b)[0];
    return layer.map((gpu) => {
      const row = [...gpu];
      while (row.length > 0 && row.length < slots) {
        const e = sameGpuCopies ? fewest([...gpu]) : fewest([...copies.keys()].filter((x) => !row.includes(x)));
        if (e === undefined) break;
        row.push(e);
        copies.set(e, (copies.get(e) ?? 0) + 1);
        padded++;
      }
      return row;
    });
  });
  return { placements: out, slots, padded };
}
