import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canTransition, InvalidTransitionError, transition } from '../src/documents/lifecycle.ts';
import { requestedBill, shippedInvoice, startHarness, type Harness } from './helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

async function connect(tenantId: string, status: 'connected' | 'needs_reauth' = 'connected', provider: 'xero' | 'quickbooks' = 'xero') {
  await h.database.db.insertInto('tenants').values({ id: tenantId }).onConflict((oc) => oc.doNothing()).execute();
  await h.database.db
    .insertInto('connections')
    .values({ tenant_id: tenantId, provider, status, status_reason: null, provider_org_id: 'org-1', provider_org_name: 'Demo Ltd', token_set: null, access_token_expires_at: null, connected_at: new Date() })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ status, provider }))
    .execute();
}
const doc = (id: string) => h.database.db.selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

describe('posting defaults', () => {
  it('PUT validates every field and lists the problems', async () => {
    const token = await h.token('org_def');
    const res = await h.request('PUT', '/v1/tenants/org_def/defaults', { token, body: { tax_treatment: 'vat', send_as: 'published', auto_create_bills: 'yes', colour: 'red' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['tax_treatment', 'send_as', 'auto_create_bills', 'colour']));
    const malformed = await h.request('PUT', '/v1/tenants/org_def/defaults', { token, rawBody: '{', headers: { 'content-type': 'application/json' } });
    expect(malformed.body.error.code).toBe('malformed_json');
    const nul = await h.request('PUT', '/v1/tenants/org_def/defaults', { token, rawBody: '{"account_mappings": {"a\\u0000": "200"}}', headers: { 'content-type': 'application/json' } });
    expect(nul.status).toBe(400);
    expect(nul.body.error.code).toBe('invalid_characters');
  });

  it('GET 404 before the tenant exists; PUT creates versions in turn', async () => {
    const token = await h.token('org_def');
    expect((await h.request('GET', '/v1/tenants/org_def/defaults', { token })).status).toBe(404);
    const v1 = await h.request('PUT', '/v1/tenants/org_def/defaults', { token, body: { sales_invoice_account: '200', send_as: 'approved' } });
    expect(v1.status).toBe(200);
    expect(v1.body).toMatchObject({ tenant_id: 'org_def', version: 1, sales_invoice_account: '200', send_as: 'approved', tax_treatment: 'output_tax', auto_create_bills: true, auto_push_invoices: null, account_mappings: {} });
    const v2 = await h.request('PUT', '/v1/tenants/org_def/defaults', { token, body: { sales_invoice_account: '260', account_mappings: { materials: '310' } } });
    expect(v2.body.version).toBe(2);
    const current = await h.request('GET', '/v1/tenants/org_def/defaults', { token });
    expect(current.body).toMatchObject({ version: 2, sales_invoice_account: '260', send_as: 'draft', account_mappings: { materials: '310' } });
  });

  it('concurrent PUTs get distinct versions', async () => {
    const token = await h.token('org_def_conc');
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => h.request('PUT', '/v1/tenants/org_def_conc/defaults', { token, body: { sales_invoice_account: String(200 + i) } })));
    expect(results.map((r) => r.body.version).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('a document keeps the defaults snapshot it was queued with; new defaults apply to new exports', async () => {
    await connect('org_snap');
    const token = await h.token('org_snap');
    await h.request('PUT', '/v1/tenants/org_snap/defaults', { token, body: { sales_invoice_account: '200' } });
    const first = await h.sendOps(shippedInvoice({ tenantId: 'org_snap', id: 'inv_s1' }));
    await h.runJobs();
    await h.request('PUT', '/v1/tenants/org_snap/defaults', { token, body: { sales_invoice_account: '260' } });
    const second = await h.sendOps(shippedInvoice({ tenantId: 'org_snap', id: 'inv_s2' }));
    await h.runJobs();

    const a = await h.request('GET', `/v1/tenants/org_snap/documents/${first.body.document_id}`, { token });
    const b = await h.request('GET', `/v1/tenants/org_snap/documents/${second.body.document_id}`, { token });
    expect(a.body).toMatchObject({ status: 'queued', defaults_version: 1, defaults_snapshot: { sales_invoice_account: '200' } });
    expect(b.body).toMatchObject({ status: 'queued', defaults_version: 2, defaults_snapshot: { sales_invoice_account: '260' } });
  });
});

describe('routing received documents', () => {
  it('holds documents until the tenant has a connection, and says why', async () => {
    const res = await h.sendOps(shippedInvoice({ tenantId: 'org_noconn', id: 'inv_h' }));
    await h.runJobs();
    expect(await doc(res.body.document_id)).toMatchObject({ status: 'held', status_reason: 'the tenant has no accounting connection yet' });
  });

  it('holds documents of a connection that needs reauthorisation', async () => {
    await connect('org_reauth', 'needs_reauth');
    const res = await h.sendOps(shippedInvoice({ tenantId: 'org_reauth', id: 'inv_r' }));
    await h.runJobs();
    expect(await doc(res.body.document_id)).toMatchObject({ status: 'held', status_reason: 'the accounting connection needs to be reauthorised' });
  });

  it('holds invoices for manual push when automation is off (QuickBooks default) and bills when bill creation is off', async () => {
    await connect('org_manual', 'connected', 'quickbooks');
    const invoice = await h.sendOps(shippedInvoice({ tenantId: 'org_manual', id: 'inv_m' }));
    await h.runJobs();
    expect(await doc(invoice.body.document_id)).toMatchObject({ status: 'held', status_reason: expect.stringContaining('push it manually') });

    const token = await h.token('org_manual');
    await h.request('PUT', '/v1/tenants/org_manual/defaults', { token, body: { auto_create_bills: false, auto_push_invoices: true } });
    const bill = await h.sendOps(requestedBill({ tenantId: 'org_manual', id: 'bill_m' }));
    const invoice2 = await h.sendOps(shippedInvoice({ tenantId: 'org_manual', id: 'inv_m2' }));
    await h.runJobs();
    expect((await doc(bill.body.document_id)).status).toBe('held');
    expect((await doc(invoice2.body.document_id)).status).toBe('queued');
  });

  it('a newer version of a held document routes it again', async () => {
    const first = await h.sendOps(shippedInvoice({ tenantId: 'org_reroute', id: 'inv_rr' }));
    await h.runJobs();
    expect((await doc(first.body.document_id)).status).toBe('held');
    await connect('org_reroute');
    const v2 = await h.sendOps(shippedInvoice({ tenantId: 'org_reroute', id: 'inv_rr', version: 2 }));
    expect(v2.body).toEqual({ document_id: first.body.document_id, status: 'received' });
    await h.runJobs();
    expect(await doc(first.body.document_id)).toMatchObject({ status: 'queued', source_version: 2 });
  });
});

describe('lifecycle transitions', () => {
  it('allows only the transitions of the lifecycle', () => {
    expect(canTransition('received', 'queued')).toBe(true);
    expect(canTransition('pushing', 'uncertain')).toBe(true);
    expect(canTransition('failed', 'queued')).toBe(true);
    expect(canTransition('synced', 'queued')).toBe(false);
    expect(canTransition('synced', 'received')).toBe(true); // a newer version or a void
    expect(canTransition('received', 'uncertain')).toBe(false);
    expect(canTransition('failed', 'synced')).toBe(false);
    // voided is final.
    for (const to of ['received', 'queued', 'synced', 'held'] as const) expect(canTransition('voided', to)).toBe(false);
  });

  it('refuses an invalid transition without changing the document', async () => {
    const res = await h.sendOps(shippedInvoice({ tenantId: 'org_invalid', id: 'inv_x' }));
    const id = res.body.document_id;
    await expect(
      h.database.db.transaction().execute((tx) => transition(tx, { id, status: 'received' }, 'uncertain')),
    ).rejects.toBeInstanceOf(InvalidTransitionError);
    expect((await doc(id)).status).toBe('received');
  });
});
