// The QuickBooks query language subset: SELECT * | count(*) | fields FROM Entity [WHERE a AND b ...]
// [ORDERBY f [ASC|DESC], ...] [STARTPOSITION n] [MAXRESULTS m]; operators = != < > <= >= IN LIKE.
import { entityByName } from './entities.ts';
import { READ_ONLY, WRITABLE } from './fields.ts';
import { parseQboTime, QboError } from './qbo-format.ts';
import { isObject } from './refs.ts';
import { serialize, table } from './store.ts';
import type { CompanyState } from './store.ts';
import type { EntityName, Json, JsonObject } from './types.ts';

type Lit = string | number | boolean;
interface Cond { field: string; op: string; values: Lit[] }
export interface ParsedQuery {
  entity: EntityName;
  count: boolean;
  fields?: string[];
  where: Cond[];
  order: { field: string; desc: boolean }[];
  start: number;
  max: number;
}

const NAME_LISTS = new Set<EntityName>(['Customer', 'Vendor', 'Item', 'Account']);
const TOKEN_SOURCE = /\s*(?:('(?:\\.|[^'\\])*')|(-?\d+(?:\.\d+)?)(?![\w.])|([A-Za-z_][\w.]*)|(<=|>=|!=|<>|=|<|>)|([(),*]))/;

const parseError = (detail: string): QboError => new QboError('4000', 'Error parsing query', `QueryParserError: ${detail}`);

function tokenize(text: string): { kind: 'str' | 'num' | 'id' | 'op' | 'punct'; v: string }[] {
  const out: { kind: 'str' | 'num' | 'id' | 'op' | 'punct'; v: string }[] = [];
  const TOKEN = new RegExp(TOKEN_SOURCE.source, 'y');
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) throw parseError(`Encountered " ${text.slice(at).trim().slice(0, 20)} " at column ${at + 1}.`);
    if (m[1] !== undefined) out.push({ kind: 'str', v: m[1].slice(1, -1).replace(/\\(.)/g, '$1') });
    else if (m[2] !== undefined) out.push({ kind: 'num', v: m[2] });
    else if (m[3] !== undefined) out.push({ kind: 'id', v: m[3] });
    else if (m[4] !== undefined) out.push({ kind: 'op', v: m[4] });
    else out.push({ kind: 'punct', v: m[5] ?? '' });
  }
  return out;
}

export function parseQuery(text: string): ParsedQuery {
  const toks = tokenize(text);
  let i = 0;
  const peek = (): { kind: string; v: string } | undefined => toks[i];
  const isWord = (w: string): boolean => peek()?.kind === 'id' && peek()?.v.toLowerCase() === w;
  const expectWord = (w: string): void => { if (!isWord(w)) throw parseError(`Expected "${w.toUpperCase()}" near token ${i + 1}.`); i++; };
  const punct = (p: string): boolean => { if (peek()?.kind === 'punct' && peek()?.v === p) { i++; return true; } return false; };
  const ident = (): string => { const t = toks[i++]; if (t?.kind !== 'id') throw parseError(`Expected a name near token ${i}.`); return t.v; };
  const literal = (): Lit => {
    const t = toks[i++];
    if (t?.kind === 'str') return t.v;
    if (t?.kind === 'num') return Number(t.v);
    if (t?.kind === 'id' && /^(true|false)$/i.test(t.v)) return t.v.toLowerCase() === 'true';
    throw parseError(`Expected a value near token ${i}.`);
  };
  const integer = (): number => { const t = toks[i++]; if (t?.kind !== 'num' || !/^\d+$/.test(t.v)) throw parseError(`Expected an integer near token ${i}.`); return Number(t.v); };

  expectWord('select');
  let count = false;
  let fields: string[] | undefined;
  if (punct('*')) { /* all fields */ } else if (isWord('count')) {
    i++;
    if (!punct('(') || !punct('*') || !punct(')')) throw parseError('Expected count(*).');
    count = true;
  } else {
    fields = [ident()];
    while (punct(',')) fields.push(ident());
  }
  expectWord('from');
  const name = ident();
  const entity = entityByName(name);
  if (!entity) throw new QboError('4001', 'Invalid query', `QueryValidationError: Invalid context declaration : ${name}`);
  const where: Cond[] = [];
  if (isWord('where')) {
    i++;
    do {
      const field = ident();
      if (isWord('in')) {
        i++;
        if (!punct('(')) throw parseError('Expected "(" after IN.');
        const values = [literal()];
        while (punct(',')) values.push(literal());
        if (!punct(')')) throw parseError('Expected ")".');
        where.push({ field, op: 'in', values });
      } else if (isWord('like')) {
        i++;
        where.push({ field, op: 'like', values: [literal()] });
      } else {
        const t = toks[i++];
        if (t?.kind !== 'op') throw parseError(`Expected an operator after ${field}.`);
        where.push({ field, op: t.v === '<>' ? '!=' : t.v, values: [literal()] });
      }
      if (isWord('or')) throw parseError('OR is not supported.');
    } while (isWord('and') && ++i);
  }
  const order: { field: string; desc: boolean }[] = [];
  if (isWord('orderby') || isWord('order')) {
    if (isWord('order')) { i++; expectWord('by'); } else i++;
    do {
      const field = ident();
      let desc = false;
      if (isWord('desc')) { desc = true; i++; } else if (isWord('asc')) i++;
      order.push({ field, desc });
    } while (punct(','));
  }
  let start = 1;
  let max = 100;
  while (i < toks.length) {
    if (isWord('startposition')) { i++; start = Math.max(1, integer()); } else if (isWord('maxresults')) { i++; max = Math.min(1000, integer()); } else {
      throw parseError(`Encountered " ${toks[i]?.v ?? ''} " at token ${i + 1}.`);
    }
  }
  return { entity, count, ...(fields ? { fields } : {}), where, order, start, max };
}

/** Field value by dotted path (case-insensitive), unwrapping refs, emails and phones to their string. */
function resolve(obj: JsonObject, path: string): Json | undefined {
  let cur: Json | undefined = obj;
  for (const seg of path.split('.')) {
    if (!isObject(cur)) return undefined;
    const key: string | undefined = Object.keys(cur).find((k) => k.toLowerCase() === seg.toLowerCase());
    cur = key === undefined ? undefined : cur[key];
  }
  if (isObject(cur)) return cur.value ?? cur.Address ?? cur.FreeFormNumber ?? cur.URI ?? undefined;
  return cur;
}

function compare(a: Json | undefined, b: Lit, field: string): number | undefined {
  if (a === undefined || a === null || typeof a === 'object') return undefined;
  if (/Time$/i.test(field)) {
    const x = parseQboTime(String(a));
    const y = parseQboTime(String(b));
    return x === null || y === null ? undefined : x - y;
  }
  if (typeof a === 'number') return a - Number(b);
  if (typeof a === 'boolean') return Number(a) - Number(b === true || String(b).toLowerCase() === 'true');
  const x = a.toLowerCase();
  const y = String(b).toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

function matches(obj: JsonObject, c: Cond): boolean {
  const v = resolve(obj, c.field);
  if (c.op === 'like') {
    const pattern = String(c.values[0]).replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*');
    return typeof v === 'string' && new RegExp(`^${pattern}$`, 'is').test(v);
  }
  if (c.op === 'in') return c.values.some((x) => compare(v, x, c.field) === 0);
  const r = compare(v, c.values[0] ?? '', c.field);
  if (r === undefined) return false;
  return c.op === '=' ? r === 0 : c.op === '!=' ? r !== 0 : c.op === '<' ? r < 0 : c.op === '>' ? r > 0 : c.op === '<=' ? r <= 0 : r >= 0;
}

function checkField(entity: EntityName, field: string): void {
  const writable = WRITABLE[entity];
  const head = field.split('.')[0] ?? '';
  if (!writable || head.toLowerCase() === 'id') return;
  const known = [...writable, ...READ_ONLY, 'Type', 'Name'].some((k) => k.toLowerCase() === head.toLowerCase());
  if (!known) throw new QboError('4001', 'Invalid query', `QueryValidationError: property '${field}' is not queryable`);
}

/** Run a query against a company: the `QueryResponse` object. */
export function runQuery(s: CompanyState, text: string): JsonObject {
  const q = parseQuery(text);
  for (const c of q.where) checkField(q.entity, c.field);
  for (const o of q.order) checkField(q.entity, o.field);
  const activeDefault = NAME_LISTS.has(q.entity) && !q.where.some((c) => c.field.toLowerCase() === 'active');
  const rows: JsonObject[] = [];
  for (const rec of table(s, q.entity).values()) {
    if (rec.deleted) continue;
    if (activeDefault && rec.data.Active === false) continue;
    const obj = serialize(rec);
    if (q.where.every((c) => matches(obj, c))) rows.push(obj);
  }
  if (q.count) return { totalCount: rows.length };
  if (q.order.length > 0) {
    rows.sort((a, b) => {
      for (const o of q.order) {
        const va = resolve(a, o.field);
        const vb = resolve(b, o.field);
        const r = va === undefined || va === null ? -1 : compare(va, vb === undefined || vb === null || typeof vb === 'object' ? '' : vb, o.field) ?? 0;
        if (r !== 0) return o.desc ? -r : r;
      }
      return 0;
    });
  }
  const page = rows.slice(q.start - 1, q.start - 1 + q.max);
  if (page.length === 0) return {};
  const fields = q.fields;
  const out = fields
    ? page.map((r) => Object.fromEntries([...fields.map((f) => [f, resolveRaw(r, f)] as const).filter(([, v]) => v !== undefined),
      ['domain', 'QBO'], ['sparse', true]]) as JsonObject)
    : page;
  return { [q.entity]: out, startPosition: q.start, maxResults: page.length };
}

function resolveRaw(obj: JsonObject, field: string): Json | undefined {
  const key = Object.keys(obj).find((k) => k.toLowerCase() === field.toLowerCase());
  return key === undefined ? undefined : obj[key];
}
