// fast-check arbitraries from the JSON Schemas the routes validate with (TypeBox emits plain JSON Schema):
// values shaped like the contract — so a fuzzed request gets past validation into the handler — mixed with
// values that are not (a wrong type, a key too many or too few, arbitrary JSON).
import fc from 'fast-check';
import { BASE64_FORMAT } from '../../common/wire/base64.ts';

type Schema = Record<string, any>;

/** Real values for patterned strings (a user id that exists, a group that exists), keyed by the pattern (or the format's name). */
export type Hints = Record<string, readonly unknown[]>;

/** Strings matching `pattern` within the length bounds (generated from the regex, then filtered to the bounds). */
function patterned(schema: Schema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = Math.min(schema.maxLength ?? 200, 400);
  return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= min && s.length <= max);
}

/** Values the schema accepts (or nearly: patterns of unusual form may be approximated). */
export function conforming(schema: Schema | undefined, hints: Hints = {}, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || typeof schema !== 'object') return fc.jsonValue({ maxDepth: 2 });
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  if (Array.isArray(schema.anyOf)) return fc.oneof(...schema.anyOf.map((s: Schema) => conforming(s, hints, depth + 1)));
  switch (schema.type) {
    case 'string': {
      // The `base64` format (common/wire/base64.ts): hints under the format's name, else bytes of a fitting length.
      if (schema.format === BASE64_FORMAT) {
        const bytes = fc.uint8Array({ minLength: Math.ceil((schema.minLength ?? 0) / 4) * 3, maxLength: Math.min(Math.floor((schema.maxLength ?? 200) / 4) * 3, 300) })
          .map((b) => Buffer.from(b).toString('base64'));
        const known = hints[BASE64_FORMAT];
        return known?.length ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: bytes }) : bytes;
      }
      if (!schema.pattern) return fc.string({ unit: 'grapheme', minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 80) });
      const known = hints[schema.pattern];
      return known?.length ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: patterned(schema) }) : patterned(schema);
    }
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return depth > 4 ? fc.constant([]) : fc.array(conforming(schema.items, hints, depth + 1), {
        minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 4),
      });
    case 'object': {
      if (schema.properties) {
        const props = Object.fromEntries(Object.entries(schema.properties as Record<string, Schema>).map(([k, s]) => [k, conforming(s, hints, depth + 1)]));
        return fc.record(props, { requiredKeys: schema.required ?? [] });
      }
      if (schema.patternProperties) {
        const value = Object.values(schema.patternProperties as Record<string, Schema>)[0];
        return fc.dictionary(fc.string({ maxLength: 8 }), conforming(value, hints, depth + 1), { maxKeys: 3 });
      }
      return fc.object({ maxDepth: 1 });
    }
  }
  return fc.jsonValue({ maxDepth: 2 });
}

/** Something the schema would likely refuse: a wrong type, an extra key, a missing required key. */
function nonconforming(schema: Schema | undefined): fc.Arbitrary<unknown> {
  const options: fc.Arbitrary<unknown>[] = [fc.jsonValue({ maxDepth: 3 }), fc.string(), fc.constantFrom(null, 0, -1, 2 ** 53, '', [], {}, true)];
  if (schema?.type === 'object' && schema.properties) {
    options.push(conforming(schema).map((v) => ({ ...(v as object), ['__proto__x']: 1, constructor: 'x' })));
    options.push(conforming(schema).chain((v) => {
      const keys = Object.keys(v as object);
      return keys.length === 0 ? fc.constant(v) : fc.constantFrom(...keys).map((k) => { const c = { ...(v as object) } as Record<string, unknown>; delete c[k]; return c; });
    }));
  }
  return fc.oneof(...options);
}

/** Mostly contract-shaped, sometimes not. */
export const fuzzed = (schema: Schema | undefined, hints: Hints = {}): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 3, arbitrary: conforming(schema, hints) }, { weight: 1, arbitrary: nonconforming(schema) });
