// Units a number may carry in a plan, and their factors to SI base units
// (bytes, bytes per second, seconds, FLOP/s, fraction, tokens).
//
// Decimal prefixes (KB, GB, TB/s) are powers of 1000 as in datasheets;
// binary prefixes (KiB, GiB) are powers of 1024 as in memory tools.
// Bit rates (Gb/s) are divided by 8.

export type UnitKind = 'bytes' | 'bandwidth' | 'time' | 'compute' | 'percent' | 'tokens';

interface UnitInfo {
  /** Canonical spelling. */
  text: string;
  kind: UnitKind;
  /** Multiply a value in this unit by `factor` to get the SI base unit. */
  factor: number;
}

const K = 1e3;
const Ki = 1024;

const TABLE: [string, UnitKind, number][] = [
  ['B', 'bytes', 1],
  ['KB', 'bytes', K],
  ['MB', 'bytes', K ** 2],
  ['GB', 'bytes', K ** 3],
  ['TB', 'bytes', K ** 4],
  ['KiB', 'bytes', Ki],
  ['MiB', 'bytes', Ki ** 2],
  ['GiB', 'bytes', Ki ** 3],
  ['TiB', 'bytes', Ki ** 4],
  ['B/s', 'bandwidth', 1],
  ['KB/s', 'bandwidth', K],
  ['MB/s', 'bandwidth', K ** 2],
  ['GB/s', 'bandwidth', K ** 3],
  ['TB/s', 'bandwidth', K ** 4],
  ['KiB/s', 'bandwidth', Ki],
  ['MiB/s', 'bandwidth', Ki ** 2],
  ['GiB/s', 'bandwidth', Ki ** 3],
  ['TiB/s', 'bandwidth', Ki ** 4],
  ['Kb/s', 'bandwidth', K / 8],
  ['Mb/s', 'bandwidth', K ** 2 / 8],
  ['Gb/s', 'bandwidth', K ** 3 / 8],
  ['Tb/s', 'bandwidth', K ** 4 / 8],
  ['Gbps', 'bandwidth', K ** 3 / 8],
  ['ns', 'time', 1e-9],
  ['us', 'time', 1e-6],
  ['µs', 'time', 1e-6], // U+00B5 micro sign
  ['μs', 'time', 1e-6], // U+03BC greek mu, what many keyboards produce
  ['ms', 'time', 1e-3],
  ['s', 'time', 1],
  ['min', 'time', 60],
  ['GFLOPS', 'compute', 1e9],
  ['TFLOPS', 'compute', 1e12],
  ['PFLOPS', 'compute', 1e15],
  ['GFLOP/s', 'compute', 1e9],
  ['TFLOP/s', 'compute', 1e12],
  ['PFLOP/s', 'compute', 1e15],
  ['%', 'percent', 0.01],
  ['tokens', 'tokens', 1],
  ['token', 'tokens', 1],
];

const BY_TEXT = new Map<string, UnitInfo>(TABLE.map(([text, kind, factor]) => [text, { text, kind, factor }]));
const LOWER = new Set(TABLE.map(([t]) => t.toLowerCase()));

export const ALL_UNITS: readonly UnitInfo[] = [...BY_TEXT.values()];

/** The unit spelled exactly `text`, if any (units are case-sensitive: Gb/s ≠ GB/s). */
export function lookupUnit(text: string): UnitInfo | undefined {
  return BY_TEXT.get(text);
}

/** Units of one kind, canonical spellings first. */
export function unitsOfKind(kind: UnitKind): UnitInfo[] {
  return ALL_UNITS.filter((u) => u.kind === kind && u.text !== 'μs' && u.text !== 'Gbps');
}

/**
 * Whether a word written after a number (with a space) should be read as its
 * unit. Matches known units ignoring case, so `52 gib` is read as a unit and
 * then reported as a wrong spelling rather than as a stray word.
 */
export function looksLikeUnit(word: string): boolean {
  if (BY_TEXT.has(word)) return true;
  return word.length >= 2 && LOWER.has(word.toLowerCase());
}

export const KIND_NAMES: Record<UnitKind, string> = {
  bytes: 'a size (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)',
  bandwidth: 'a bandwidth (GB/s, TB/s, GiB/s, Gb/s, …)',
  time: 'a time (ns, us, µs, ms, s, min)',
  compute: 'a compute rate (TFLOPS, TFLOP/s, PFLOPS)',
  percent: 'a percentage (%)',
  tokens: 'a token count (tokens)',
};
