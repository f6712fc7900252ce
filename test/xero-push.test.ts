import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { XeroSandbox } from '../src/sandbox/xero/index.ts';
import type { Harness } from './helpers/harness.ts';
import { requestedBill, shippedInvoice } from './helpers/harness.ts';
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

const doc = (id: string) => h.database.db.selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

async function setup(tenantId: string, defaults: Record<string, unknown> = { sales_invoice_account: '200', purchase_bill_account: '300' }) {
  const { org, token } = await connectXero(h, sb, tenantId);
  await h.request('PUT', `/v1/tenants/${tenantId}/defaults`, { token, body: defaults });
  return { org, token };
}

describe('pushing to Xero', () => {
  it('pushes a shipped sales invoice as an ACCREC invoice with the mapped fields', async () => {
    const { org, token } = await setup('org_push_1');
    const res = await h.sendOps(shippedInvoice({ tenantId: 'org_push_1', id: 'inv_p1' }));
    await h.runJobs();
    await h.runJobs();
    const pushed = await doc(res.body.document_id);
    expect(pushed).toMatchObject({ status: 'synced', provider_number: 'INV-1001' });
    const invoices = sb.invoices(org.OrganisationID);
    expect(invoices).toHaveLength(1);
    expect(invoices[0]).toMatchObject({
      Type: 'ACCREC',
      InvoiceNumber: 'INV-1001',
      Reference: 'SO-77',
      Status: 'DRAFT',
      LineAmountTypes: 'Exclusive',
      CurrencyCode: 'GBP',
      Contact: expect.objectContaining({ Name: 'Acme Ltd' }),
    });
    expect((invoices[0] as { LineItems: unknown[] }).LineItems[0]).toMatchObject({ AccountCode: '200', TaxType: 'OUTPUT2', Quantity: 2, UnitAmount: 10 });
    expect(sb.contractViolations).toEqual([]);
    const detail = await h.request('GET', `/v1/tenants/org_push_1/documents/${res.body.document_id}`, { token });
    expect(detail.body.provider_id).toBe((invoices[0] as { InvoiceID: string }).InvoiceID);
    expect(detail.body.attempts).toEqual([expect.objectContaining({ outcome: 'synced', source_version: 1 })]);
  });

  it('creates a supplier bill as ACCPAY: Creating bill → Billed, bill status untouched', async () => {
    const { org, token } = await setup('org_bill_1');
    const res = await h.sendOps(requestedBill({ tenantId: 'org_bill_1' }));
    await h.runJobs();
    await h.runJobs();
    expect(await doc(res.body.document_id)).toMatchObject({ status: 'synced', bill_status: null });
    const bills = sb.invoices(org.OrganisationID);
    expect(bills[0]).toMatchObject({ Type: 'ACCPAY', InvoiceNumber: 'SUP-88', Reference: 'PO-501' });
    expect((bills[0] as { LineItems: { AccountCode: string; TaxType: string }[] }).LineItems[0]).toMatchObject({ AccountCode: '300', TaxType: 'INPUT2' });

    const set = await h.request('PUT', `/v1/tenants/org_bill_1/documents/${res.body.document_id}/bill-status`, { token, body: { bill_status: 'partly_billed' } });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ status: 'synced', bill_status: 'partly_billed' });
  });

  it('sends many documents in requests of up to 50, each with an idempotency key', async () => {
    const { org } = await setup('org_batch');
    for (let i = 0; i < 120; i++) await h.sendOps(shippedInvoice({ tenantId: 'org_batch', id: `inv_b${i}` }));
    // Numbers must be unique at Xero: give each its own.
    await h.database.db.updateTable('documents').set((eb) => ({ source: eb.fn('jsonb_set', [eb.ref('source'), eb.val('{number}'), eb.fn('to_jsonb', [eb.ref('source_id')])]) })).where('tenant_id', '=', 'org_batch').execute();
    await h.runJobs();
    await h.runJobs();
    const synced = await h.database.db.selectFrom('documents').select('id').where('tenant_id', '=', 'org_batch').where('status', '=', 'synced').execute();
    expect(synced).toHaveLength(120);
    const creates = sb.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/Invoices') && r.tenantId === org.OrganisationID);
    expect(creates.map((r) => (r.body as { Invoices: unknown[] }).Invoices.length).sort((a, b) => b - a)).toEqual([50, 50, 20]);
    expect(creates.every((r) => typeof r.headers['idempotency-key'] === 'string' && r.query.summarizeErrors === 'false')).toBe(true);
    expect(sb.invoices(org.OrganisationID)).toHaveLength(120);
  });
});
