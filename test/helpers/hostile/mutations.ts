/**
 * Mutations that turn a valid-ish JSON body into a hostile one: wrong types, missing and extra
 * fields, huge numbers, bad decimals, unicode edge cases, NUL, deep nesting, oversize bodies,
 * malformed JSON and bytes that are not UTF-8. A body is a tree that may hold raw JSON text
 * (numbers JSON.stringify cannot write, nesting too deep to build as objects), serialised once
 * the mutations are applied.
 */
import fc from 'fast-check';
import type { Json } from './schema-arbitrary.ts';
import { deref, type Obj } from './spec.ts';

/** Raw JSON text spliced in as-is when the tree is serialised. */
export class Raw {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** An object written with the given entries in order, duplicate keys included. */
export class DupObject {
  readonly entries: readonly (readonly [string, Tree])[];
  constructor(entries: readonly (readonly [string, Tree])[]) {
    this.entries = entries;
  }
}

export type Tree = Json | Raw | DupObject | Tree[] | { [key: string]: Tree };

export const BODY_LIMIT = 1024 * 1024;

export function serialize(tree: Tree): string {
  if (tree instanceof Raw) return tree.text;
  if (tree instanceof DupObject) return `{${tree.entries.map(([k, v]) => `${JSON.stringify(k)}:${serialize(v)}`).join(',')}}`;
  if (Array.isArray(tree)) return `[${tree.map(serialize).join(',')}]`;
  if (tree !== null && typeof tree === 'object') {
    return `{${Object.entries(tree).map(([k, v]) => `${JSON.stringify(k)}:${serialize(v)}`).join(',')}}`;
  }
  return JSON.stringify(tree);
}

// ---- Hostile values -------------------------------------------------------------------------

const LONG = 'x'.repeat(100_000);
export const HOSTILE_STRINGS: readonly string[] = [
  '', ' ', '\t\n', '\u00a0', '   padded   ',
  // unicode edge cases: lone surrogates, bidi controls, zero-width, emoji, combining marks
  '\ud800', '\udfff', 'a\ud800b', '\udc00\ud800', '\u202eevil\u202c', '\u200f\u200e', 'abc\u200b', '\u200b', '\ufeff',
  '\u2060', '\u2028\u2029', '👩‍👩‍👧‍👦', '🇬🇧', 'e\u0301', 'Z̷̛̺ä̸l̸g̸o̸', '𝟙𝟚𝟛', 'ＡＢＣ', '١٢٣', '\u{10ffff}', '\ufffe\uffff',
  // NUL and control characters
  '\u0000', 'a\u0000b', '\u0001\u001f\u007f', 'a\r\nb', '\u001b[31mred',
  // overlong strings (characters and UTF-16 units)
  'x'.repeat(201), 'x'.repeat(256), 'x'.repeat(4001), LONG, '€'.repeat(70_000), '😀'.repeat(201),
  // injection-shaped text
  "'; drop table documents; --", '<script>alert(1)</script>', '${jndi:ldap://x/a}', '{{7*7}}', '%00', '%s%n%x', '../../../../etc/passwd', '__proto__',
  // bad decimals
  '1e309', 'NaN', 'Infinity', '-Infinity', '-0', '1.123456789012345678901234567890', '0.000000000000000000000000000001', '0x1A', '1,000.00',
  ' 12.50', '12.50 ', '+12.5', '١٢٫٥', '12.5\u200b', '.5', '5.', '1e3', '--1', '0.00', '-0.01', '99999999999999999', '1234567890123456.5',
  // bad dates and timestamps
  '2026-02-31', '2026-13-01', '0000-00-00', '2026-1-1', '20261121', 'x', '+275760-09-13', '2026-11-21T10:00:00+01', '2026-02-31T10:00:00Z',
  '2026-11-21T25:00:00Z', '2026-11-21 10:00:00Z', '2026-11-21T10:00:00', '9999-12-31T23:59:60Z',
  // almost-ids
  '00000000-0000-0000-0000-000000000000', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', '0b7c6f0e-2f57-4a4a-9d0f-3b8e5a2c1d4', '*',
];

/** Numbers as raw JSON text: beyond doubles, beyond PostgreSQL's numeric, negative zero, fractions. */
export const HOSTILE_NUMBERS: readonly string[] = [
  '0', '-0', '-1', '1.5', '1e309', '-1e309', '1E400', '4.9e-325', '1e-7', '1e131072', '1e-16384', '0e-99999', '9007199254740993',
  '123456789012345678901234567890', '2147483648', '-2147483649', `1${'0'.repeat(400)}`, `0.${'0'.repeat(17_000)}1`, `1.${'1'.repeat(20_000)}`,
];

const OTHER_TYPES: readonly Tree[] = [0, -1, 1.5, 1e21, '', 'x', true, false, null, [], {}, [1, 2], { a: 1 }, [null], { '': '' }];

/** Deep nesting as raw text: `depth` levels of arrays or objects around `inner`. */
export function deepNest(depth: number, shape: 'array' | 'object', inner: string): Raw {
  return shape === 'array'
    ? new Raw(`${'['.repeat(depth)}${inner}${']'.repeat(depth)}`)
    : new Raw(`${'{"a":'.repeat(depth)}${inner}${'}'.repeat(depth)}`);
}

// ---- Tree mutations -------------------------------------------------------------------------

type Path = (string | number)[];

function paths(tree: Tree, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (tree instanceof Raw || tree instanceof DupObject || tree === null || typeof tree !== 'object') return out;
  if (Array.isArray(tree)) tree.forEach((child, i) => paths(child, [...prefix, i], out));
  else for (const [k, child] of Object.entries(tree)) paths(child, [...prefix, k], out);
  return out;
}

function clone(tree: Tree): Tree {
  if (tree instanceof Raw || tree instanceof DupObject || tree === null || typeof tree !== 'object') return tree;
  if (Array.isArray(tree)) return tree.map(clone);
  const out: { [key: string]: Tree } = {};
  for (const [k, v] of Object.entries(tree)) Object.defineProperty(out, k, { value: clone(v), enumerable: true, writable: true, configurable: true });
  return out;
}

function get(tree: Tree, path: Path): Tree {
  let node: any = tree;
  for (const key of path) node = node[key];
  return node as Tree;
}

function set(tree: Tree, path: Path, value: Tree): Tree {
  if (path.length === 0) return value;
  const parent: any = get(tree, path.slice(0, -1));
  Object.defineProperty(parent, path.at(-1)!, { value, enumerable: true, writable: true, configurable: true });
  return tree;
}

export type Mutation =
  | { readonly op: 'wrongType'; readonly pick: number; readonly value: number }
  | { readonly op: 'hugeNumber'; readonly pick: number; readonly value: number }
  | { readonly op: 'hostileString'; readonly pick: number; readonly value: number }
  | { readonly op: 'insertChar'; readonly pick: number; readonly value: number; readonly at: number }
  | { readonly op: 'remove'; readonly pick: number }
  | { readonly op: 'extra'; readonly pick: number; readonly key: string; readonly value: number }
  | { readonly op: 'duplicateKey'; readonly pick: number; readonly value: number }
  | { readonly op: 'deep'; readonly pick: number; readonly depth: number; readonly shape: 'array' | 'object'; readonly inner: number }
  | { readonly op: 'bigArray'; readonly pick: number; readonly size: number }
  | { readonly op: 'wrapRoot'; readonly how: number }
  | { readonly op: 'schemaAware'; readonly pick: number; readonly value: number };

const INSERTS = ['\u0000', '\ud800', '\udc00', '\u202e', '\u200b', '\ufeff', '😀', '\u0301', '\r\n', '"', '\\', '\u2028'];
const DEEP_INNER = ['1', '"x"', '"\\u0000"', '"\\ud800"', '1e131072', '{}'];
const EXTRA_KEYS = ['unexpected', '__proto__', 'constructor', 'toString', '', '\u0000', '\ud800', 'k'.repeat(10_000), '$where', 'id ', 'ID', 'type'];

export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('schemaAware' as const), pick: fc.nat(), value: fc.nat() }) },
  fc.record({ op: fc.constant('wrongType' as const), pick: fc.nat(), value: fc.nat() }),
  fc.record({ op: fc.constant('hugeNumber' as const), pick: fc.nat(), value: fc.nat() }),
  { weight: 2, arbitrary: fc.record({ op: fc.constant('hostileString' as const), pick: fc.nat(), value: fc.nat() }) },
  fc.record({ op: fc.constant('insertChar' as const), pick: fc.nat(), value: fc.nat(), at: fc.nat() }),
  fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('extra' as const), pick: fc.nat(), key: fc.oneof(fc.constantFrom(...EXTRA_KEYS), fc.string({ maxLength: 10 })), value: fc.nat() }),
  fc.record({ op: fc.constant('duplicateKey' as const), pick: fc.nat(), value: fc.nat() }),
  fc.record({ op: fc.constant('deep' as const), pick: fc.nat(), depth: fc.constantFrom(64, 101, 1_000, 10_000, 100_000), shape: fc.constantFrom('array' as const, 'object' as const), inner: fc.nat() }),
  fc.record({
    op: fc.constant('bigArray' as const),
    pick: fc.nat(),
    size: fc.oneof({ weight: 4, arbitrary: fc.constant(51) }, { weight: 2, arbitrary: fc.constant(1_001) }, { weight: 1, arbitrary: fc.constant(10_001) }),
  }),
  fc.record({ op: fc.constant('wrapRoot' as const), how: fc.nat() }),
);

const pickOf = <T>(list: readonly T[], n: number): T => list[n % list.length]!;

/** Applies one mutation; `schema` (the request body schema) directs `schemaAware` ones. */
export function applyMutation(input: Tree, m: Mutation, schema?: Obj): Tree {
  const tree = clone(input);
  if (m.op === 'wrapRoot') {
    const text = serialize(tree);
    return pickOf<Tree>([null, [], 'x', 1, true, {}, new Raw(`[${text}]`), new Raw(`{"event":${text}}`), new Raw(`"${text.replace(/["\\]/g, '\\$&').slice(0, 200)}"`)], m.how);
  }
  const all = paths(tree);
  const path = pickOf(all, m.pick);
  const node = get(tree, path);
  switch (m.op) {
    case 'schemaAware': {
      // A leaf, and a value that is wrong in the way its schema invites: a bad date for a date,
      // a bad decimal for a decimal, a near miss for an enum, one character too many...
      const leaves = all.filter((p) => { const n = get(tree, p); return n === null || typeof n !== 'object'; });
      const target = leaves.length > 0 ? pickOf(leaves, m.pick) : path;
      const leafSchema = schema ? schemaAt(schema, tree, target) : undefined;
      return set(tree, target, clone(pickOf(hostileFor(leafSchema, get(tree, target)), m.value)));
    }
    case 'wrongType': {
      const options = OTHER_TYPES.filter((t) => typeof t !== typeof node || Array.isArray(t) !== Array.isArray(node) || (t === null) !== (node === null));
      return set(tree, path, clone(pickOf(options, m.value)));
    }
    case 'hugeNumber':
      return set(tree, path, new Raw(pickOf(HOSTILE_NUMBERS, m.value)));
    case 'hostileString':
      return set(tree, path, pickOf(HOSTILE_STRINGS, m.value));
    case 'insertChar': {
      // Into a string if one is at or below the pick, else the string itself.
      const strings = all.filter((p) => typeof get(tree, p) === 'string');
      const target = strings.length > 0 ? pickOf(strings, m.pick) : path;
      const s = typeof get(tree, target) === 'string' ? (get(tree, target) as string) : '';
      const at = s.length === 0 ? 0 : m.at % (s.length + 1);
      return set(tree, target, `${s.slice(0, at)}${pickOf(INSERTS, m.value)}${s.slice(at)}`);
    }
    case 'remove': {
      const objects = all.filter((p) => { const n = get(tree, p); return n !== null && typeof n === 'object' && !(n instanceof Raw) && !(n instanceof DupObject) && Object.keys(n).length > 0; });
      if (objects.length === 0) return tree;
      const target = pickOf(objects, m.pick);
      const container = get(tree, target) as any;
      if (Array.isArray(container)) container.splice(m.pick % container.length, 1);
      else delete container[pickOf(Object.keys(container), m.pick)];
      return tree;
    }
    case 'extra': {
      const objects = all.filter((p) => { const n = get(tree, p); return n !== null && typeof n === 'object' && !Array.isArray(n) && !(n instanceof Raw) && !(n instanceof DupObject); });
      if (objects.length === 0) return tree;
      const container = get(tree, pickOf(objects, m.pick)) as Record<string, Tree>;
      Object.defineProperty(container, m.key, { value: clone(pickOf(OTHER_TYPES, m.value)), enumerable: true, writable: true, configurable: true });
      return tree;
    }
    case 'duplicateKey': {
      // The same key twice: JSON.parse keeps the last, so the first may hide a bad value or the last one.
      const objects = all.filter((p) => { const n = get(tree, p); return n !== null && typeof n === 'object' && !Array.isArray(n) && !(n instanceof Raw) && !(n instanceof DupObject) && Object.keys(n).length > 0; });
      if (objects.length === 0) return tree;
      const target = pickOf(objects, m.pick);
      const container = get(tree, target) as Record<string, Tree>;
      const entries = Object.entries(container);
      const [key, value] = pickOf(entries, m.value);
      const other = clone(pickOf(OTHER_TYPES, m.value));
      const dup = m.value % 2 === 0 ? [...entries, [key, other] as const] : [[key, other] as const, ...entries.filter(([k]) => k !== key), [key, value] as const];
      return set(tree, target, new DupObject(dup));
    }
    case 'deep':
      return set(tree, path, deepNest(m.depth, m.shape, pickOf(DEEP_INNER, m.inner)));
    case 'bigArray': {
      const element = node instanceof Raw || node === null || typeof node !== 'object' ? node : Array.isArray(node) && node.length > 0 ? node[0]! : node;
      const text = serialize(element as Tree);
      // Past a few MiB it only tests the body limit again, and strings have a maximum length.
      const size = Math.max(1, Math.min(m.size, Math.floor((4 * BODY_LIMIT) / (text.length + 1))));
      return set(tree, path, new Raw(`[${Array.from({ length: size }, () => text).join(',')}]`));
    }
  }
}

// ---- Schema-directed values ------------------------------------------------------------------

/** The schema of the value at `path` in `tree` (oneOf branches chosen by what the value holds). */
export function schemaAt(root: Obj, tree: Tree, path: readonly (string | number)[]): Obj | undefined {
  let schema: Obj | undefined = deref(root);
  let node: any = tree;
  for (const key of [...path, undefined]) {
    for (let hops = 0; schema && hops < 10; hops++) {
      schema = deref(schema);
      const branches = (schema.oneOf ?? schema.anyOf) as Obj[] | undefined;
      if (branches) {
        schema = chooseBranch(branches.map(deref), node);
        continue;
      }
      if (Array.isArray(schema.allOf)) {
        schema = Object.assign({}, ...schema.allOf.map(deref), { properties: Object.assign({}, ...schema.allOf.map((p: Obj) => deref(p).properties ?? {})) });
        continue;
      }
      break;
    }
    if (key === undefined || !schema) return schema;
    if (typeof key === 'number') schema = schema.items as Obj | undefined;
    else schema = (schema.properties?.[key] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined)) as Obj | undefined;
    node = node?.[key];
  }
  return schema;
}

function chooseBranch(branches: Obj[], node: any): Obj | undefined {
  const typeOf = (v: any) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v);
  const fits = (b: Obj) => {
    const t = b.type ?? (b.properties ? 'object' : undefined);
    const types = Array.isArray(t) ? t : t ? [t] : [];
    return types.length === 0 || types.includes(typeOf(node)) || (typeOf(node) === 'integer' && types.includes('number'));
  };
  if (node && typeof node === 'object' && !Array.isArray(node) && typeof node.type === 'string') {
    const byType = branches.find((b) => { const t = deref(b.properties?.type); return t.const === node.type || (Array.isArray(t.enum) && t.enum.includes(node.type)); });
    if (byType) return byType;
  }
  return branches.find(fits) ?? branches[0];
}

const BAD_DATES = ['2026-02-31', '2026-02-29', '2026-13-01', '0000-00-00', '2026-1-1', '20261121', 'x', '', '+275760-09-13', '2026-11-21T10:00:00Z', '9999-99-99', '١٩٩٩-٠١-٠١', '2026-11-21\u0000', ' 2026-11-21'];
const BAD_TIMESTAMPS = [
  '2026-02-31T10:00:00Z', '2026-11-21T10:00:00+01', '2026-11-21T25:00:00Z', '2026-11-21 10:00:00Z', '2026-11-21T10:00:00', '9999-12-31T23:59:60Z', 'x', '',
  '2026-11-21T10:00:00.123456789012345678901234567890Z', '0000-01-01T00:00:00Z', '2026-11-21T10:00:00+24:00', '+275760-09-13T00:00:00Z', '2026-11-21', 'now',
];
const BAD_DECIMALS: Tree[] = ['1e309', 'NaN', 'Infinity', '-Infinity', '-0', '1.123456789012345678901234567890', '0.000000000000000000000000000001', '0x1A', '1,000.00', ' 12.50', '12.50 ', '+12.5', '١٢٫٥', '12.5\u200b', '.5', '5.', '1e3', '--1', '0.00', '0', '-0.01', '99999999999999999', '1234567890123456.5', '12.345', '', 12.5, new Raw('1e309')];
const BAD_EMAILS = ['a@b', '@x.com', 'a@@b.com', 'a b@c.com', `${'x'.repeat(300)}@a.com`, 'ä@ö.de', 'a@b.c', '"quoted"@x.com', 'a@[127.0.0.1]', 'a@b.com\n'];
const BAD_URLS = ['javascript:alert(1)', 'http://', '//evil.example/x', 'x', `https://${'a'.repeat(3000)}.example`, 'file:///etc/passwd', 'http://[::1', 'data:text/html,<script>alert(1)</script>', 'https://ex ample.com'];
const BAD_UUIDS = ['00000000-0000-0000-0000-000000000000', 'not-a-uuid', '0b7c6f0e-2f57-4a4a-9d0f-3b8e5a2c1d4', '0b7c6f0e2f574a4a9d0f3b8e5a2c1d44', '{0b7c6f0e-2f57-4a4a-9d0f-3b8e5a2c1d44}', 'ZZZZZZZZ-2f57-4a4a-9d0f-3b8e5a2c1d44', ''];

/** For a field whose schema says little: other types, and the strings most likely to break something. */
const UNCONSTRAINED: readonly Tree[] = [
  0, true, null, [], { a: 1 }, new Raw('1e131072'), '', '\u0000', '\ud800', '\u202eevil', '👩‍👩‍👧‍👦', 'x'.repeat(100_000), "'; drop table documents; --", '%00',
];

/** Values a field with this schema should refuse (or take with care), by what the schema says. */
export function hostileFor(schema: Obj | undefined, current: Tree): Tree[] {
  if (!schema) return [...UNCONSTRAINED];
  const s = deref(schema);
  const out: Tree[] = [];
  if (Array.isArray(s.enum) || 'const' in s) {
    const values = (s.enum ?? [s.const]) as unknown[];
    for (const v of values.filter((x): x is string => typeof x === 'string').slice(0, 3)) {
      out.push(v.toUpperCase(), `${v} `, ` ${v}`, v.replace(/a/, '\u0430'), `${v}\u0000`, v.replace(/_/g, '-'), `${v}\u200b`, v.slice(0, -1));
    }
    out.push('', null, 0, true);
  }
  switch (s.format) {
    case 'date':
      out.push(...BAD_DATES);
      break;
    case 'date-time':
      out.push(...BAD_TIMESTAMPS);
      break;
    case 'email':
      out.push(...BAD_EMAILS);
      break;
    case 'uri':
    case 'url':
      out.push(...BAD_URLS);
      break;
    case 'uuid':
      out.push(...BAD_UUIDS);
      break;
  }
  if (typeof s.pattern === 'string' && /\\d/.test(s.pattern)) out.push(...BAD_DECIMALS);
  if (s.type === 'integer' || s.type === 'number') {
    out.push(...HOSTILE_NUMBERS.map((n) => new Raw(n)), '1', true, 1.5, 0, -1, 2147483648, -2147483649, 1e21);
  }
  if (s.type === 'boolean' || (Array.isArray(s.type) && s.type.includes('boolean'))) out.push('true', 1, 0, 'false', 'yes');
  if (typeof s.maxLength === 'number') {
    const n = s.maxLength as number;
    // Too long even trimmed (text fields are trimmed first), in code points as well as UTF-16 units.
    out.push('x'.repeat(n + 1), '😀'.repeat(n), `  ${'x'.repeat(n + 1)}  `, '\u200b'.repeat(n + 1), 'é'.repeat(n + 1));
  }
  if (typeof s.minLength === 'number' || s.pattern === '\\S') out.push('', ' ', '\t', '\u00a0', '\u200b', '\ufeff');
  // What no text column can store, whatever the field: half a surrogate pair, NUL.
  if (s.type === 'string' && out.length > 0) out.push('a\ud800', 'a\u0000b');
  if (out.length === 0) out.push(...UNCONSTRAINED, typeof current === 'string' ? `${current}\u0000` : null);
  return out;
}

// ---- Whole-body mutations (the bytes on the wire) ------------------------------------------

export type RawMutation =
  | { readonly op: 'none' }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'append'; readonly value: number }
  | { readonly op: 'syntax'; readonly value: number }
  | { readonly op: 'literal'; readonly value: number }
  | { readonly op: 'bytes'; readonly value: number; readonly at: number }
  | { readonly op: 'encoding'; readonly value: number }
  | { readonly op: 'oversize'; readonly size: number }
  | { readonly op: 'empty' };

const APPENDS = ['}', ',', ']', 'x', ' {}', '\u0000', '\n\n', '/* trailing */', ' null'];
const LITERALS = ['NaN', 'Infinity', '-Infinity', 'undefined', "{'a':1}", '{a:1}', '   ', '{}{}', '[1,]', '{"a":1,}', '"\\x41"', '"\\u12"', '01', '{"a" 1}', '[', '{', '"', 'true false', '\u0000', '{"a":"\u0001"}', '{"a":"b\nc"}'];
const INVALID_UTF8: readonly number[][] = [[0xff], [0xfe, 0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x00]];

export const rawMutationArbitrary: fc.Arbitrary<RawMutation> = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ op: 'none' as const }) },
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('append' as const), value: fc.nat() }),
  fc.record({ op: fc.constant('syntax' as const), value: fc.nat() }),
  fc.record({ op: fc.constant('literal' as const), value: fc.nat() }),
  fc.record({ op: fc.constant('bytes' as const), value: fc.nat(), at: fc.nat() }),
  fc.record({ op: fc.constant('encoding' as const), value: fc.nat() }),
  fc.record({ op: fc.constant('oversize' as const), size: fc.constantFrom(BODY_LIMIT + 1, BODY_LIMIT + 64 * 1024, 3 * BODY_LIMIT) }),
  fc.constant({ op: 'empty' as const }),
);

/** Every whole-body mutation once, for the sweeps. */
export const RAW_MUTATION_SWEEP: readonly RawMutation[] = [
  { op: 'empty' }, { op: 'truncate', at: 7 }, { op: 'truncate', at: 1 },
  ...APPENDS.map((_, value) => ({ op: 'append' as const, value })),
  ...Array.from({ length: 9 }, (_, value) => ({ op: 'syntax' as const, value })),
  ...LITERALS.map((_, value) => ({ op: 'literal' as const, value })),
  ...INVALID_UTF8.map((_, value) => ({ op: 'bytes' as const, value, at: 0 })),
  ...Array.from({ length: 4 }, (_, value) => ({ op: 'encoding' as const, value })),
  { op: 'oversize', size: BODY_LIMIT + 1 }, { op: 'oversize', size: 3 * BODY_LIMIT },
];

const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

/** The bytes of `text` after a whole-body mutation. */
export function applyRawMutation(text: string, m: RawMutation): Uint8Array {
  switch (m.op) {
    case 'none':
      return utf8(text);
    case 'empty':
      return new Uint8Array();
    case 'truncate':
      return utf8(text.slice(0, text.length <= 1 ? 0 : m.at % (text.length - 1)));
    case 'append':
      return utf8(text + pickOf(APPENDS, m.value));
    case 'syntax': {
      const variants = [
        () => text.replace(/\}$/, ',}'),
        () => text.replaceAll('"', "'"),
        () => `/* c */${text}`,
        () => `${text}// x`,
        () => `\ufeff${text}`,
        () => `\n\t ${text} \r\n`,
        () => text.replace(/"([^"\\]{1,40})":/, '$1:'),
        () => text.replace(/:/, '::'),
        () => text.replace(/"([^"\\]*)"/, '"$1\u0001"'),
      ];
      return utf8(pickOf(variants, m.value)());
    }
    case 'literal':
      return utf8(pickOf(LITERALS, m.value));
    case 'bytes': {
      const bytes = Buffer.from(text, 'utf8');
      // Inside a string when there is one, so the JSON is otherwise intact.
      const quote = bytes.indexOf(0x22);
      const at = quote >= 0 ? quote + 1 : m.at % (bytes.length + 1);
      return new Uint8Array(Buffer.concat([bytes.subarray(0, at), Buffer.from(pickOf(INVALID_UTF8, m.value)), bytes.subarray(at)]));
    }
    case 'encoding': {
      const encodings = [
        () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
        () => Buffer.from(text, 'utf16le'),
        () => Buffer.from(`{"name":"caf\u00e9",${text.slice(1)}`, 'latin1'),
        () => Buffer.from(`"\u00e9"`, 'latin1'),
      ];
      return new Uint8Array(pickOf(encodings, m.value)());
    }
    case 'oversize': {
      // Valid JSON that is simply too big: the limit must hold before anything is parsed.
      const pad = Math.max(m.size - text.length, 0);
      const body = text.startsWith('{') && text.length > 2 ? `{"pad":"${'a'.repeat(pad)}",${text.slice(1)}` : `[${text},"${'a'.repeat(pad)}"]`;
      return utf8(body);
    }
  }
}
