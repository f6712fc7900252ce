// /api.xro/2.0/PurchaseOrders routes.
import { Hono } from 'hono';
import type { Context } from 'hono';
import { runBatch, summarizeFlag } from './batch.ts';
import type { ApiEnv, SandboxContext } from './context.ts';
import { listQuery } from './list-query.ts';
import { findPurchaseOrderByNumber, PO_FIELDS, PO_STATUSES, purchaseOrderJson, upsertPurchaseOrder } from './purchase-orders.ts';
import type { OrgState } from './store.ts';
import type { JsonObject, PurchaseOrderRecord } from './types.ts';
import { envelope, notFound, parseXeroDate, validationException } from './xero-format.ts';

const MAX_BATCH = 50;
const bad = (message: string): JsonObject => validationException([{ ValidationErrors: [{ Message: message }] }]);

function find(org: OrgState, idOrNumber: string): PurchaseOrderRecord | undefined {
  return org.purchaseOrders.get(idOrNumber.toLowerCase()) ?? findPurchaseOrderByNumber(org, idOrNumber);
}

export function purchaseOrdersRoutes(ctx: SandboxContext): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const unitdp = (c: Context): number => (c.req.query('unitdp') === '4' ? 4 : 2);

  app.get('/PurchaseOrders', (c) => {
    const org = c.get('org');
    const status = c.req.query('Status') ?? c.req.query('status');
    if (status !== undefined && !PO_STATUSES.includes(status.toUpperCase())) return c.json(bad(`Status '${status}' is not a valid purchase order status.`), 400);
    const range: (number | null)[] = [];
    for (const key of ['DateFrom', 'DateTo']) {
      const v = c.req.query(key);
      const d = v === undefined ? null : parseXeroDate(v);
      if (v !== undefined && d === null) return c.json(bad(`${key} '${v}' is not a valid date.`), 400);
      range.push(d);
    }
    const [from, to] = range;
    const dp = unitdp(c);
    const res = listQuery(c, org.purchaseOrders.values(), {
      id: (r) => r.PurchaseOrderID, updatedMs: (r) => r.updatedMs, json: (r) => purchaseOrderJson(org, r, dp), fields: PO_FIELDS,
      extra: (rec) => (status === undefined || rec.Status === status.toUpperCase())
        && (from === null || from === undefined || rec.dateMs >= from)
        && (to === null || to === undefined || rec.dateMs <= to),
    });
    if (!res.ok) return c.json(res.body, res.status);
    return c.json(envelope(ctx.clock.now(), { ...(res.pagination ? { pagination: res.pagination } : {}), PurchaseOrders: res.items }));
  });

  app.get('/PurchaseOrders/:id', (c) => {
    const org = c.get('org');
    const po = find(org, c.req.param('id'));
    if (!po) return c.json(notFound(), 404);
    return c.json(envelope(ctx.clock.now(), { PurchaseOrders: [purchaseOrderJson(org, po, unitdp(c))] }));
  });

  const items = (c: Context<ApiEnv>): unknown[] | undefined => {
    const body = c.get('body') as JsonObject | undefined;
    return Array.isArray(body?.PurchaseOrders) ? body.PurchaseOrders : undefined;
  };

  const write = (c: Context<ApiEnv>) => {
    const org = c.get('org');
    const batch = items(c);
    if (!batch || batch.length === 0) return c.json(bad('No PurchaseOrders were found in the request body.'), 400);
    if (batch.length > MAX_BATCH) {
      return c.json(bad(`A maximum of ${MAX_BATCH} purchase orders can be submitted in a single request; ${batch.length} were sent.`), 400);
    }
    const now = ctx.clock.now();
    const res = runBatch(org, 'PurchaseOrders', batch, summarizeFlag(c.req.query('summarizeErrors')), now, (item) => {
      let existing: PurchaseOrderRecord | undefined;
      const id = typeof item.PurchaseOrderID === 'string' ? item.PurchaseOrderID : undefined;
      if (id) {
        existing = org.purchaseOrders.get(id.toLowerCase());
        if (!existing) return { ok: false, errors: [`Purchase order with PurchaseOrderID ${id} could not be found.`], echo: { ...item } };
      }
      return upsertPurchaseOrder(org, item, existing, { unitdp: unitdp(c), now });
    });
    return c.json(res.body, res.status);
  };
  app.put('/PurchaseOrders', write);
  app.post('/PurchaseOrders', write);

  app.post('/PurchaseOrders/:id', (c) => {
    const org = c.get('org');
    const existing = find(org, c.req.param('id'));
    if (!existing) return c.json(notFound(), 404);
    const batch = items(c);
    if (!batch || batch.length !== 1) return c.json(bad('No PurchaseOrders were found in the request body.'), 400);
    const now = ctx.clock.now();
    const res = runBatch(org, 'PurchaseOrders', batch, true, now, (item) => upsertPurchaseOrder(org, item, existing, { unitdp: unitdp(c), now }));
    return c.json(res.body, res.status);
  });
  return app;
}
