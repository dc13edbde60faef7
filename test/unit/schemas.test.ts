// The JSON schemas package.json registers (jsonValidation) hold the real
// outputs: `moeplan solve --json` on every bundled example, and the placement
// JSON `moeplan export --format json` writes. ajv (draft 2020-12, strict)
// also rejects a schema that is itself malformed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { main } from '../../server/src/cli/main';

const ROOT = join(__dirname, '..', '..');
const EXAMPLES = join(ROOT, 'examples');
const schema = (name: string) => JSON.parse(readFileSync(join(ROOT, 'schemas', name), 'utf8')) as object;
// strictRequired off: the schemas require some fields of objects whose other fields they leave open.
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
const validateSolve = ajv.compile(schema('solve-output.schema.json'));
const validatePlacement = ajv.compile(schema('placement.schema.json'));
// deepseek-v3.moeplan (58 layers × 256 experts, 20,000 tokens) takes over a
// minute to load and solve even with a 0.1 s budget: too slow for the unit
// suite. Its output has the same shape; the two others cover every field.
const SLOW = new Set(['deepseek-v3.moeplan']);
const plans = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.moeplan') && !SLOW.has(f))
  .sort();

async function cli(args: string[]): Promise<string> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += t), err: (t) => (err += t), cwd: EXAMPLES });
  assert.equal(code, 0, `moeplan ${args.join(' ')} failed:\n${err}`);
  return out;
}

const errorsOf = (errors: unknown) => JSON.stringify(errors, null, 1).slice(0, 2000);

test('the examples the schema test skips still exist (a renamed example would silently drop out)', () => {
  for (const f of SLOW) assert.ok(readdirSync(EXAMPLES).includes(f), `examples/${f} is gone: update SLOW`);
  assert.ok(plans.length >= 2);
});

test('package.json registers the schemas for the files they describe', () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    contributes: { jsonValidation: { fileMatch: string | string[]; url: string }[] };
  };
  const urls = manifest.contributes.jsonValidation.map((v) => v.url).sort();
  assert.deepEqual(urls, ['./schemas/placement.schema.json', './schemas/solve-output.schema.json']);
});

for (const plan of plans) {
  test(`moeplan solve --json on examples/${plan} matches schemas/solve-output.schema.json`, { timeout: 120_000 }, async () => {
    const results = JSON.parse(await cli(['solve', plan, '--json', '--time', '0.5'])) as unknown;
    assert.ok(validateSolve(results), errorsOf(validateSolve.errors));
  });
}

test('the schema refuses a solve output that lost a field or changed its unit type', async () => {
  const results = JSON.parse(await cli(['solve', 'mixtral-8x7b.moeplan', '--json', '--time', '0.2'])) as Record<string, unknown> & {
    layers: Record<string, unknown>[];
  };
  assert.equal(validateSolve({ ...results, layers: undefined }), false);
  assert.equal(validateSolve({ ...results, layers: [{ ...results.layers[0], placement: [['0']] }] }), false);
  assert.equal(validateSolve({ ...results, expectedTime: '1.2' }), false);
});

test('moeplan export --format json matches schemas/placement.schema.json; a wrong format tag does not', async () => {
  const doc = JSON.parse(await cli(['export', 'mixtral-8x7b.moeplan', '--format', 'json', '-o', '-'])) as Record<string, unknown> & { layers: unknown[] };
  assert.ok(validatePlacement(doc), errorsOf(validatePlacement.errors));
  assert.ok(doc.layers.length > 0);
  assert.equal(validatePlacement({ ...doc, format: 'sglang' }), false);
  assert.equal(validatePlacement({ ...doc, layers: [{ layer: 0, gpus: [[0, 0]] }] }), false, 'an expert twice on one GPU passes');
});
