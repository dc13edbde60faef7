// The byte-level JSON field scanner against JSON.parse, the reference: on
// any line, valid or mangled, when the scanner answers (scan() is true) the
// line is valid JSON and each wanted field holds what JSON.parse gives; when
// JSON.parse refuses a line the scanner never answers for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FieldKind, JsonFieldScanner } from '../../server/src/workload/readers/jsonScan';

const FIELDS = [
  { names: ['layer', 'layer_id'] },
  { names: ['experts', 'topk_ids', 'routing.ids'], ids: true },
  { names: ['req_id'] },
  { names: ['token_idx'] },
  { names: ['type'] },
];

function reference(obj: unknown, names: readonly string[]): { found: boolean; value?: unknown; rank: number } {
  for (let rank = 0; rank < names.length; rank++) {
    let v: unknown = obj;
    for (const part of names[rank].split('.')) {
      if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, part)) {
        v = undefined;
        break;
      }
      v = (v as Record<string, unknown>)[part];
    }
    if (v !== undefined) return { found: true, value: v, rank };
  }
  return { found: false, rank: -1 };
}

function check(line: string): void {
  const buf = Buffer.from(line, 'utf8');
  const sc = new JsonFieldScanner(FIELDS);
  const answered = sc.scan(buf, 0, buf.length);
  let parsed: unknown;
  let valid = true;
  try {
    parsed = JSON.parse(line);
  } catch {
    valid = false;
  }
  if (!valid) {
    assert.equal(answered, false, `scanner answered for invalid JSON: ${line}`);
    return;
  }
  if (!answered) return;
  assert.ok(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed), `answered for a non-object: ${line}`);
  FIELDS.forEach((f, slot) => {
    const ref = reference(parsed, f.names);
    const kind = sc.kind[slot];
    if (!ref.found) {
      assert.equal(kind, FieldKind.Absent, `slot ${slot} of ${line}`);
      return;
    }
    assert.notEqual(kind, FieldKind.Absent, `slot ${slot} of ${line}`);
    assert.equal(f.names[sc.rank[slot]], f.names[ref.rank], `name of slot ${slot} in ${line}`);
    const v = ref.value;
    if (kind === FieldKind.Int) assert.equal(sc.ints[slot], v, `int of slot ${slot} in ${line}`);
    else if (kind === FieldKind.String) assert.equal(buf.toString('utf8', sc.strStart[slot], sc.strEnd[slot]), v, `string of slot ${slot} in ${line}`);
    else if (kind === FieldKind.IntArray) assert.deepEqual(Array.from(sc.ids.subarray(0, sc.idsLength)), v, `ids of slot ${slot} in ${line}`);
    else assert.equal(kind, FieldKind.Other);
    if (kind === FieldKind.IntArray) assert.ok(f.ids, `ids read for slot ${slot}`);
  });
}

const scalar = fc.oneof(
  fc.integer({ min: 0, max: 300 }),
  fc.integer({ min: -5, max: -1 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 6 }),
  fc.constantFrom('r\\u00e9q', 'tab\there', 'quote"inside', 'é'),
  fc.boolean(),
  fc.constant(null),
);
const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    scalar,
    fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 9 }),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('ids', 'x', 'layer'), tie('v'), { maxKeys: 3 }),
  ),
})).v;
const key = fc.constantFrom('layer', 'layer_id', 'experts', 'topk_ids', 'routing', 'req_id', 'token_idx', 'type', 'topk_weights', 'other', 'la\\u0079er');
const record = fc.array(fc.tuple(key, value), { maxLength: 8 });

/** JSON text of a record, keys possibly repeated, with random spacing. */
function render(pairs: [string, unknown][], space: string): string {
  return `{${pairs.map(([k, v]) => `${space}"${k}"${space}:${space}${JSON.stringify(v, null, space.length > 0 && typeof v === 'object' ? 1 : undefined)?.replace(/\n/g, ' ') ?? 'null'}`).join(',')}${space}}`;
}

test('property: on valid records the scanner agrees with JSON.parse field by field', () => {
  fc.assert(
    fc.property(record, fc.constantFrom('', ' ', '\t'), (pairs, space) => check(render(pairs, space))),
    { numRuns: 3000 },
  );
});

test('property: mangled records (a byte inserted, removed or changed) are never answered wrongly', () => {
  const junk = fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', '-', '.', 'e', '0', '01', ' ', '\u0001', 'x', 'nul', 'tru');
  fc.assert(
    fc.property(record, fc.nat(), junk, fc.constantFrom('insert', 'delete', 'replace', 'truncate'), (pairs, at, j, how) => {
      const text = render(pairs, '');
      const p = at % (text.length + 1);
      const mangled =
        how === 'insert'
          ? text.slice(0, p) + j + text.slice(p)
          : how === 'delete'
            ? text.slice(0, p) + text.slice(p + 1)
            : how === 'replace'
              ? text.slice(0, p) + j + text.slice(p + 1)
              : text.slice(0, p);
      check(mangled);
    }),
    { numRuns: 5000 },
  );
});

test('examples: plain fields are typed, others are left to JSON.parse', () => {
  const sc = new JsonFieldScanner(FIELDS);
  const scan = (line: string) => sc.scan(Buffer.from(line), 0, Buffer.byteLength(line));
  assert.ok(scan('{"type":"route","req_id":"r7","token_idx":12,"layer":3,"topk_ids":[5,1],"topk_weights":[0.6,4e-1]}'));
  assert.deepEqual(
    [sc.kind[0], sc.ints[0], sc.kind[1], Array.from(sc.ids.subarray(0, sc.idsLength)), sc.kind[3], sc.ints[3]],
    [FieldKind.Int, 3, FieldKind.IntArray, [5, 1], FieldKind.Int, 12],
  );
  assert.ok(scan('{"routing": {"ids": [2, 3]}, "layer": 0}'));
  assert.equal(sc.kind[1], FieldKind.IntArray);
  // "experts" outranks "topk_ids" whatever their order; a repeated key keeps the last.
  assert.ok(scan('{"topk_ids":[1,2],"experts":[3,4],"experts":[5,6],"layer":1}'));
  assert.deepEqual(Array.from(sc.ids.subarray(0, sc.idsLength)), [5, 6]);
  assert.ok(scan('{"layer": 3.0, "experts": [1, -2]}'));
  assert.deepEqual([sc.kind[0], sc.kind[1]], [FieldKind.Other, FieldKind.Other]);
  assert.equal(scan('{"layer": 3, "experts": [1, 2]} trailing'), false);
  assert.equal(scan('{"layer": 01}'), false);
  assert.equal(scan('{"la\\u0079er": 3}'), false, 'an escaped key might spell a wanted name');
  assert.equal(scan('[1, 2]'), false);
  assert.equal(scan('{"w": [1.5, 2e3, -0, 0.0e+1]}'), true);
  assert.equal(scan('{"w": [1.]}'), false);
  assert.equal(scan('{"w": [1 2]}'), false);
});
