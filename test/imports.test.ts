import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { XeroSandbox } from '../src/sandbox/xero/index.ts';
import type { Harness } from './helpers/harness.ts';
import { shippedInvoice } from './helpers/harness.ts';
import { connectXero, startXeroHarness } from './helpers/xero.ts';

let h: Harness;
let sb: XeroSandbox;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ h, sb, close } = await startXeroHarness());
});
afterAll(async () => {
  await close();
});

const seedContacts = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => ({
    Name: `${prefix} ${String(i).padStart(5, '0')}`,
    EmailAddress: `c${i}@${prefix.toLowerCase()}.test`,
    IsCustomer: i % 2 === 0,
    IsSupplier: i % 3 === 0,
    ContactStatus: 'ACTIVE' as const,
  }));

async function runOf(token: string, tenantId: string, runId: string) {
  return (await h.request('GET', `/v1/tenants/${tenantId}/sync-runs/${runId}?items_limit=5`, { token })).body;
}
async function allContacts(token: string, tenantId: string) {
  const seen: { provider_contact_id: string; name: string; archived: boolean; platform_contact_id: string | null }[] = [];
  let cursor: string | null = null;
  do {
    const res = await h.request('GET', `/v1/tenants/${tenantId}/contacts?limit=200${cursor ? `&cursor=${cursor}` : ''}`, { token });
    seen.push(...res.body.data);
    cursor = res.body.next_cursor;
  } while (cursor);
  return seen;
}

describe('contact import', () => {
  it('imports a 5,000-contact organisation across pages within the rate limits', async () => {
    const { org, token } = await connectXero(h, sb, 'org_big', 'Big Ltd');
    sb.addContacts(org.OrganisationID, [...seedContacts(5_000, 'Big'), { Name: 'Gone Ltd', ContactStatus: 'ARCHIVED' }]);
    const before = sb.stats(org.OrganisationID).calls;
    const start = await h.request('POST', '/v1/tenants/org_big/imports/contacts', { token });
    expect(start.status).toBe(202);
    expect(start.body).toMatchObject({ kind: 'contact_import', trigger: 'manual', status: 'queued', dry_run: false });
    await h.runJobs();
    const run = await runOf(token, 'org_big', start.body.id);
    expect(run).toMatchObject({ status: 'succeeded', counts: { total: 5_000, succeeded: 5_000, failed: 0 } });
    expect(run.items).toHaveLength(5);
    expect(run.items_next_cursor).not.toBeNull();
    const stats = sb.stats(org.OrganisationID);
    expect(stats.calls - before).toBe(51); // 50 full pages and one empty
    expect(stats.rateLimited).toBe(0);
    const contacts = await allContacts(token, 'org_big');
    expect(contacts).toHaveLength(5_000);
    expect(contacts.some((c) => c.name === 'Gone Ltd')).toBe(false);
  }, 120_000);

  it('a dry run counts without importing', async () => {
    const { org, token } = await connectXero(h, sb, 'org_dry', 'Dry Ltd');
    sb.addContacts(org.OrganisationID, seedContacts(150, 'Dry'));
    const start = await h.request('POST', '/v1/tenants/org_dry/imports/contacts?dry_run=true', { token });
    expect(start.body.dry_run).toBe(true);
    await h.runJobs();
    const run = await runOf(token, 'org_dry', start.body.id);
    expect(run).toMatchObject({ status: 'succeeded', dry_run: true, summary: { total: 150, customers: 75, suppliers: 50, would_create: 150, would_update: 0 } });
    expect((await h.request('GET', '/v1/tenants/org_dry/contacts', { token })).body.data).toEqual([]);
    expect(await h.database.db.selectFrom('import_state').selectAll().where('tenant_id', '=', 'org_dry').execute()).toEqual([]);
  });

  it('a failure on page 3 keeps what was imported; the re-run continues and leaves no duplicates', async () => {
    const { org, token } = await connectXero(h, sb, 'org_fail', 'Fail Ltd');
    sb.addContacts(org.OrganisationID, seedContacts(450, 'Fail'));
    sb.failNext(1, { status: 500, path: /Contacts$/, query: { page: '3' } });
    const first = await h.request('POST', '/v1/tenants/org_fail/imports/contacts', { token });
    await h.runJobs();
    const failed = await runOf(token, 'org_fail', first.body.id);
    expect(failed).toMatchObject({ status: 'failed', counts: { succeeded: 200 }, progress: { page: 3 } });
    expect(failed.error).toContain('stopped at page 3');
    expect(await allContacts(token, 'org_fail')).toHaveLength(200);

    const second = await h.request('POST', '/v1/tenants/org_fail/imports/contacts', { token });
    await h.runJobs();
    expect(await runOf(token, 'org_fail', second.body.id)).toMatchObject({ status: 'succeeded', counts: { total: 250, succeeded: 250 } });
    const contacts = await allContacts(token, 'org_fail');
    expect(contacts).toHaveLength(450);
    expect(new Set(contacts.map((c) => c.provider_contact_id)).size).toBe(450);
  });

  it('later runs are incremental and report changes; archived contacts are marked', async () => {
    const { org, token } = await connectXero(h, sb, 'org_incr', 'Incremental Ltd');
    const [first] = sb.addContacts(org.OrganisationID, seedContacts(3, 'Incr')) as { ContactID: string }[];
    await h.request('POST', '/v1/tenants/org_incr/imports/contacts', { token });
    await h.runJobs();
    await new Promise((resolve) => setTimeout(resolve, 20));
    sb.updateContact(org.OrganisationID, first!.ContactID, { Name: 'Incr Renamed', ContactStatus: 'ARCHIVED' });
    const callsBefore = sb.requests.length;
    const again = await h.request('POST', '/v1/tenants/org_incr/imports/contacts', { token });
    await h.runJobs();
    const lookup = sb.requests.slice(callsBefore).find((r) => r.path.endsWith('/Contacts'));
    expect(lookup?.headers['if-modified-since']).toBeDefined();
    const run = await runOf(token, 'org_incr', again.body.id);
    expect(run.counts.succeeded).toBe(1);
    const contacts = await allContacts(token, 'org_incr');
    expect(contacts.find((c) => c.provider_contact_id === first!.ContactID)).toMatchObject({ name: 'Incr Renamed', archived: true });
    const events = (await h.request('GET', '/v1/tenants/org_incr/events?limit=500', { token })).body.data.map((e: { type: string }) => e.type);
    expect(events.filter((t: string) => t === 'contact.imported')).toHaveLength(3);
    expect(events.filter((t: string) => t === 'contact.changed')).toHaveLength(1);
    expect(events.filter((t: string) => t === 'sync_run.finished')).toHaveLength(2);
  });

  it('links imported contacts to the platform ids sent with documents', async () => {
    const { org, token } = await connectXero(h, sb, 'org_link', 'Link Ltd');
    await h.request('PUT', '/v1/tenants/org_link/defaults', { token, body: { sales_invoice_account: '200' } });
    await h.sendOps(shippedInvoice({ tenantId: 'org_link', id: 'inv_link' }));
    await h.runJobs();
    await h.request('POST', '/v1/tenants/org_link/imports/contacts', { token });
    await h.runJobs();
    const contacts = await allContacts(token, 'org_link');
    expect(contacts.find((c) => c.name === 'Acme Ltd')).toMatchObject({ platform_contact_id: 'cus_9' });
    expect(sb.contacts(org.OrganisationID)).toHaveLength(1);
  });

  it('409 without a connection; a second request while one runs returns the same run', async () => {
    const token = await h.token('org_noconn_import');
    await h.sendOps(shippedInvoice({ tenantId: 'org_noconn_import' }));
    const res = await h.request('POST', '/v1/tenants/org_noconn_import/imports/contacts', { token });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('not_connected');

    const { token: t2 } = await connectXero(h, sb, 'org_twice', 'Twice Ltd');
    const a = await h.request('POST', '/v1/tenants/org_twice/imports/contacts', { token: t2 });
    const b = await h.request('POST', '/v1/tenants/org_twice/imports/contacts', { token: t2 });
    expect(b.body).toMatchObject({ id: a.body.id, already_running: true });
  });
});

describe('purchase order import', () => {
  it('imports open purchase orders with lines and supplier, closes those that stop being open, never touches Xero', async () => {
    const { org, token } = await connectXero(h, sb, 'org_po', 'PO Ltd');
    const [supplier] = sb.addContacts(org.OrganisationID, [{ Name: 'Bolt Supplies', IsSupplier: true }]) as { ContactID: string }[];
    const line = { Description: 'Bolts', Quantity: 100, UnitAmount: 0.25, AccountCode: '300' };
    const [open1, , draft] = sb.addPurchaseOrders(org.OrganisationID, [
      { PurchaseOrderNumber: 'PO-1', Status: 'AUTHORISED', Contact: { ContactID: supplier!.ContactID }, LineItems: [line] },
      { PurchaseOrderNumber: 'PO-2', Status: 'AUTHORISED', Contact: { ContactID: supplier!.ContactID }, LineItems: [line, line] },
      { PurchaseOrderNumber: 'PO-3', Status: 'DRAFT', Contact: { ContactID: supplier!.ContactID }, LineItems: [line] },
      { PurchaseOrderNumber: 'PO-4', Status: 'BILLED', Contact: { ContactID: supplier!.ContactID }, LineItems: [line] },
    ]) as { PurchaseOrderID: string }[];
    void draft;
    const start = await h.request('POST', '/v1/tenants/org_po/imports/purchase-orders', { token });
    expect(start.body.kind).toBe('purchase_order_import');
    await h.runJobs();
    const open = await h.request('GET', '/v1/tenants/org_po/purchase-orders?status=open', { token });
    expect(open.body.data.map((p: { number: string }) => p.number).sort()).toEqual(['PO-1', 'PO-2']);
    expect(open.body.data.find((p: { number: string }) => p.number === 'PO-2')).toMatchObject({
      status: 'open',
      provider_status: 'AUTHORISED',
      supplier: { id: supplier!.ContactID, name: 'Bolt Supplies' },
      lines: [{ description: 'Bolts', quantity: '100', unit_price: '0.25', item_code: null, account_code: '300', line_amount: '25' }, expect.anything()],
    });

    await new Promise((resolve) => setTimeout(resolve, 20));
    sb.updatePurchaseOrder(org.OrganisationID, open1!.PurchaseOrderID, { Status: 'BILLED' });
    const writesBefore = sb.requests.filter((r) => r.method !== 'GET').length;
    await h.request('POST', '/v1/tenants/org_po/imports/purchase-orders', { token });
    await h.runJobs();
    const closed = await h.request('GET', '/v1/tenants/org_po/purchase-orders?status=closed', { token });
    expect(closed.body.data).toEqual([expect.objectContaining({ number: 'PO-1', status: 'closed', provider_status: 'BILLED', closed_at: expect.any(String) })]);
    expect(sb.requests.filter((r) => r.method !== 'GET').length).toBe(writesBefore);
    expect(sb.invoices(org.OrganisationID)).toEqual([]);
    const types = (await h.request('GET', '/v1/tenants/org_po/events?limit=100', { token })).body.data.map((e: { type: string }) => e.type);
    expect(types.filter((t: string) => t === 'purchase_order.imported')).toHaveLength(2);
    expect(types.filter((t: string) => t === 'purchase_order.closed')).toHaveLength(1);
  });

  it('the schedule in the defaults queues imports that are due, once', async () => {
    const { token } = await connectXero(h, sb, 'org_sched', 'Schedule Ltd');
    await h.request('PUT', '/v1/tenants/org_sched/defaults', { token, body: { po_import_schedule: 'hourly' } });
    const { sql } = await import('kysely');
    await sql`select graphile_worker.add_job('schedule_imports', '{}'::json)`.execute(h.database.db);
    await sql`select graphile_worker.add_job('schedule_imports', '{}'::json)`.execute(h.database.db);
    await h.runJobs();
    const runs = await h.request('GET', '/v1/tenants/org_sched/sync-runs?kind=purchase_order_import', { token });
    expect(runs.body.data).toEqual([expect.objectContaining({ trigger: 'schedule', status: 'succeeded' })]);
    await sql`select graphile_worker.add_job('schedule_imports', '{}'::json)`.execute(h.database.db);
    await h.runJobs();
    expect((await h.request('GET', '/v1/tenants/org_sched/sync-runs?kind=purchase_order_import', { token })).body.data).toHaveLength(1);
  });
});

describe('accounts and tax rates for the platform’s pickers', () => {
  it('reads them from Xero, caches them, and PUT defaults refuses what the organisation lacks', async () => {
    const { org, token } = await connectXero(h, sb, 'org_pick', 'Picker Ltd');
    const before = sb.stats(org.OrganisationID).calls;
    const accounts = await h.request('GET', '/v1/tenants/org_pick/accounts', { token });
    expect(accounts.status).toBe(200);
    expect(accounts.body.data).toEqual(expect.arrayContaining([expect.objectContaining({ code: '200', name: 'Sales', status: 'active' })]));
    await h.request('GET', '/v1/tenants/org_pick/accounts', { token });
    expect(sb.stats(org.OrganisationID).calls - before).toBe(1);
    await h.request('GET', '/v1/tenants/org_pick/accounts?refresh=true', { token });
    expect(sb.stats(org.OrganisationID).calls - before).toBe(2);
    const rates = await h.request('GET', '/v1/tenants/org_pick/tax-rates', { token });
    expect(rates.body.data).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'OUTPUT2', rate: 20, applies_to_sales: true, applies_to_purchases: false })]));

    const bad = await h.request('PUT', '/v1/tenants/org_pick/defaults', { token, body: { sales_invoice_account: '999', account_mappings: { materials: '495' } } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('not_in_organisation');
    expect(bad.body.error.details).toEqual(expect.arrayContaining([
      { field: 'sales_invoice_account', message: 'the organisation has no account with code "999"' },
      expect.objectContaining({ field: 'account_mappings.materials', message: expect.stringContaining('archived') }),
    ]));
    // Payments move money through a bank account: a sales account there is refused, a bank account taken.
    const notBank = await h.request('PUT', '/v1/tenants/org_pick/defaults', { token, body: { payments_bank_account: '200' } });
    expect(notBank.status).toBe(422);
    expect(notBank.body.error.details).toEqual([{ field: 'payments_bank_account', message: 'account "200" (Sales) is not a bank account' }]);
    const good = await h.request('PUT', '/v1/tenants/org_pick/defaults', { token, body: { sales_invoice_account: '200', account_mappings: { materials: '310' }, payments_bank_account: '090' } });
    expect(good.status).toBe(200);
  });

  it('409 when the tenant is not connected', async () => {
    const token = await h.token('org_pick_none');
    await h.sendOps(shippedInvoice({ tenantId: 'org_pick_none' }));
    expect((await h.request('GET', '/v1/tenants/org_pick_none/accounts', { token })).status).toBe(409);
  });
});
