// /api.xro/2.0 Organisation, Accounts and TaxRates (read-only).
import { Hono } from 'hono';
import type { ApiEnv, SandboxContext } from './context.ts';
import { listQuery } from './list-query.ts';
import type { Json, JsonObject } from './types.ts';
import { envelope, notFound } from './xero-format.ts';

const toJson = (v: object): JsonObject => v as unknown as JsonObject;
const msOf = (d: Json | undefined): number => {
  const m = typeof d === 'string' ? d.match(/\((-?\d+)/) : null;
  return m?.[1] ? Number(m[1]) : 0;
};

export function settingsRoutes(ctx: SandboxContext): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  app.get('/Organisation', (c) => c.json(envelope(ctx.clock.now(), { Organisations: [toJson(c.get('org').org)] })));

  app.get('/Accounts', (c) => {
    const accounts = c.get('org').accounts.map(toJson);
    const fields = new Set(accounts.flatMap((a) => Object.keys(a)));
    const res = listQuery(c, accounts, { id: (a) => String(a.AccountID), updatedMs: (a) => msOf(a.UpdatedDateUTC), json: (a) => a, fields });
    if (!res.ok) return c.json(res.body, res.status);
    return c.json(envelope(ctx.clock.now(), { Accounts: res.items }));
  });

  app.get('/Accounts/:id', (c) => {
    const a = c.get('org').accounts.find((x) => x.AccountID === c.req.param('id').toLowerCase());
    if (!a) return c.json(notFound(), 404);
    return c.json(envelope(ctx.clock.now(), { Accounts: [toJson(a)] }));
  });

  app.get('/TaxRates', (c) => {
    const rates = c.get('org').taxRates.map(toJson);
    const fields = new Set(rates.flatMap((t) => Object.keys(t)));
    const res = listQuery(c, rates, { id: (t) => String(t.TaxType), updatedMs: () => 0, json: (t) => t, fields });
    if (!res.ok) return c.json(res.body, res.status);
    return c.json(envelope(ctx.clock.now(), { TaxRates: res.items }));
  });
  return app;
}
