// Writing expert id lists the way people read them: sorted, with runs of
// three or more consecutive ids as `a..b` (`0 1 2 3 7` → `0..3 7`).

export function formatExpertList(ids: readonly number[]): string {
  const sorted = [...ids].sort((a, b) => a - b);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    if (j - i >= 2) {
      parts.push(`${sorted[i]}..${sorted[j]}`);
      i = j + 1;
    } else {
      parts.push(String(sorted[i]));
      i++;
    }
  }
  return parts.join(' ');
}
