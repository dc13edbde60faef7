// One way to show a figure: the examples every surface relies on, and
// properties over any value (the unit keeps the mantissa below 1000, the
// text reads back as the value to within the rounding).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as show from '../../server/src/display';
import { overallLensTitle } from '../../server/src/feedback/lenses';
import { keyFigures } from '../../server/src/report/keyFigures';
import { summary } from '../../server/src/cli/solve';
import { syntheticResults } from '../webview/syntheticResults';

test('times: three significant digits, whole numbers whole, the unit moves up when rounding reaches it', () => {
  assert.equal(show.micros(409.2), '409 µs');
  assert.equal(show.micros(1500), '1.50 ms');
  assert.equal(show.micros(1499.6), '1.50 ms');
  assert.equal(show.micros(999.7), '1.00 ms');
  assert.equal(show.micros(40), '40 µs');
  assert.equal(show.micros(40.04), '40.0 µs');
  assert.equal(show.micros(4.1), '4.10 µs');
  assert.equal(show.micros(0.5), '500 ns');
  assert.equal(show.micros(12_345_678), '12.3 s');
  assert.equal(show.micros(0), '0 µs');
  assert.equal(show.micros(NaN), '—');
  assert.equal(show.millis(850), '850 ms');
  assert.equal(show.millis(1234), '1.23 s');
  assert.equal(show.seconds(3e-6), '3 µs');
});

test('sizes, bandwidths and compute rates', () => {
  assert.equal(show.bytes(16 * 2 ** 30), '16 GiB');
  assert.equal(show.bytes(336 * 2 ** 20), '336 MiB');
  assert.equal(show.bytes(2.4375 * 2 ** 30), '2.44 GiB');
  assert.equal(show.bytes(1023.9 * 2 ** 20), '1.00 GiB');
  assert.equal(show.bytes(1011 * 2 ** 20), '1011 MiB');
  assert.equal(show.bytes(512), '512 B');
  assert.equal(show.bytes(0), '0 B');
  assert.equal(show.rate(450e9), '450 GB/s');
  assert.equal(show.rate(3.35e12), '3.35 TB/s');
  assert.equal(show.flops(989e12), '989 TFLOP/s');
  assert.equal(show.flops(2.25e15), '2.25 PFLOP/s');
});

test('E[T], loads, shares, ratios, counts and throughput', () => {
  assert.equal(show.expectedTime(1.40849), '1.408');
  assert.equal(show.expectedTime(Infinity), '—');
  assert.equal(show.load(0.25), '0.250');
  assert.equal(show.percent(0.363), '36.3%');
  assert.equal(show.percent(0.05), '5.0%');
  assert.equal(show.signedPercent(0.05), '+5.0%');
  assert.equal(show.signedPercent(-0.1), '-10.0%');
  assert.equal(show.signedPercent(-0.00001), '0.0%');
  assert.equal(show.ratio(0.5234), '0.52');
  assert.equal(show.count(20000), '20,000');
  assert.equal(show.tokensPerSecond(41_234), '41,200 tokens/s');
  assert.equal(show.tokensPerSecond(812.4), '812 tokens/s');
  assert.equal(show.number(4730.4), '4,730');
  assert.equal(show.number(0.0123), '0.0123');
  assert.equal(show.number(12.345), '12.3');
});

const UNIT: Record<string, number> = { ns: 1e-9, µs: 1e-6, ms: 1e-3, s: 1, B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40, PiB: 2 ** 50 };

function readBack(text: string): { mantissa: number; value: number; unit: string } {
  const m = /^(-?\d+(?:\.\d+)?) (\S+)$/.exec(text);
  assert.ok(m, text);
  const unit = m[2]!;
  assert.ok(unit in UNIT, text);
  return { mantissa: Number(m[1]), value: Number(m[1]) * UNIT[unit]!, unit };
}

test('any duration reads back within the rounding, with a mantissa below 1000 (seconds aside)', () => {
  fc.assert(
    fc.property(fc.double({ min: 1e-9, max: 1e5, noNaN: true }), (s) => {
      const r = readBack(show.seconds(s));
      assert.ok(Math.abs(r.value - s) <= 0.005 * s + 1e-15, `${s} → ${show.seconds(s)}`);
      if (r.unit !== 's') assert.ok(r.mantissa < 1000, show.seconds(s));
      assert.ok(r.mantissa >= 1 || r.unit === 'ns', show.seconds(s));
    }),
  );
});

test('any size reads back within the rounding, in the largest unit it reaches', () => {
  fc.assert(
    fc.property(fc.double({ min: 1, max: 2 ** 55, noNaN: true }), (n) => {
      const r = readBack(show.bytes(n));
      assert.ok(Math.abs(r.value - n) <= 0.005 * n + 0.5, `${n} → ${show.bytes(n)}`);
      assert.ok(r.mantissa < 1024 || r.unit === 'PiB', show.bytes(n));
      assert.ok(r.mantissa >= 1, show.bytes(n));
    }),
  );
});

test('the lens, the key figures (view and report) and the CLI table show the same µs, E[T] and gain', () => {
  const r = syntheticResults({ layers: 4, experts: 16, gpus: 4, topK: 2, seed: 3 });
  const et = show.expectedTime(r.expectedTime);
  const us = show.micros(r.latencyUs);
  const perStep = show.micros(r.latencyUsPerToken);
  const lens = overallLensTitle(r);
  const figures = keyFigures(r);
  const table = summary(r);
  // The objective (latency) first, E[T] beside it.
  assert.ok(lens.includes(`${us} per layer`), lens);
  assert.ok(lens.indexOf(us) < lens.indexOf(`E[T] ${et}`), lens);
  assert.ok(lens.includes(perStep), lens);
  assert.ok(figures.find((k) => k.label === 'Latency per layer')?.value.startsWith(us), JSON.stringify(figures));
  assert.equal(figures.find((k) => k.label === 'E[T]')?.value, et);
  assert.ok(figures.find((k) => k.label === 'Per step')?.value.startsWith(perStep));
  const mean = table.split('\n').find((l) => l.startsWith('mean'));
  const cells = mean?.split(/\s{2,}/) ?? [];
  assert.ok(cells.includes(et), table);
  assert.ok(table.includes(perStep), table);
  // The gain over EPLB by the objective, the same number on each surface.
  const gain = (r.baselinesUs.eplb - r.latencyUs) / r.baselinesUs.eplb;
  assert.ok(lens.includes(`${show.percent(Math.abs(gain))} ${gain >= 0 ? 'faster' : 'slower'} than EPLB`), lens);
  assert.ok(
    figures.some((k) => k.value.startsWith(`${show.percent(Math.abs(gain))} ${gain >= 0 ? 'faster' : 'slower'}`)),
    JSON.stringify(figures),
  );
});
