import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseTaxType, type XeroTaxRate } from '../src/providers/xero/tax.ts';
import { toXeroInvoice } from '../src/providers/xero/mapping.ts';
import { seedTaxRates } from '../src/sandbox/xero/seed-tax-rates.ts';
import type { XeroSandbox } from '../src/sandbox/xero/index.ts';
import { BUILT_IN_DEFAULTS } from '../src/documents/posting-defaults.ts';
import type { Harness } from './helpers/harness.ts';
import { requestedBill, shippedInvoice } from './helpers/harness.ts';
import { connectXero, startXeroHarness } from './helpers/xero.ts';

/** The organisation's rates as Xero returns them (the sandbox ships Xero's regional sets). */
function ratesOf(region: 'UK' | 'AU' | 'NZ' | 'US'): XeroTaxRate[] {
  return seedTaxRates(region).map((r) => {
    const rate = r as unknown as Record<string, unknown>;
    return {
      taxType: String(rate.TaxType),
      name: String(rate.Name),
      status: String(rate.Status),
      effectiveRate: Number(rate.EffectiveRate),
      canApplyToRevenue: Boolean(rate.CanApplyToRevenue),
      canApplyToExpenses: Boolean(rate.CanApplyToExpenses),
    };
  });
}
const pick = (region: 'UK' | 'AU' | 'NZ' | 'US', treatment: typeof BUILT_IN_DEFAULTS.tax_treatment, side: 'revenue' | 'expenses' = 'revenue', lineRate?: string) =>
  chooseTaxType(ratesOf(region), { treatment, side, lineRate });

describe('tax treatment → the organisation’s own tax types', () => {
  it('UK', () => {
    expect(pick('UK', 'output_tax')).toEqual({ taxType: 'OUTPUT2' });
    expect(pick('UK', 'output_tax', 'revenue', '5')).toEqual({ taxType: 'RROUTPUT' });
    expect(pick('UK', 'output_tax_reduced')).toEqual({ taxType: 'RROUTPUT' });
    expect(pick('UK', 'zero_rated')).toEqual({ taxType: 'ZERORATEDOUTPUT' });
    expect(pick('UK', 'exempt')).toEqual({ taxType: 'EXEMPTOUTPUT' });
    expect(pick('UK', 'no_tax')).toEqual({ taxType: 'NONE' });
    expect(pick('UK', 'output_tax', 'expenses')).toEqual({ taxType: 'INPUT2' });
    expect(pick('UK', 'zero_rated', 'expenses')).toEqual({ taxType: 'ZERORATEDINPUT' });
    expect(pick('UK', 'output_tax', 'revenue', '0')).toEqual({ taxType: 'ZERORATEDOUTPUT' });
  });

  it('AU, NZ and US', () => {
    expect(pick('AU', 'output_tax')).toEqual({ taxType: 'OUTPUT' });
    expect(pick('AU', 'zero_rated')).toEqual({ taxType: 'EXEMPTOUTPUT' });
    expect(pick('AU', 'no_tax')).toEqual({ taxType: 'BASEXCLUDED' });
    expect(pick('AU', 'output_tax', 'expenses')).toEqual({ taxType: 'INPUT' });
    expect(pick('NZ', 'output_tax')).toEqual({ taxType: 'OUTPUT2' });
    expect(pick('NZ', 'zero_rated')).toEqual({ taxType: 'ZERORATED' });
    expect(pick('US', 'output_tax')).toEqual({ taxType: 'TAX001' });
    expect(pick('US', 'no_tax')).toEqual({ taxType: 'NONE' });
  });

  it('says what is missing when no rate fits', () => {
    expect(pick('AU', 'output_tax_reduced')).toEqual({ error: 'the organisation has no active sales tax rate for a reduced rate' });
    expect(pick('AU', 'output_tax', 'revenue', '20')).toEqual({ error: 'the organisation has no active sales tax rate for 20% (rates available: 10%)' });
  });
});

describe('document → Xero invoice', () => {
  const asPush = (event: { data: Record<string, unknown> }, kind: 'sales_invoice' | 'supplier_bill', defaults = {}) => ({
    documentId: 'd1',
    kind,
    version: 1,
    source: (kind === 'sales_invoice' ? event.data.invoice : event.data.bill) as Record<string, unknown>,
    defaults: { ...BUILT_IN_DEFAULTS, sales_invoice_account: '200', purchase_bill_account: '300', ...defaults },
    operation: 'create' as const,
    providerId: null,
    providerRefs: null,
    providerStatus: null,
    syncedVersion: null,
    related: {},
  });

  it('uses the line category mapping before the default account, and the treatment per line', () => {
    const event = shippedInvoice({ lines: [
      { description: 'Fitting', quantity: '1.5', unit_price: '40.00', tax_rate: '20', category: 'services' },
      { description: 'Widget', quantity: '2', unit_price: '10.00', tax_rate: '5', category: 'sales' },
    ] });
    const mapped = toXeroInvoice(asPush(event, 'sales_invoice', { account_mappings: { services: '260' }, send_as: 'approved' }), 'contact-1', ratesOf('UK'));
    expect(mapped).toEqual({
      invoice: expect.objectContaining({
        type: 'ACCREC',
        status: 'AUTHORISED',
        contact: { contactID: 'contact-1' },
        lineItems: [
          { description: 'Fitting', quantity: 1.5, unitAmount: 40, accountCode: '260', taxType: 'OUTPUT2' },
          { description: 'Widget', quantity: 2, unitAmount: 10, accountCode: '200', taxType: 'RROUTPUT' },
        ],
      }),
    });
  });

  it('refuses, per line, a document with no account or no fitting tax type', () => {
    const event = shippedInvoice({ lines: [{ description: 'x', quantity: '1', unit_price: '1', tax_rate: '7', category: 'misc' }] });
    const mapped = toXeroInvoice({ ...asPush(event, 'sales_invoice'), defaults: { ...BUILT_IN_DEFAULTS } }, 'c', ratesOf('UK'));
    expect(mapped).toEqual({
      errors: [
        { line: 0, field: 'account', message: expect.stringContaining('no account for this line') },
        { line: 0, field: 'tax_rate', message: expect.stringContaining('7%') },
      ],
    });
  });

  it('maps a supplier bill to ACCPAY with the supplier’s invoice number', () => {
    const mapped = toXeroInvoice(asPush(requestedBill(), 'supplier_bill'), 'c', ratesOf('UK'));
    expect(mapped).toEqual({ invoice: expect.objectContaining({ type: 'ACCPAY', invoiceNumber: 'SUP-88', reference: 'PO-501', status: 'DRAFT' }) });
  });
});

describe('contact resolution at Xero', () => {
  let h: Harness;
  let sb: XeroSandbox;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ h, sb, close } = await startXeroHarness());
  });
  afterAll(async () => {
    await close();
  });

  it('stored link → ContactNumber → email → name → create; links are reused', async () => {
    const { org, token } = await connectXero(h, sb, 'org_contacts', 'Contacts Ltd');
    await h.request('PUT', '/v1/tenants/org_contacts/defaults', { token, body: { sales_invoice_account: '200' } });
    const { access_token } = await sb.grantTokens({ organisations: [org.OrganisationID] });
    const api = (await import('../src/sandbox/xero/testing.ts')).client(sb, String(access_token), org.OrganisationID);
    const created = await api('PUT', '/Contacts', { Contacts: [
      { Name: 'Numbered Ltd', ContactNumber: 'cus_num' },
      { Name: 'Mailed Ltd', EmailAddress: 'mail@mailed.test' },
      { Name: 'Named Ltd' },
    ] });
    expect(created.status).toBe(200);
    const ids = Object.fromEntries((created.body.Contacts as { Name: string; ContactID: string }[]).map((c) => [c.Name, c.ContactID]));

    const customers = [
      { id: 'cus_num', name: 'Numbered Trading' },
      { id: 'cus_mail', name: 'Mail Person', email: 'mail@mailed.test' },
      { id: 'cus_name', name: 'Named Ltd' },
      { id: 'cus_new', name: 'Brand New Ltd', email: 'new@new.test' },
    ];
    for (const [i, customer] of customers.entries()) {
      const event = shippedInvoice({ tenantId: 'org_contacts', id: `inv_c${i}` }) as { data: { invoice: Record<string, unknown> } };
      event.data.invoice.customer = customer;
      event.data.invoice.number = `C-${i}`;
      await h.sendOps(event);
    }
    await h.runJobs();
    const links = await h.database.db.selectFrom('contact_links').select(['platform_contact_id', 'provider_contact_id', 'matched_by']).where('tenant_id', '=', 'org_contacts').orderBy('platform_contact_id').execute();
    expect(links).toEqual([
      { platform_contact_id: 'cus_mail', provider_contact_id: ids['Mailed Ltd'], matched_by: 'email' },
      { platform_contact_id: 'cus_name', provider_contact_id: ids['Named Ltd'], matched_by: 'name' },
      { platform_contact_id: 'cus_new', provider_contact_id: expect.any(String), matched_by: 'created' },
      { platform_contact_id: 'cus_num', provider_contact_id: ids['Numbered Ltd'], matched_by: 'contact_number' },
    ]);
    const brandNew = sb.contacts(org.OrganisationID).find((c) => (c as { Name: string }).Name === 'Brand New Ltd') as { ContactNumber: string };
    expect(brandNew.ContactNumber).toBe('cus_new');
    expect(sb.invoices(org.OrganisationID)).toHaveLength(4);

    const lookupsBefore = sb.requests.filter((r) => r.path.endsWith('/Contacts')).length;
    const again = shippedInvoice({ tenantId: 'org_contacts', id: 'inv_c_again' }) as { data: { invoice: Record<string, unknown> } };
    again.data.invoice.customer = customers[3];
    again.data.invoice.number = 'C-again';
    await h.sendOps(again);
    await h.runJobs();
    expect(sb.requests.filter((r) => r.path.endsWith('/Contacts')).length).toBe(lookupsBefore);
    expect(sb.invoices(org.OrganisationID)).toHaveLength(5);
    expect(sb.contractViolations).toEqual([]);
  });
});
