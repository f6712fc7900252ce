import { afterEach, describe, expect, it } from 'vitest';
import { startXeroSandbox } from '../../src/sandbox/xero/index.ts';
import type { XeroSandbox } from '../../src/sandbox/xero/index.ts';
import { client, invoice } from '../../src/sandbox/xero/testing.ts';

const open: XeroSandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((sb) => sb.close()));
});

async function connected(region: 'UK' | 'AU' | 'NZ' | 'US' = 'UK', clock?: () => number) {
  const sb = await startXeroSandbox(clock ? { clock } : {});
  open.push(sb);
  const org = sb.addOrganisation({ name: `Demo ${region}`, region });
  const tokens = await sb.grantTokens();
  return { sb, org, api: client(sb, tokens.access_token, org.OrganisationID) };
}

const where = (w: string): string => `where=${encodeURIComponent(w)}`;

describe('xero sandbox: contacts', () => {
  it('creates, enforces unique active names, filters and updates', async () => {
    const { sb, api, org } = await connected();
    const created = await api('PUT', '/Contacts', { Contacts: [{ Name: 'Acme Ltd', ContactNumber: 'C-1', EmailAddress: 'ap@acme.test' }] });
    expect(created.status).toBe(200);
    const acme = created.body.Contacts[0];
    expect(acme).toMatchObject({ Name: 'Acme Ltd', ContactStatus: 'ACTIVE', ContactNumber: 'C-1' });
    expect(acme.ContactID).toMatch(/^[0-9a-f-]{36}$/);
    expect(acme.UpdatedDateUTC).toMatch(/^\/Date\(\d+\+0000\)\/$/);

    const dup = await api('PUT', '/Contacts', { Contacts: [{ Name: 'Acme Ltd' }] });
    expect(dup.status).toBe(400);
    expect(dup.body).toMatchObject({ ErrorNumber: 10, Type: 'ValidationException', Message: 'A validation exception occurred' });
    expect(dup.body.Elements[0].ValidationErrors).toEqual([{
      Message: 'The contact name Acme Ltd is already assigned to another contact. The contact name must be unique across all active contacts.',
    }]);

    const mixed = await api('PUT', '/Contacts?summarizeErrors=false', { Contacts: [{ Name: 'Beta' }, { Name: 'Acme Ltd' }, { Name: 'Gamma', EmailAddress: 'not-an-email' }] });
    expect(mixed.status).toBe(200);
    expect(mixed.body.Contacts.map((c: { StatusAttributeString: string }) => c.StatusAttributeString)).toEqual(['OK', 'ERROR', 'ERROR']);
    expect(sb.contacts(org.OrganisationID).map((c) => c.Name).sort()).toEqual(['Acme Ltd', 'Beta']);

    for (const [w, expected] of [['ContactNumber=="C-1"', ['Acme Ltd']], ['EmailAddress=="ap@acme.test"', ['Acme Ltd']], ['Name=="Beta"', ['Beta']],
      ['ContactStatus=="ACTIVE"', ['Acme Ltd', 'Beta']]] as const) {
      const r = await api('GET', `/Contacts?${where(w)}`);
      expect(r.body.Contacts.map((c: { Name: string }) => c.Name), w).toEqual(expected);
    }
    const byIds = await api('GET', `/Contacts?IDs=${acme.ContactID}`);
    expect(byIds.body.Contacts).toHaveLength(1);

    const upd = await api('POST', `/Contacts/${acme.ContactID}`, { Contacts: [{ ContactStatus: 'ARCHIVED' }] });
    expect(upd.body.Contacts[0].ContactStatus).toBe('ARCHIVED');
    expect((await api('GET', '/Contacts')).body.Contacts.map((c: { Name: string }) => c.Name)).toEqual(['Beta']);
    expect((await api('GET', '/Contacts?includeArchived=true')).body.Contacts).toHaveLength(2);
    // The archived name is free again.
    expect((await api('PUT', '/Contacts', { Contacts: [{ Name: 'Acme Ltd' }] })).status).toBe(200);
    expect((await api('GET', `/Contacts/${crypto.randomUUID()}`)).body).toMatchObject({ Title: 'Resource Not Found', Status: 404 });
    expect(sb.contractViolations).toEqual([]);
  });

  it('pages 100 at a time and honours If-Modified-Since', async () => {
    let real = Date.UTC(2024, 0, 1);
    const { api } = await connected('UK', () => real);
    const batch = (from: number) => Array.from({ length: 50 }, (_, i) => ({ Name: `Contact ${String(from + i).padStart(3, '0')}` }));
    for (let i = 0; i < 4; i++) expect((await api('PUT', '/Contacts', { Contacts: batch(i * 50) })).status).toBe(200);
    real += 60_000;
    await api('PUT', '/Contacts', { Contacts: [{ Name: 'Late' }] });
    const p1 = await api('GET', '/Contacts?page=1');
    const p3 = await api('GET', '/Contacts?page=3');
    expect(p1.body.Contacts).toHaveLength(100);
    expect(p3.body.Contacts).toHaveLength(1);
    expect(p1.body.pagination).toEqual({ page: 1, pageSize: 100, pageCount: 3, itemCount: 201 });
    const since = await api('GET', '/Contacts', undefined, { 'If-Modified-Since': new Date(real - 30_000).toISOString().slice(0, 19) });
    expect(since.body.Contacts.map((c: { Name: string }) => c.Name)).toEqual(['Late']);
  });
});

describe('xero sandbox: invoices', () => {
  it('computes amounts with Xero rounding for Exclusive, Inclusive and NoTax', async () => {
    const { api } = await connected();
    const res = await api('PUT', '/Invoices', { Invoices: [
      invoice({ LineItems: [
        { Description: 'A', Quantity: 3, UnitAmount: 0.335, AccountCode: '200', TaxType: 'OUTPUT2' },
        { Description: 'B', Quantity: 1.5, UnitAmount: 9.99, AccountCode: '200', TaxType: 'RROUTPUT', DiscountRate: 10 },
      ] }),
      invoice({ Contact: { Name: 'Bee' }, LineAmountTypes: 'Inclusive', LineItems: [{ Description: 'C', Quantity: 1, UnitAmount: 100, AccountCode: '200' }] }),
      invoice({ Type: 'ACCPAY', InvoiceNumber: 'SUP-1', LineAmountTypes: 'NoTax', LineItems: [{ Description: 'D', Quantity: 2, UnitAmount: 12.5, AccountCode: '429' }] }),
    ] });
    expect(res.status).toBe(200);
    const [a, b, c] = res.body.Invoices;
    // 3 × 0.34 (UnitAmount rounded to 2dp) = 1.02, tax 0.20; 1.5 × 9.99 × 0.9 = 13.4865 → 13.49, tax 0.67
    expect(a.LineItems.map((l: { LineAmount: number; TaxAmount: number }) => [l.LineAmount, l.TaxAmount])).toEqual([[1.02, 0.2], [13.49, 0.67]]);
    expect(a).toMatchObject({ SubTotal: 14.51, TotalTax: 0.87, Total: 15.38, AmountDue: 15.38, InvoiceNumber: 'INV-0001', Status: 'AUTHORISED' });
    expect(a.Date).toBe(`/Date(${Date.UTC(2024, 2, 1)}+0000)/`);
    expect(a.DateString).toBe('2024-03-01T00:00:00');
    expect(b).toMatchObject({ SubTotal: 83.33, TotalTax: 16.67, Total: 100, InvoiceNumber: 'INV-0002' });
    expect(b.LineItems[0].TaxType).toBe('OUTPUT2');
    expect(c).toMatchObject({ Type: 'ACCPAY', SubTotal: 25, TotalTax: 0, Total: 25, InvoiceNumber: 'SUP-1' });
  });

  it('reports per-element results with summarizeErrors=false and fails atomically by default', async () => {
    const { sb, api, org } = await connected();
    const batch = [
      invoice({ InvoiceNumber: 'INV-100', Reference: 'order-1' }),
      invoice({ InvoiceNumber: 'INV-101', LineItems: [{ Description: 'x', Quantity: 1, UnitAmount: 5, AccountCode: '999' }] }),
      invoice({ InvoiceNumber: 'INV-100' }),
      invoice({ InvoiceNumber: 'INV-102', LineItems: [{ Description: 'x', Quantity: 1, UnitAmount: 5, AccountCode: '200', TaxType: 'INPUT2' }] }),
      invoice({ InvoiceNumber: 'INV-103', LineItems: [{ Description: 'x', Quantity: 1, UnitAmount: 5, AccountCode: '495' }] }),
      invoice({ Contact: undefined, InvoiceNumber: 'INV-104' }),
      invoice({ Type: 'ACCPAY', InvoiceNumber: 'BILL-1', LineItems: [{ Description: 'Paper', Quantity: 1, UnitAmount: 10, AccountCode: '461' }] }),
    ];
    const atomic = await api('PUT', '/Invoices', { Invoices: batch });
    expect(atomic.status).toBe(400);
    expect(atomic.body.Type).toBe('ValidationException');
    expect(atomic.body.Elements).toHaveLength(5);
    expect(sb.invoices(org.OrganisationID)).toHaveLength(0);
    expect(sb.contacts(org.OrganisationID)).toHaveLength(0);

    const res = await api('PUT', '/Invoices?summarizeErrors=false', { Invoices: batch });
    expect(res.status).toBe(200);
    const els = res.body.Invoices as { StatusAttributeString: string; ValidationErrors?: { Message: string }[] }[];
    expect(els.map((e) => e.StatusAttributeString)).toEqual(['OK', 'ERROR', 'ERROR', 'ERROR', 'ERROR', 'ERROR', 'OK']);
    expect(els.map((e) => e.ValidationErrors?.[0]?.Message)).toEqual([
      undefined,
      "Account code '999' is not a valid code for this document.",
      'Invoice # must be unique.',
      "The TaxType code 'INPUT2' does not exist or cannot be used with this type of transaction.",
      "Account code '495' is not a valid code for this document.",
      'A Contact must be specified for this type of transaction',
      undefined,
    ]);
    expect(sb.invoices(org.OrganisationID)).toHaveLength(2);
    expect(sb.contacts(org.OrganisationID)).toHaveLength(1); // "Acme Ltd" created once, by name

    const tooMany = await api('PUT', '/Invoices', { Invoices: Array.from({ length: 51 }, (_, i) => invoice({ InvoiceNumber: `N-${i}` })) });
    expect(tooMany.status).toBe(400);

    const byNumber = await api('GET', '/Invoices?InvoiceNumbers=INV-100,BILL-1');
    expect(byNumber.body.Invoices).toHaveLength(2);
    const byRef = await api('GET', `/Invoices?${where('Reference=="order-1"')}`);
    expect(byRef.body.Invoices.map((i: { InvoiceNumber: string }) => i.InvoiceNumber)).toEqual(['INV-100']);
    const id = byRef.body.Invoices[0].InvoiceID as string;
    expect((await api('GET', `/Invoices?IDs=${id}`)).body.Invoices).toHaveLength(1);
    expect((await api('GET', `/Invoices/${id}`)).body.Invoices[0].LineItems[0].LineItemID).toMatch(/^[0-9a-f-]{36}$/);

    const voided = await api('POST', `/Invoices/${id}`, { Invoices: [{ Status: 'VOIDED' }] });
    expect(voided.body.Invoices[0]).toMatchObject({ Status: 'VOIDED', AmountDue: 0 });
    const again = await api('POST', `/Invoices/${id}`, { Invoices: [{ Status: 'AUTHORISED' }] });
    expect(again.body.Elements[0].ValidationErrors[0].Message).toBe('Invoice not of valid status for modification');
    expect(sb.contractViolations).toEqual([]);
  });

  it('records contract violations for bodies that do not match the OpenAPI schema', async () => {
    const { sb, api } = await connected();
    await api('PUT', '/Invoices', { Invoices: [{ ...invoice(), Status: 'APPROVED', lineItems: [] }] });
    expect(sb.contractViolations.map((v) => v.kind).sort()).toEqual(['schema', 'unknown-property']);
    const messages = sb.contractViolations.map((v) => v.message).join('\n');
    expect(messages).toMatch(/Status must be equal to one of the allowed values/);
    expect(messages).toMatch(/additional properties 'lineItems'/);
  });
});
