import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QuickBooksSandbox } from '../src/sandbox/quickbooks/index.ts';
import { requestedBill, shippedInvoice } from './helpers/harness.ts';
import { quickBooksFixture, type ProviderFixture } from './helpers/providers.ts';

let p: ProviderFixture & { sb: QuickBooksSandbox };
let server: { url: string; close: () => Promise<void> };
beforeAll(async () => {
  p = await quickBooksFixture();
  server = await p.h.listen();
});
afterAll(async () => {
  await server.close();
  await p.close();
});

const doc = (id: string) => p.h.database.db.selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const taxed = (tenantId: string, id: string, rate: string, number = id) => {
  const event = shippedInvoice({ tenantId, id, lines: [{ description: 'Widget', quantity: '2', unit_price: '10.00', tax_rate: rate, category: 'sales' }] }) as { data: { invoice: Record<string, unknown> } };
  event.data.invoice.number = number;
  return event;
};

describe('QuickBooks Online', () => {
  it('connects through intuit-oauth with the realmId and declares its capabilities', async () => {
    const { token, orgId } = await p.connect('q_connect');
    const res = await p.h.request('GET', '/v1/tenants/q_connect/connection', { token });
    expect(res.body).toMatchObject({
      provider: 'quickbooks',
      status: 'connected',
      organisation: { id: orgId, name: 'Company q_connect' },
      capabilities: { tax_mapping: 'tax_code_mapping', auto_push_invoices_default: false, max_documents_per_request: 30 },
    });
  });

  it('holds shipped invoices for manual push by default; bills are created automatically', async () => {
    const { token, orgId } = await p.connect('q_manual');
    await p.h.request('PUT', '/v1/tenants/q_manual/defaults', { token, body: { sales_invoice_account: '79', purchase_bill_account: '78', tax_code_mappings: { '20': '2' } } });
    const invoice = await p.h.sendOps(taxed('q_manual', 'inv_m', '20'));
    const bill = await p.h.sendOps(requestedBill({ tenantId: 'q_manual' }));
    await p.h.runJobs();
    expect(await doc(invoice.body.document_id)).toMatchObject({ status: 'held', status_reason: expect.stringContaining('manually') });
    expect(await doc(bill.body.document_id)).toMatchObject({ status: 'synced' });
    expect(p.sb.bills(orgId)).toEqual([expect.objectContaining({ DocNumber: 'SUP-88' })]);
    await p.h.request('POST', `/v1/tenants/q_manual/documents/${invoice.body.document_id}/push`, { token });
    await p.h.runJobs();
    expect(await doc(invoice.body.document_id)).toMatchObject({ status: 'synced' });
  });

  it('refuses a taxable document without a tax code mapping, sending nothing; posts it once mapped', async () => {
    const { token, orgId } = await p.connect('q_tax');
    await p.h.request('PUT', '/v1/tenants/q_tax/defaults', { token, body: { sales_invoice_account: '79', auto_push_invoices: true } });
    const refused = await p.h.sendOps(taxed('q_tax', 'inv_t1', '20', 'T-1'));
    await p.h.runJobs();
    const failed = await doc(refused.body.document_id);
    expect(failed.status).toBe('failed');
    expect(failed.status_reason).toContain('taxed at 20% but the posting defaults map no QuickBooks tax code to "20"');
    expect(p.createRequests(orgId)).toEqual([]);

    // An untaxed document posts without any mapping.
    const untaxed = await p.h.sendOps(taxed('q_tax', 'inv_t0', '0', 'T-0'));
    await p.h.runJobs();
    expect(await doc(untaxed.body.document_id)).toMatchObject({ status: 'synced' });

    await p.h.request('PUT', '/v1/tenants/q_tax/defaults', { token, body: { sales_invoice_account: '79', auto_push_invoices: true, tax_code_mappings: { '20': '2' } } });
    const mapped = await p.h.sendOps(taxed('q_tax', 'inv_t2', '20', 'T-2'));
    await p.h.runJobs();
    expect(await doc(mapped.body.document_id)).toMatchObject({ status: 'synced' });
    const posted = p.sb.invoices(orgId).find((i) => (i as { DocNumber: string }).DocNumber === 'T-2') as { Line: { SalesItemLineDetail?: { TaxCodeRef?: { value: string } } }[]; TotalAmt: number };
    expect(posted.Line[0]!.SalesItemLineDetail!.TaxCodeRef).toEqual({ value: '2' });
    expect(posted.TotalAmt).toBe(24);
  });

  it('stores tax rate keys in their shortest form, as lines look them up', async () => {
    const { token } = await p.connect('q_keys');
    const res = await p.h.request('PUT', '/v1/tenants/q_keys/defaults', { token, body: { tax_code_mappings: { '20.0': '2', '5.50': '3' } } });
    expect(res.status).toBe(200);
    expect(res.body.tax_code_mappings).toEqual({ '20': '2', '5.5': '3' });
  });

  it('PUT defaults refuses a tax code or account the company does not have', async () => {
    const { token } = await p.connect('q_defaults');
    const res = await p.h.request('PUT', '/v1/tenants/q_defaults/defaults', { token, body: { sales_invoice_account: '9999', tax_code_mappings: { '20': '77' } } });
    expect(res.status).toBe(422);
    expect(res.body.error.details).toEqual(expect.arrayContaining([
      { field: 'sales_invoice_account', message: 'the company has no account with code "9999"'.replace('company', 'organisation') },
      { field: 'tax_code_mappings.20', message: 'the company has no tax code "77"' },
    ]));
  });

  it('recovers from a stale SyncToken when filling in a customer’s missing email', async () => {
    const { token, orgId } = await p.connect('q_sync');
    await p.h.request('PUT', '/v1/tenants/q_sync/defaults', { token, body: { ...p.defaults } });
    const [customer] = p.sb.addCustomers(orgId, [{ DisplayName: 'Acme Ltd' }]) as { Id: string }[];
    // QuickBooks answers the update slowly; meanwhile someone edits the customer there.
    p.sb.delayNext(1, 600, { path: /\/customer$/ });
    const res = await p.h.sendOps(taxed('q_sync', 'inv_sync', '20', 'S-1'));
    const running = p.h.runJobs();
    await new Promise((resolve) => setTimeout(resolve, 300));
    p.sb.updateEntity(orgId, 'Customer', customer!.Id, { Notes: 'edited at QuickBooks' });
    await running;
    expect(await doc(res.body.document_id)).toMatchObject({ status: 'synced' });
    const updated = p.sb.customers(orgId).find((c) => (c as { Id: string }).Id === customer!.Id) as { PrimaryEmailAddr?: { Address: string }; Notes?: string };
    expect(updated).toMatchObject({ PrimaryEmailAddr: { Address: 'ap@acme.test' }, Notes: 'edited at QuickBooks' });
    const updates = p.sb.requests.filter((r) => r.method === 'POST' && r.path.endsWith(`/company/${orgId}/customer`));
    expect(updates.map((r) => r.status)).toEqual([400, 200]);
  });

  it('imports customers, vendors and open purchase orders', async () => {
    const { token, orgId } = await p.connect('q_import');
    p.sb.addCustomers(orgId, [{ DisplayName: 'Cust One', PrimaryEmailAddr: { Address: 'one@c.test' } }, { DisplayName: 'Cust Two' }]);
    const [vendor] = p.sb.addVendors(orgId, [{ DisplayName: 'Vendor One' }]) as { Id: string }[];
    p.sb.addPurchaseOrders(orgId, [
      { VendorRef: { value: vendor!.Id }, DocNumber: 'QPO-1', Line: [{ DetailType: 'AccountBasedExpenseLineDetail', Amount: 50, Description: 'Nails', AccountBasedExpenseLineDetail: { AccountRef: { value: '78' }, TaxCodeRef: { value: '4' } } }] },
      { VendorRef: { value: vendor!.Id }, DocNumber: 'QPO-2', POStatus: 'Closed', Line: [{ DetailType: 'AccountBasedExpenseLineDetail', Amount: 20, AccountBasedExpenseLineDetail: { AccountRef: { value: '78' }, TaxCodeRef: { value: '4' } } }] },
    ]);
    await p.h.request('POST', '/v1/tenants/q_import/imports/contacts', { token });
    await p.h.request('POST', '/v1/tenants/q_import/imports/purchase-orders', { token });
    await p.h.runJobs();
    const contacts = (await p.h.request('GET', '/v1/tenants/q_import/contacts', { token })).body.data;
    expect(contacts.map((c: { name: string; is_customer: boolean; is_supplier: boolean }) => [c.name, c.is_customer, c.is_supplier]).sort()).toEqual([
      ['Cust One', true, false],
      ['Cust Two', true, false],
      ['Vendor One', false, true],
    ]);
    const orders = (await p.h.request('GET', '/v1/tenants/q_import/purchase-orders?status=open', { token })).body.data;
    expect(orders).toEqual([expect.objectContaining({ number: 'QPO-1', provider: 'quickbooks', supplier: expect.objectContaining({ id: `vendor:${vendor!.Id}`, name: 'Vendor One' }) })]);
  });

  it('webhooks in both formats are verified and refresh the changed customer, vendor or purchase order', async () => {
    const { token, orgId } = await p.connect('q_wh');
    const [customer] = p.sb.addCustomers(orgId, [{ DisplayName: 'Hook Customer' }]) as { Id: string }[];
    const [vendor] = p.sb.addVendors(orgId, [{ DisplayName: 'Hook Vendor' }]) as { Id: string }[];
    const target = `${server.url}/webhooks/quickbooks`;
    const legacy = await p.sb.sendWebhook(target, [{ realmId: orgId, name: 'Customer', id: customer!.Id, operation: 'Update' }], { format: 'legacy' });
    expect(legacy.status).toBe(200);
    const cloud = await p.sb.sendWebhook(
      target,
      [
        { realmId: orgId, name: 'Vendor', id: vendor!.Id, operation: 'Create' },
        { realmId: '999999999', name: 'Customer', id: '1', operation: 'Update' },
      ],
      { format: 'cloudevents' },
    );
    expect(cloud.status).toBe(200);
    const tampered = await p.sb.sendWebhook(target, [{ realmId: orgId, name: 'Customer', id: customer!.Id, operation: 'Update' }], { format: 'legacy', tamper: true });
    expect(tampered.status).toBe(401);
    await p.h.runJobs();
    const contacts = (await p.h.request('GET', '/v1/tenants/q_wh/contacts', { token })).body.data.map((c: { name: string }) => c.name).sort();
    expect(contacts).toEqual(['Hook Customer', 'Hook Vendor']);
    const events = await p.h.database.db.selectFrom('inbound_events').select(['tenant_id', 'outcome', 'outcome_reason']).where('source', '=', 'quickbooks').orderBy('id').execute();
    expect(events).toEqual([
      { tenant_id: 'q_wh', outcome: 'accepted', outcome_reason: 'refresh_queued' },
      { tenant_id: 'q_wh', outcome: 'accepted', outcome_reason: 'refresh_queued' },
      { tenant_id: null, outcome: 'ignored', outcome_reason: 'unknown_organisation' },
    ]);
  });
});
