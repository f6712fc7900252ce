// /api.xro/2.0/Invoices routes.
import { Hono } from 'hono';
import type { Context } from 'hono';
import { runBatch, summarizeFlag } from './batch.ts';
import type { ApiEnv, SandboxContext } from './context.ts';
import { INVOICE_FIELDS, invoiceJson } from './invoice-json.ts';
import { findInvoiceByNumber, upsertInvoice } from './invoices.ts';
import { listQuery } from './list-query.ts';
import type { OrgState } from './store.ts';
import type { InvoiceRecord, JsonObject } from './types.ts';
import { envelope, notFound, validationException } from './xero-format.ts';

const MAX_BATCH = 50;
const list = (q: string | undefined): Set<string> | undefined =>
  q ? new Set(q.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)) : undefined;

function find(org: OrgState, idOrNumber: string): InvoiceRecord | undefined {
  const byId = org.invoices.get(idOrNumber.toLowerCase());
  if (byId) return byId;
  return findInvoiceByNumber(org, 'ACCREC', idOrNumber) ?? findInvoiceByNumber(org, 'ACCPAY', idOrNumber);
}

export function invoicesRoutes(ctx: SandboxContext): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const unitdp = (c: Context): number => (c.req.query('unitdp') === '4' ? 4 : 2);

  app.get('/Invoices', (c) => {
    const org = c.get('org');
    const summaryOnly = c.req.query('summaryOnly')?.toLowerCase() === 'true';
    const numbers = list(c.req.query('InvoiceNumbers'));
    const contactIds = list(c.req.query('ContactIDs'));
    const statuses = list(c.req.query('Statuses'));
    const dp = unitdp(c);
    const res = listQuery(c, org.invoices.values(), {
      id: (r) => r.InvoiceID, updatedMs: (r) => r.updatedMs, json: (r) => invoiceJson(org, r, dp, summaryOnly), fields: INVOICE_FIELDS,
      extra: (rec) => (!numbers || numbers.has(rec.InvoiceNumber.toLowerCase()))
        && (!contactIds || contactIds.has(rec.ContactID))
        && (!statuses || statuses.has(rec.Status.toLowerCase())),
    });
    if (!res.ok) return c.json(res.body, res.status);
    return c.json(envelope(ctx.clock.now(), { ...(res.pagination ? { pagination: res.pagination } : {}), Invoices: res.items }));
  });

  app.get('/Invoices/:id', (c) => {
    const org = c.get('org');
    const inv = find(org, c.req.param('id'));
    if (!inv) return c.json(notFound(), 404);
    return c.json(envelope(ctx.clock.now(), { Invoices: [invoiceJson(org, inv, unitdp(c))] }));
  });

  const items = (c: Context<ApiEnv>): unknown[] | undefined => {
    const body = c.get('body') as JsonObject | undefined;
    return Array.isArray(body?.Invoices) ? body.Invoices : undefined;
  };
  const bad = (message: string): JsonObject => validationException([{ ValidationErrors: [{ Message: message }] }]);

  const write = (mode: 'PUT' | 'POST') => (c: Context<ApiEnv>) => {
    const org = c.get('org');
    const batch = items(c);
    if (!batch || batch.length === 0) return c.json(bad('No Invoices were found in the request body.'), 400);
    if (batch.length > MAX_BATCH) {
      return c.json(bad(`A maximum of ${MAX_BATCH} invoices can be submitted in a single request; ${batch.length} were sent.`), 400);
    }
    const now = ctx.clock.now();
    const res = runBatch(org, 'Invoices', batch, summarizeFlag(c.req.query('summarizeErrors')), now, (item) => {
      let existing: InvoiceRecord | undefined;
      const id = typeof item.InvoiceID === 'string' ? item.InvoiceID : undefined;
      if (id) {
        existing = org.invoices.get(id.toLowerCase());
        if (!existing) return { ok: false, errors: [`Invoice with InvoiceID ${id} could not be found.`], echo: { ...item } };
      } else if (mode === 'POST' && item.Type === 'ACCREC' && typeof item.InvoiceNumber === 'string' && item.InvoiceNumber !== '') {
        existing = findInvoiceByNumber(org, 'ACCREC', item.InvoiceNumber);
      }
      return upsertInvoice(org, item, existing, { unitdp: unitdp(c), now });
    });
    return c.json(res.body, res.status);
  };
  app.put('/Invoices', write('PUT'));
  app.post('/Invoices', write('POST'));

  app.post('/Invoices/:id', (c) => {
    const org = c.get('org');
    const existing = find(org, c.req.param('id'));
    if (!existing) return c.json(notFound(), 404);
    const batch = items(c);
    if (!batch || batch.length !== 1) return c.json(bad('No Invoices were found in the request body.'), 400);
    const now = ctx.clock.now();
    const res = runBatch(org, 'Invoices', batch, true, now, (item) => upsertInvoice(org, item, existing, { unitdp: unitdp(c), now }));
    return c.json(res.body, res.status);
  });
  return app;
}
