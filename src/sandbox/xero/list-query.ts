// GET-list query handling shared by Contacts and Invoices: IDs, where, If-Modified-Since, order, paging.
import type { Context } from 'hono';
import type { JsonObject } from './types.ts';
import { parseWhere, WhereParseError } from './where.ts';
import { apiException, parseModifiedSince } from './xero-format.ts';

export interface Listable { id: string; updatedMs: number; json: JsonObject }

export type ListResult = { ok: true; items: JsonObject[]; pagination?: JsonObject } | { ok: false; status: 400; body: JsonObject };

const PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

export function listQuery(c: Context, rows: Listable[], fields: ReadonlySet<string>, extra?: (r: Listable) => boolean): ListResult {
  let out = rows;
  const ids = c.req.query('IDs') ?? c.req.query('ids');
  if (ids) {
    const wanted = new Set(ids.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean));
    out = out.filter((r) => wanted.has(r.id.toLowerCase()));
  }
  const since = parseModifiedSince(c.req.header('if-modified-since'));
  if (since !== null) out = out.filter((r) => r.updatedMs > since);
  if (extra) out = out.filter(extra);
  const where = c.req.query('where');
  if (where) {
    try {
      const pred = parseWhere(where, fields);
      out = out.filter((r) => pred(r.json));
    } catch (err) {
      if (err instanceof WhereParseError) return { ok: false, status: 400, body: apiException(16, 'QueryParseException', err.message) };
      throw err;
    }
  }
  const order = c.req.query('order');
  if (order) {
    const [field = '', dir = 'ASC'] = order.trim().split(/\s+/);
    const sign = dir.toUpperCase() === 'DESC' ? -1 : 1;
    const val = (r: Listable): string | number => {
      const v = r.json[field];
      return typeof v === 'number' ? v : String(v ?? '').toLowerCase();
    };
    out = [...out].sort((a, b) => (val(a) < val(b) ? -sign : val(a) > val(b) ? sign : 0));
  }
  const pageParam = c.req.query('page');
  if (pageParam === undefined) return { ok: true, items: out.map((r) => r.json) };
  const page = Math.max(1, Number.parseInt(pageParam, 10) || 1);
  const sizeParam = Number.parseInt(c.req.query('pageSize') ?? '', 10);
  const pageSize = Number.isFinite(sizeParam) && sizeParam > 0 ? Math.min(sizeParam, MAX_PAGE_SIZE) : PAGE_SIZE;
  const slice = out.slice((page - 1) * pageSize, page * pageSize);
  return {
    ok: true,
    items: slice.map((r) => r.json),
    pagination: { page, pageSize, pageCount: Math.ceil(out.length / pageSize), itemCount: out.length },
  };
}
