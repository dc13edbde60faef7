// How every surface writes a figure: lenses, hovers, diagnostics, inlay
// hints, the status item, the placement view, the HTML report and the CLI
// tables all call these, so one figure reads the same everywhere.
//
// The rule: a measured quantity gets three significant digits in the unit
// that keeps it between 1 and 1000 ("409 µs", "1.50 ms", "2.44 GiB"), except
// that a whole number in that unit is written whole ("16 GiB", "400 µs":
// usually a figure someone wrote in the plan). E[T] and loads are in
// expert-time units with three decimals (differences between placements are
// often in the third); shares are percentages with one decimal. Anything not
// finite is "—". Pure: no DOM, no Node, so the webview bundles it too.

/** Shown for a figure that is not a finite number. */
export const MISSING = '—';

/** Three significant digits, or the whole number when it is one. */
function digits3(x: number): string {
  if (Number.isInteger(x)) return String(x);
  const a = Math.abs(x);
  return x.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2);
}

/**
 * `x` in the largest unit of `scale` (ascending factors) that it reaches,
 * moving up one unit when rounding reaches the next (999.7 µs is "1.00 ms",
 * not "1000 µs").
 */
function scaled(x: number, scale: readonly (readonly [number, string])[]): string {
  if (!Number.isFinite(x)) return MISSING;
  const a = Math.abs(x);
  let i = 0;
  while (i + 1 < scale.length && a >= scale[i + 1]![0]) i++;
  // 12 significant digits first: 50 ms is 0.05 s × 1e3 = 50.00000000000001 in floating point, and is written whole.
  const inUnit = (k: number) => Number((x / scale[k]![0]).toPrecision(12));
  let text = digits3(inUnit(i));
  if (i + 1 < scale.length && Math.abs(Number(text)) * scale[i]![0] >= scale[i + 1]![0]) text = digits3(inUnit(++i));
  return `${text} ${scale[i]![1]}`;
}

const TIME: readonly (readonly [number, string])[] = [
  [1e-9, 'ns'],
  [1e-6, 'µs'],
  [1e-3, 'ms'],
  [1, 's'],
];

/** A duration in seconds: "409 µs", "1.50 ms", "12.0 s". */
export function seconds(s: number): string {
  if (s === 0) return '0 s';
  return scaled(s, TIME);
}

/** A duration in microseconds (the cost model's unit): "409 µs", "1.50 ms". */
export function micros(us: number): string {
  if (us === 0) return '0 µs';
  return seconds(us * 1e-6);
}

/** A duration in milliseconds (solver times): "850 ms", "1.20 s". */
export function millis(ms: number): string {
  if (ms === 0) return '0 ms';
  return seconds(ms * 1e-3);
}

const BINARY_BYTES: readonly (readonly [number, string])[] = [
  [1, 'B'],
  [2 ** 10, 'KiB'],
  [2 ** 20, 'MiB'],
  [2 ** 30, 'GiB'],
  [2 ** 40, 'TiB'],
  [2 ** 50, 'PiB'],
];

/** A size in bytes, binary units as memory tools show them: "336 MiB", "2.44 GiB", "80 GiB". */
export function bytes(n: number): string {
  if (n === 0) return '0 B';
  return scaled(n, BINARY_BYTES);
}

const BANDWIDTH: readonly (readonly [number, string])[] = [
  [1, 'B/s'],
  [1e3, 'KB/s'],
  [1e6, 'MB/s'],
  [1e9, 'GB/s'],
  [1e12, 'TB/s'],
];

/** A bandwidth in bytes per second, decimal units as datasheets give them: "450 GB/s", "3.35 TB/s". */
export function rate(bytesPerS: number): string {
  return scaled(bytesPerS, BANDWIDTH);
}

const COMPUTE: readonly (readonly [number, string])[] = [
  [1e9, 'GFLOP/s'],
  [1e12, 'TFLOP/s'],
  [1e15, 'PFLOP/s'],
];

/** A compute rate in FLOP/s: "989 TFLOP/s", "2.25 PFLOP/s". */
export function flops(f: number): string {
  return scaled(f, COMPUTE);
}

/** E[T], in expert-time units: "1.408". */
export function expectedTime(t: number): string {
  return Number.isFinite(t) ? t.toFixed(3) : MISSING;
}

/** An expected load (activations per token), in the same units as E[T]: "0.250". */
export const load = expectedTime;

/** A fraction as a percentage with one decimal: 0.363 → "36.3%". */
export function percent(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(1)}%` : MISSING;
}

/** A change as a signed percentage: 0.05 → "+5.0%", −0.1 → "-10.0%". */
export function signedPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return MISSING;
  const text = percent(fraction);
  if (Number(text.slice(0, -1)) === 0) return '0.0%'; // neither "+0.0%" nor "-0.0%"
  return fraction > 0 ? `+${text}` : text;
}

/** A dimensionless ratio such as γ: two decimals, "0.52". */
export function ratio(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : MISSING;
}

/** A count with thousands separators: "20,000". */
export function count(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : MISSING;
}

/** Tokens per second, three significant digits with separators: "41,200 tokens/s". */
export function tokensPerSecond(x: number): string {
  if (!Number.isFinite(x)) return MISSING;
  return `${Math.abs(x) >= 1000 ? count(Number(x.toPrecision(3))) : digits3(x)} tokens/s`;
}

/** A plain number with about three significant digits (axis ticks, γ in prose): 4730 → "4,730", 0.0123 → "0.0123". */
export function number(x: number): string {
  if (!Number.isFinite(x)) return MISSING;
  const a = Math.abs(x);
  if (a >= 1000) return count(x);
  if (a !== 0 && a < 0.001) return x.toExponential(2);
  const r = Number(x.toPrecision(3));
  return a < 1 ? String(r) : digits3(r);
}
