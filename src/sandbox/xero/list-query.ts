// GET-list query handling shared by Contacts, Invoices, PurchaseOrders, Accounts and TaxRates:
// IDs, If-Modified-Since, where, order, paging. Records are filtered in one pass without per-row
// allocation, and JSON is built only for rows that `where`/`order` inspect or the page returns,
// so paging through a 50,000-contact organisation stays cheap.
import type { Context } from 'hono';
import type { JsonObject } from './types.ts';
import { parseWhere, WhereParseError } from './where.ts';
import { apiException, parseModifiedSince } from './xero-format.ts';

export interface ListSpec<T> {
  id(rec: T): string;
  updatedMs(rec: T): number;
  json(rec: T): JsonObject;
  /** Field names `where` may use. */
  fields: ReadonlySet<string>;
  /** Endpoint-specific filter (status, archived, …), applied before `where`. */
  extra?: (rec: T) => boolean;
}

export type ListResult = { ok: true; items: JsonObject[]; pagination?: JsonObject } | { ok: false; status: 400; body: JsonObject };

export const PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

function sortKey(v: unknown): string | number {
  if (typeof v === 'number') return v;
  const s = String(v ?? '');
  const ms = /^\/Date\((-?\d+)/.exec(s);
  return ms?.[1] !== undefined ? Number(ms[1]) : s.toLowerCase();
}

export function listQuery<T>(c: Context, records: Iterable<T>, spec: ListSpec<T>): ListResult {
  const idsParam = c.req.query('IDs') ?? c.req.query('ids');
  const ids = idsParam ? new Set(idsParam.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)) : undefined;
  const since = parseModifiedSince(c.req.header('if-modified-since'));
  const extra = spec.extra;
  let out: T[] = [];
  for (const r of records) {
    if (ids && !ids.has(spec.id(r).toLowerCase())) continue;
    if (since !== null && !(spec.updatedMs(r) > since)) continue;
    if (extra && !extra(r)) continue;
    out.push(r);
  }
  const cache = new Map<T, JsonObject>();
  const json = (r: T): JsonObject => {
    let j = cache.get(r);
    if (!j) { j = spec.json(r); cache.set(r, j); }
    return j;
  };
  const where = c.req.query('where');
  if (where) {
    try {
      const pred = parseWhere(where, spec.fields);
      out = out.filter((r) => pred(json(r)));
    } catch (err) {
      if (err instanceof WhereParseError) return { ok: false, status: 400, body: apiException(16, 'QueryParseException', err.message) };
      throw err;
    }
  }
  const order = c.req.query('order');
  if (order) {
    const [field = '', dir = 'ASC'] = order.trim().split(/\s+/);
    const sign = dir.toUpperCase() === 'DESC' ? -1 : 1;
    // Keys computed once per row (decorate-sort-undecorate), not once per comparison.
    const keyed = out.map((r) => ({ r, k: sortKey(json(r)[field]) }));
    keyed.sort((a, b) => (a.k < b.k ? -sign : a.k > b.k ? sign : 0));
    out = keyed.map((x) => x.r);
  }
  const pageParam = c.req.query('page');
  if (pageParam === undefined) return { ok: true, items: out.map(json) };
  const page = Math.max(1, Number.parseInt(pageParam, 10) || 1);
  const sizeParam = Number.parseInt(c.req.query('pageSize') ?? '', 10);
  const pageSize = Number.isFinite(sizeParam) && sizeParam > 0 ? Math.min(sizeParam, MAX_PAGE_SIZE) : PAGE_SIZE;
  return {
    ok: true,
    items: out.slice((page - 1) * pageSize, page * pageSize).map(json),
    pagination: { page, pageSize, pageCount: Math.ceil(out.length / pageSize), itemCount: out.length },
  };
}
