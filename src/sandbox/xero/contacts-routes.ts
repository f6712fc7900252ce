// /api.xro/2.0/Contacts routes.
import { Hono } from 'hono';
import type { Context } from 'hono';
import { runBatch, summarizeFlag } from './batch.ts';
import type { ApiEnv, SandboxContext } from './context.ts';
import { CONTACT_FIELDS, contactJson, findByNumber, upsertContact } from './contacts.ts';
import { listQuery } from './list-query.ts';
import type { JsonObject } from './types.ts';
import { envelope, notFound, validationException } from './xero-format.ts';

const MAX_BATCH = 50;

function bodyItems(c: Context<ApiEnv>): unknown[] | undefined {
  const body = c.get('body') as JsonObject | undefined;
  const list = body?.Contacts;
  return Array.isArray(list) ? list : undefined;
}

const tooMany = (n: number): JsonObject =>
  validationException([{ ValidationErrors: [{ Message: `A maximum of ${MAX_BATCH} contacts can be submitted in a single request; ${n} were sent.` }] }]);
const noElements = (): JsonObject => validationException([{ ValidationErrors: [{ Message: 'No Contacts were found in the request body.' }] }]);

export function contactsRoutes(ctx: SandboxContext): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  app.get('/Contacts', (c) => {
    const org = c.get('org');
    const includeArchived = c.req.query('includeArchived')?.toLowerCase() === 'true';
    const summaryOnly = c.req.query('summaryOnly')?.toLowerCase() === 'true';
    const ids = c.req.query('IDs');
    // Archived contacts are hidden unless includeArchived=true, asked for by ID, or filtered on in `where`.
    const where = c.req.query('where') ?? '';
    const showArchived = includeArchived || Boolean(ids) || /ContactStatus/i.test(where);
    const res = listQuery(c, org.contacts.values(), {
      id: (r) => r.ContactID, updatedMs: (r) => r.updatedMs, json: (r) => contactJson(r, summaryOnly), fields: CONTACT_FIELDS,
      extra: (r) => showArchived || r.ContactStatus !== 'ARCHIVED',
    });
    if (!res.ok) return c.json(res.body, res.status);
    return c.json(envelope(ctx.clock.now(), { ...(res.pagination ? { pagination: res.pagination } : {}), Contacts: res.items }));
  });

  app.get('/Contacts/:id', (c) => {
    const org = c.get('org');
    const id = c.req.param('id').toLowerCase();
    const rec = org.contacts.get(id) ?? findByNumber(org, c.req.param('id'));
    if (!rec) return c.json(notFound(), 404);
    return c.json(envelope(ctx.clock.now(), { Contacts: [contactJson(rec)] }));
  });

  const write = (mode: 'PUT' | 'POST') => (c: Context<ApiEnv>) => {
    const org = c.get('org');
    const items = bodyItems(c);
    if (!items || items.length === 0) return c.json(noElements(), 400);
    if (items.length > MAX_BATCH) return c.json(tooMany(items.length), 400);
    const now = ctx.clock.now();
    const res = runBatch(org, 'Contacts', items, summarizeFlag(c.req.query('summarizeErrors')), now, (item) => {
      let existing;
      const id = typeof item.ContactID === 'string' ? item.ContactID.toLowerCase() : undefined;
      if (id) {
        existing = org.contacts.get(id);
        if (!existing) return { ok: false, errors: [`Contact with ID ${id} could not be found.`], echo: { ...item } };
      } else if (mode === 'POST' && typeof item.ContactNumber === 'string' && item.ContactNumber !== '') {
        existing = findByNumber(org, item.ContactNumber);
      }
      return upsertContact(org, item, existing, now);
    });
    return c.json(res.body, res.status);
  };
  app.put('/Contacts', write('PUT'));
  app.post('/Contacts', write('POST'));

  app.post('/Contacts/:id', (c) => {
    const org = c.get('org');
    const existing = org.contacts.get(c.req.param('id').toLowerCase());
    if (!existing) return c.json(notFound(), 404);
    const items = bodyItems(c);
    if (!items || items.length !== 1) return c.json(noElements(), 400);
    const now = ctx.clock.now();
    const res = runBatch(org, 'Contacts', items, true, now, (item) => upsertContact(org, item, existing, now));
    return c.json(res.body, res.status);
  });
  return app;
}
