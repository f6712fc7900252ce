// /api.xro/2.0 Payments, Overpayments and (RECEIVE-OVERPAYMENT) BankTransactions routes.
import { Hono } from 'hono';
import type { Context } from 'hono';
import { runBatch, summarizeFlag } from './batch.ts';
import type { ApiEnv, SandboxContext } from './context.ts';
import { listQuery } from './list-query.ts';
import { overpaymentJson, paymentJson } from './payment-json.ts';
import { createOverpayment, createPayment, deletePayment } from './payments.ts';
import type { JsonObject } from './types.ts';
import { envelope, notFound, validationException } from './xero-format.ts';

const MAX_BATCH = 50;
const bad = (message: string): JsonObject => validationException([{ ValidationErrors: [{ Message: message }] }]);
const PAYMENT_FIELDS: ReadonlySet<string> = new Set(['PaymentID', 'Status', 'PaymentType', 'Amount', 'Reference', 'Date', 'UpdatedDateUTC', 'Invoice', 'Account']);
const OVERPAYMENT_FIELDS: ReadonlySet<string> = new Set(['OverpaymentID', 'Status', 'Type', 'Contact', 'Date', 'Total', 'RemainingCredit', 'Reference', 'UpdatedDateUTC']);

export function paymentsRoutes(ctx: SandboxContext): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const items = (c: Context<ApiEnv>, key: string): unknown[] | undefined => {
    const body = c.get('body') as JsonObject | undefined;
    return Array.isArray(body?.[key]) ? (body[key] as unknown[]) : undefined;
  };

  app.get('/Payments', (c) => {
    const org = c.get('org');
    const res = listQuery(c, org.payments.values(), { id: (r) => r.PaymentID, updatedMs: (r) => r.updatedMs, json: (r) => paymentJson(org, r), fields: PAYMENT_FIELDS });
    if (!res.ok) return c.json(res.body, res.status);
    return c.json(envelope(ctx.clock.now(), { ...(res.pagination ? { pagination: res.pagination } : {}), Payments: res.items }));
  });

  app.get('/Payments/:id', (c) => {
    const org = c.get('org');
    const p = org.payments.get(c.req.param('id').toLowerCase());
    if (!p) return c.json(notFound(), 404);
    return c.json(envelope(ctx.clock.now(), { Payments: [paymentJson(org, p)] }));
  });

  app.put('/Payments', (c) => {
    const org = c.get('org');
    const batch = items(c, 'Payments');
    if (!batch || batch.length === 0) return c.json(bad('No Payments were found in the request body.'), 400);
    if (batch.length > MAX_BATCH) return c.json(bad(`A maximum of ${MAX_BATCH} payments can be submitted in a single request; ${batch.length} were sent.`), 400);
    const now = ctx.clock.now();
    const res = runBatch(org, 'Payments', batch, summarizeFlag(c.req.query('summarizeErrors')), now, (item) => createPayment(org, item, now));
    return c.json(res.body, res.status);
  });

  // xero-node's deletePayment sends `{ "Status": "DELETED" }` (PaymentDelete); Xero's docs also show `{ "Payments": [{ "Status": "DELETED" }] }`.
  app.post('/Payments/:id', (c) => {
    const org = c.get('org');
    if (!org.payments.has(c.req.param('id').toLowerCase())) return c.json(notFound(), 404);
    const body = (c.get('body') ?? {}) as JsonObject;
    const item = Array.isArray(body.Payments) && body.Payments.length === 1 ? body.Payments[0] : body;
    const now = ctx.clock.now();
    const res = runBatch(org, 'Payments', [item], true, now, (one) => deletePayment(org, c.req.param('id'), one, now));
    return c.json(res.body, res.status);
  });

  app.put('/BankTransactions', (c) => {
    const org = c.get('org');
    const batch = items(c, 'BankTransactions');
    if (!batch || batch.length === 0) return c.json(bad('No BankTransactions were found in the request body.'), 400);
    if (batch.length > MAX_BATCH) return c.json(bad(`A maximum of ${MAX_BATCH} bank transactions can be submitted in a single request; ${batch.length} were sent.`), 400);
    const now = ctx.clock.now();
    const res = runBatch(org, 'BankTransactions', batch, summarizeFlag(c.req.query('summarizeErrors')), now, (item) => createOverpayment(org, item, now));
    return c.json(res.body, res.status);
  });

  app.get('/Overpayments', (c) => {
    const org = c.get('org');
    const res = listQuery(c, org.overpayments.values(), { id: (r) => r.OverpaymentID, updatedMs: (r) => r.updatedMs, json: (r) => overpaymentJson(org, r), fields: OVERPAYMENT_FIELDS });
    if (!res.ok) return c.json(res.body, res.status);
    return c.json(envelope(ctx.clock.now(), { ...(res.pagination ? { pagination: res.pagination } : {}), Overpayments: res.items }));
  });

  app.get('/Overpayments/:id', (c) => {
    const org = c.get('org');
    const o = org.overpayments.get(c.req.param('id').toLowerCase());
    if (!o) return c.json(notFound(), 404);
    return c.json(envelope(ctx.clock.now(), { Overpayments: [overpaymentJson(org, o)] }));
  });
  return app;
}
