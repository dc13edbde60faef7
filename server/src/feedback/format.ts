// Number formatting shared by hovers, lenses and hints: units always shown.

export function bytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = Math.abs(n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const s = v >= 100 || i === 0 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  return `${n < 0 ? '-' : ''}${s} ${units[i]}`;
}

export function rate(bytesPerS: number): string {
  const gb = bytesPerS / 1e9;
  return gb >= 1000 ? `${(gb / 1000).toFixed(2)} TB/s` : `${gb >= 100 ? gb.toFixed(0) : gb.toFixed(1)} GB/s`;
}

export function micros(us: number): string {
  if (!Number.isFinite(us)) return 'µs n/a';
  if (Math.abs(us) >= 10_000) return `${(us / 1000).toFixed(1)} ms`;
  if (Math.abs(us) >= 1000) return `${(us / 1000).toFixed(2)} ms`;
  return `${us >= 100 ? us.toFixed(0) : us.toFixed(1)} µs`;
}

export function seconds(s: number): string {
  if (s >= 1) return `${s.toFixed(s >= 10 ? 0 : 1)} s`;
  if (s >= 1e-3) return `${(s * 1e3).toFixed(s >= 1e-2 ? 0 : 1)} ms`;
  return `${(s * 1e6).toFixed(1)} µs`;
}

export function ms(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`;
}

/** E[T] and other expert-time figures: three significant decimals. */
export function et(x: number): string {
  return Number.isFinite(x) ? x.toFixed(3) : String(x);
}

export function pct(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}

export function flops(f: number): string {
  return f >= 1e15 ? `${(f / 1e15).toFixed(2)} PFLOP/s` : `${(f / 1e12).toFixed(0)} TFLOP/s`;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}
