// "Did you mean …?" suggestions: the closest candidate by edit distance.

/** Levenshtein distance, case-insensitive. */
function editDistance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  if (a === b) return 0;
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** Words longer than this get no suggestion. */
const MAX_SUGGESTED_LENGTH = 64;

/**
 * The candidate closest to `word`, if it is close enough to be a plausible
 * typo (at most a third of the longer word, or a prefix/containment match).
 */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  // No keyword is this long: a huge token (a wrong file) would cost seconds of edit distance.
  if (word.length > MAX_SUGGESTED_LENGTH) return undefined;
  let best: string | undefined;
  let bestD = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    let d = editDistance(w, c);
    const lc = c.toLowerCase();
    if (w.length >= 3 && (lc.startsWith(w) || lc.includes(w) || w.includes(lc))) d = Math.min(d, 1.5);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(2, Math.ceil(Math.max(w.length, best.length) / 3));
  return bestD <= limit ? best : undefined;
}
