// /api.xro/2.0/CreditNotes routes: list and read, create (PUT), update or create (POST), and allocations.
import { Hono } from 'hono';
import type { Context } from 'hono';
import { runBatch, summarizeFlag } from './batch.ts';
import type { ApiEnv, SandboxContext } from './context.ts';
import { allocateCreditNote, CREDIT_NOTE_FIELDS, creditNoteJson, findCreditNoteByNumber, upsertCreditNote } from './credit-notes.ts';
import { listQuery } from './list-query.ts';
import type { OrgState } from './store.ts';
import type { CreditNoteRecord, JsonObject } from './types.ts';
import { envelope, notFound, validationException } from './xero-format.ts';

const MAX_BATCH = 50;
const bad = (message: string): JsonObject => validationException([{ ValidationErrors: [{ Message: message }] }]);
const find = (org: OrgState, idOrNumber: string): CreditNoteRecord | undefined =>
  org.creditNotes.get(idOrNumber.toLowerCase()) ?? findCreditNoteByNumber(org, idOrNumber);

export function creditNotesRoutes(ctx: SandboxContext): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const unitdp = (c: Context): number => (c.req.query('unitdp') === '4' ? 4 : 2);
  const items = (c: Context<ApiEnv>, key: string): unknown[] | undefined => {
    const body = c.get('body') as JsonObject | undefined;
    return Array.isArray(body?.[key]) ? (body[key] as unknown[]) : undefined;
  };

  app.get('/CreditNotes', (c) => {
    const org = c.get('org');
    const dp = unitdp(c);
    const res = listQuery(c, org.creditNotes.values(), {
      id: (r) => r.CreditNoteID, updatedMs: (r) => r.updatedMs, json: (r) => creditNoteJson(org, r, dp), fields: CREDIT_NOTE_FIELDS,
    });
    if (!res.ok) return c.json(res.body, res.status);
    return c.json(envelope(ctx.clock.now(), { ...(res.pagination ? { pagination: res.pagination } : {}), CreditNotes: res.items }));
  });

  app.get('/CreditNotes/:id', (c) => {
    const org = c.get('org');
    const cn = find(org, c.req.param('id'));
    if (!cn) return c.json(notFound(), 404);
    return c.json(envelope(ctx.clock.now(), { CreditNotes: [creditNoteJson(org, cn, unitdp(c))] }));
  });

  const write = (mode: 'PUT' | 'POST') => (c: Context<ApiEnv>) => {
    const org = c.get('org');
    const batch = items(c, 'CreditNotes');
    if (!batch || batch.length === 0) return c.json(bad('No CreditNotes were found in the request body.'), 400);
    if (batch.length > MAX_BATCH) return c.json(bad(`A maximum of ${MAX_BATCH} credit notes can be submitted in a single request; ${batch.length} were sent.`), 400);
    const now = ctx.clock.now();
    const res = runBatch(org, 'CreditNotes', batch, summarizeFlag(c.req.query('summarizeErrors')), now, (item) => {
      let existing: CreditNoteRecord | undefined;
      const id = typeof item.CreditNoteID === 'string' ? item.CreditNoteID : undefined;
      if (id) {
        existing = org.creditNotes.get(id.toLowerCase());
        if (!existing) return { ok: false, errors: [`Credit Note with CreditNoteID ${id} could not be found.`], echo: { ...item } };
      } else if (mode === 'POST' && typeof item.CreditNoteNumber === 'string' && item.CreditNoteNumber !== '') {
        existing = findCreditNoteByNumber(org, item.CreditNoteNumber);
      }
      return upsertCreditNote(org, item, existing, { unitdp: unitdp(c), now });
    });
    return c.json(res.body, res.status);
  };
  app.put('/CreditNotes', write('PUT'));
  app.post('/CreditNotes', write('POST'));

  app.post('/CreditNotes/:id', (c) => {
    const org = c.get('org');
    const existing = find(org, c.req.param('id'));
    if (!existing) return c.json(notFound(), 404);
    const batch = items(c, 'CreditNotes');
    if (!batch || batch.length !== 1) return c.json(bad('No CreditNotes were found in the request body.'), 400);
    const now = ctx.clock.now();
    const res = runBatch(org, 'CreditNotes', batch, true, now, (item) => upsertCreditNote(org, item, existing, { unitdp: unitdp(c), now }));
    return c.json(res.body, res.status);
  });

  app.put('/CreditNotes/:id/Allocations', (c) => {
    const org = c.get('org');
    const cn = find(org, c.req.param('id'));
    if (!cn) return c.json(notFound(), 404);
    const batch = items(c, 'Allocations');
    if (!batch || batch.length === 0) return c.json(bad('No Allocations were found in the request body.'), 400);
    const now = ctx.clock.now();
    // Each allocation sees the credit note as the previous ones left it.
    const res = runBatch(org, 'Allocations', batch, summarizeFlag(c.req.query('summarizeErrors')), now, (item) =>
      allocateCreditNote(org, org.creditNotes.get(cn.CreditNoteID) ?? cn, item, now));
    return c.json(res.body, res.status);
  });
  return app;
}
