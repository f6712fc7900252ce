/**
 * JSON Schema (the subset openapi.yaml uses) → fast-check arbitraries of valid-ish values: the
 * right shape, types, enums, patterns and formats, with optional properties sometimes left out.
 * Not every value is valid (if/then, `not`, cross-field rules are not modelled); the suite asks
 * Ajv which ones are, and mutates them into ones that are not.
 */
import fc from 'fast-check';
import { deref, type Obj } from './spec.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const MAX_DEPTH = 8;

const isoDate = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2035-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const isoDateTime = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2035-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());
const email = fc
  .tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/), fc.stringMatching(/^[a-z]{2,10}$/), fc.constantFrom('test', 'example', 'co.uk'))
  .map(([user, host, tld]) => `${user}@${host}.${tld}`);
const uri = fc.oneof(
  fc.webUrl({ validSchemes: ['https'] }),
  fc.constantFrom('https://platform.example/done', 'http://127.0.0.1:3000/return?x=1'),
);
/** Text that is not blank once trimmed, of at most `max` characters. */
const nonBlank = (min: number, max: number) =>
  fc
    .string({ minLength: Math.max(min, 1), maxLength: Math.max(Math.min(max, 24), Math.max(min, 1)), unit: 'grapheme-ascii' })
    .map((s) => s.trim())
    .filter((s) => s.length >= Math.max(min, 1) && s.length <= max);

function stringArbitrary(schema: Obj): fc.Arbitrary<string> {
  const min = Number(schema.minLength ?? 0);
  const max = Number(schema.maxLength ?? 40);
  switch (schema.format) {
    case 'date':
      return isoDate;
    case 'date-time':
      return isoDateTime;
    case 'email':
      return email;
    case 'uuid':
      return fc.uuid();
    case 'uri':
    case 'url':
      return uri.filter((s) => s.length <= max);
  }
  if (typeof schema.pattern === 'string') {
    if (schema.pattern === '\\S') return nonBlank(min, max);
    const regex = new RegExp(schema.pattern);
    return fc.stringMatching(regex).filter((s) => s.length >= min && s.length <= max);
  }
  return fc.string({ minLength: min, maxLength: Math.min(max, Math.max(min, 24)), unit: 'grapheme-ascii' });
}

function objectArbitrary(schema: Obj, depth: number): fc.Arbitrary<Json> {
  const properties = (schema.properties ?? {}) as Obj;
  const required = new Set<string>((schema.required ?? []) as string[]);
  const model: Record<string, fc.Arbitrary<Json>> = {};
  for (const [name, propSchema] of Object.entries(properties)) model[name] = arbitraryFor(propSchema as Obj, depth + 1);
  // Required fields a branch names without describing (e.g. in if/then) still get a value.
  for (const name of required) model[name] ??= fc.constant('x');
  const base = fc.record(model, { requiredKeys: [...required] }) as fc.Arbitrary<Record<string, Json>>;
  const extra = schema.additionalProperties;
  if (extra && typeof extra === 'object') {
    const names = schema.propertyNames ? stringArbitrary(deref(schema.propertyNames)) : fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme-ascii' });
    const maxKeys = Math.min(Number(schema.maxProperties ?? 4), 4);
    return fc
      .tuple(base, fc.dictionary(names, arbitraryFor(extra as Obj, depth + 1), { maxKeys }))
      .map(([fixed, more]) => ({ ...more, ...fixed }));
  }
  if (Object.keys(properties).length === 0 && schema.additionalProperties !== false) {
    // A free-form object (e.g. an unhandled event's `data`).
    return fc.dictionary(fc.string({ minLength: 1, maxLength: 8, unit: 'grapheme-ascii' }), leafJson, { maxKeys: 3 });
  }
  return base;
}

const leafJson: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -1000, max: 1000 }),
  fc.string({ maxLength: 12, unit: 'grapheme-ascii' }),
);

/** An arbitrary of values shaped like `schema` (local `$ref`s into components are followed). */
export function arbitraryFor(input: Obj | boolean | undefined, depth = 0): fc.Arbitrary<Json> {
  if (input === undefined || input === true) return leafJson;
  if (input === false) return fc.constant(null);
  const schema = deref(input);
  if (depth > MAX_DEPTH) return leafJson;
  if ('const' in schema) return fc.constant(schema.const as Json);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as Json[]));
  const branches = (schema.oneOf ?? schema.anyOf) as Obj[] | undefined;
  if (branches) {
    // Sibling keywords (e.g. `default`) are annotations here; branches carry the shape.
    return fc.oneof(...branches.map((b) => arbitraryFor(b, depth + 1)));
  }
  if (Array.isArray(schema.allOf)) {
    const merged: Obj = {};
    for (const part of schema.allOf as Obj[]) {
      const p = deref(part);
      Object.assign(merged, p, {
        properties: { ...(merged.properties ?? {}), ...(p.properties ?? {}) },
        required: [...(merged.required ?? []), ...(p.required ?? [])],
      });
    }
    return arbitraryFor(merged, depth);
  }
  const types: string[] = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : schema.properties ? ['object'] : [];
  if (types.length > 1) return fc.oneof(...types.map((t) => arbitraryFor({ ...schema, type: t }, depth)));
  switch (types[0]) {
    case 'object':
      return objectArbitrary(schema, depth);
    case 'array': {
      const minLength = Number(schema.minItems ?? 0);
      const maxLength = Math.max(minLength, Math.min(Number(schema.maxItems ?? 3), 3));
      return fc.array(arbitraryFor(schema.items as Obj | undefined, depth + 1), { minLength, maxLength });
    }
    case 'string':
      return stringArbitrary(schema);
    case 'integer':
      return fc.integer({
        min: Math.max(Number(schema.minimum ?? -1_000_000), -2_147_483_648),
        max: Math.min(Number(schema.maximum ?? 1_000_000), 2_147_483_647),
      });
    case 'number':
      return fc.double({ min: Number(schema.minimum ?? -1e6), max: Number(schema.maximum ?? 1e6), noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return leafJson;
  }
}
