// A short fingerprint of a placement (GPU → experts, order within a GPU
// ignored), so results can say which committed placement they evaluated and
// the editor can tell when the text no longer matches them.

/** FNV-1a (32-bit) over the canonical text "e,e,…|e,…", as 8 hex digits. */
export function placementDigest(gpus: readonly (readonly number[])[]): string {
  let h = 0x811c9dc5;
  const mix = (code: number) => {
    h ^= code;
    h = Math.imul(h, 0x01000193) >>> 0;
  };
  gpus.forEach((experts, g) => {
    if (g > 0) mix(124); // |
    const sorted = [...experts].sort((a, b) => a - b);
    sorted.forEach((e, i) => {
      if (i > 0) mix(44); // ,
      for (const ch of String(e)) mix(ch.charCodeAt(0));
    });
  });
  return h.toString(16).padStart(8, '0');
}
