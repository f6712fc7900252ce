import { afterEach, describe, expect, it } from 'vitest';
import { PurchaseOrder, XeroClient } from 'xero-node';
import { startXeroSandbox } from '../../src/sandbox/xero/index.ts';
import type { XeroSandbox, XeroSandboxOptions } from '../../src/sandbox/xero/index.ts';
import { client } from '../../src/sandbox/xero/testing.ts';

const open: XeroSandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((sb) => sb.close()));
});

async function connected(opts: XeroSandboxOptions = {}) {
  const sb = await startXeroSandbox({ limits: { perMinute: 10_000, perDay: 100_000 }, ...opts });
  open.push(sb);
  const org = sb.addOrganisation({ name: 'Demo UK', region: 'UK' });
  const tokens = await sb.grantTokens();
  return { sb, org, tenantId: org.OrganisationID, api: client(sb, tokens.access_token, org.OrganisationID) };
}

const po = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  Contact: { Name: 'Paper Supplies Ltd' },
  Date: '2024-03-01',
  DeliveryDate: '2024-03-15',
  Reference: 'REQ-1',
  LineItems: [
    { Description: 'A4 paper', Quantity: 10, UnitAmount: 4.5, AccountCode: '300', TaxType: 'INPUT2', ItemCode: 'PAPER-A4' },
    { Description: 'Toner', Quantity: 1, UnitAmount: 60 },
  ],
  ...overrides,
});
const msOf = (d: string): number => Number(/\/Date\((\d+)/.exec(d)?.[1]);
const isoNoZone = (ms: number): string => new Date(ms).toISOString().slice(0, 19);

describe('xero sandbox: purchase orders', () => {
  it('creates with computed totals and auto numbers, reads by id and number, updates status', async () => {
    let real = Date.UTC(2024, 2, 1, 9);
    const { sb, api, tenantId } = await connected({ clock: () => real });
    const res = await api('PUT', '/PurchaseOrders', { PurchaseOrders: [po(), po({ Reference: 'REQ-2', PurchaseOrderNumber: 'PO-CUSTOM' })] });
    expect(res.status).toBe(200);
    const [a, b] = res.body.PurchaseOrders;
    expect(a).toMatchObject({
      PurchaseOrderNumber: 'PO-0001', Status: 'DRAFT', Reference: 'REQ-1', Type: 'PURCHASEORDER', CurrencyCode: 'GBP',
      SubTotal: 105, TotalTax: 9, Total: 114, LineAmountTypes: 'Exclusive',
      Date: `/Date(${Date.UTC(2024, 2, 1)}+0000)/`, DeliveryDate: `/Date(${Date.UTC(2024, 2, 15)}+0000)/`,
      Contact: { Name: 'Paper Supplies Ltd', ContactStatus: 'ACTIVE' },
    });
    expect(a.PurchaseOrderID).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.UpdatedDateUTC).toBe(`/Date(${real}+0000)/`);
    expect(a.LineItems[0]).toMatchObject({ Description: 'A4 paper', Quantity: 10, UnitAmount: 4.5, AccountCode: '300', ItemCode: 'PAPER-A4', TaxType: 'INPUT2', LineAmount: 45, TaxAmount: 9 });
    expect(a.LineItems[0].LineItemID).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.LineItems[1]).toMatchObject({ Description: 'Toner', LineAmount: 60, TaxType: 'NONE' });
    expect(a.LineItems[1].AccountCode).toBeUndefined();
    expect(b).toMatchObject({ PurchaseOrderNumber: 'PO-CUSTOM', Contact: { ContactID: a.Contact.ContactID } });
    expect(sb.contacts(tenantId)).toHaveLength(1);

    expect((await api('GET', `/PurchaseOrders/${a.PurchaseOrderID}`)).body.PurchaseOrders[0].Reference).toBe('REQ-1');
    expect((await api('GET', '/PurchaseOrders/PO-CUSTOM')).body.PurchaseOrders[0].PurchaseOrderID).toBe(b.PurchaseOrderID);
    expect((await api('GET', `/PurchaseOrders/${crypto.randomUUID()}`)).status).toBe(404);

    real += 5_000;
    const upd = await api('POST', `/PurchaseOrders/${a.PurchaseOrderID}`, { PurchaseOrders: [{ Status: 'AUTHORISED' }] });
    expect(upd.status).toBe(200);
    expect(upd.body.PurchaseOrders[0]).toMatchObject({ Status: 'AUTHORISED', PurchaseOrderNumber: 'PO-0001', Total: 114 });
    expect(msOf(upd.body.PurchaseOrders[0].UpdatedDateUTC)).toBe(real);
    expect(sb.contractViolations).toEqual([]);
  });

  it('validates contacts, numbers, statuses and lines (atomically by default)', async () => {
    const { sb, api, tenantId } = await connected();
    const [supplier] = sb.addContacts(tenantId, [{ Name: 'Acme Supplies', IsSupplier: true }]);
    const ok = await api('PUT', '/PurchaseOrders', { PurchaseOrders: [po({ Contact: { ContactID: supplier?.ContactID } })] });
    expect(ok.body.PurchaseOrders[0].Contact.Name).toBe('Acme Supplies');
    const bad = await api('PUT', '/PurchaseOrders', { PurchaseOrders: [
      po({ PurchaseOrderNumber: 'PO-0001' }),
      po({ Contact: { ContactID: crypto.randomUUID() } }),
      po({ Status: 'BILLED' }),
      po({ LineItems: [{ Description: '', Quantity: 1, UnitAmount: 1 }] }),
      po({ Reference: 'fine' }),
    ] });
    expect(bad.status).toBe(400);
    expect(bad.body.Elements.map((e: { ValidationErrors: { Message: string }[] }) => e.ValidationErrors[0]?.Message)).toEqual([
      'Order number must be unique',
      expect.stringMatching(/^The contact with ContactID .* could not be found\.$/),
      'A purchase order cannot be created with status BILLED.',
      'The description field is mandatory for each line item.',
    ]);
    expect(sb.purchaseOrders(tenantId)).toHaveLength(1);
    const deleted = sb.updatePurchaseOrder(tenantId, String(ok.body.PurchaseOrders[0].PurchaseOrderID), { Status: 'DELETED' });
    expect(deleted.Status).toBe('DELETED');
    const again = await api('POST', `/PurchaseOrders/${String(deleted.PurchaseOrderID)}`, { PurchaseOrders: [{ Status: 'DRAFT' }] });
    expect(again.body.Elements[0].ValidationErrors[0].Message).toBe('Purchase order not of valid status for modification');
  });

  it('lists with paging, Status, If-Modified-Since and order; counts calls and takes faults', async () => {
    let real = Date.UTC(2024, 5, 1);
    const { sb, api, tenantId } = await connected({ clock: () => real });
    const statuses = ['DRAFT', 'SUBMITTED', 'AUTHORISED', 'BILLED', 'DELETED'] as const;
    const seeded = sb.addPurchaseOrders(tenantId, Array.from({ length: 250 }, (_, i) => po({ Status: statuses[i % 5], Reference: `R-${i}` })));
    expect(seeded.map((p) => p.PurchaseOrderNumber).slice(0, 2)).toEqual(['PO-0001', 'PO-0002']);
    const pages = await Promise.all([1, 2, 3, 4].map((p) => api('GET', `/PurchaseOrders?page=${p}`)));
    expect(pages.map((p) => p.body.PurchaseOrders.length)).toEqual([100, 100, 50, 0]);
    expect(pages[0]?.body.pagination).toEqual({ page: 1, pageSize: 100, pageCount: 3, itemCount: 250 });
    expect(new Set(pages.flatMap((p) => p.body.PurchaseOrders.map((x: { PurchaseOrderID: string }) => x.PurchaseOrderID))).size).toBe(250);

    const billed = await api('GET', '/PurchaseOrders?Status=BILLED&page=1');
    expect(billed.body.pagination.itemCount).toBe(50);
    expect(billed.body.PurchaseOrders.every((p: { Status: string }) => p.Status === 'BILLED')).toBe(true);
    expect((await api('GET', '/PurchaseOrders?Status=OPEN')).status).toBe(400);

    const since = real;
    real += 60_000;
    const changed = sb.updatePurchaseOrder(tenantId, String(seeded[2]?.PurchaseOrderID), { Status: 'BILLED' });
    expect(msOf(String(changed.UpdatedDateUTC))).toBe(real);
    const delta = await api('GET', '/PurchaseOrders?page=1', undefined, { 'If-Modified-Since': isoNoZone(since) });
    expect(delta.body.PurchaseOrders.map((p: { PurchaseOrderNumber: string; Status: string }) => [p.PurchaseOrderNumber, p.Status])).toEqual([['PO-0003', 'BILLED']]);
    expect(delta.body.pagination.itemCount).toBe(1);
    const explicit = sb.addPurchaseOrders(tenantId, [po({ UpdatedDateUTC: '2020-01-01T00:00:00', PurchaseOrderID: 'aaaaaaaa-0000-4000-8000-000000000001' })]);
    expect(explicit[0]).toMatchObject({ PurchaseOrderID: 'aaaaaaaa-0000-4000-8000-000000000001', UpdatedDateUTC: `/Date(${Date.UTC(2020, 0, 1)}+0000)/` });

    const desc = await api('GET', '/PurchaseOrders?order=PurchaseOrderNumber%20DESC&page=1&pageSize=5');
    expect(desc.body.PurchaseOrders.map((p: { PurchaseOrderNumber: string }) => p.PurchaseOrderNumber)).toEqual(['PO-0251', 'PO-0250', 'PO-0249', 'PO-0248', 'PO-0247']);

    const calls = sb.stats(tenantId).calls;
    sb.failNext(1, { status: 503, path: /PurchaseOrders$/ });
    expect((await api('GET', '/PurchaseOrders?page=1')).status).toBe(503);
    expect((await api('GET', '/PurchaseOrders?page=1')).status).toBe(200);
    expect(sb.stats(tenantId).calls).toBe(calls + 2);
    expect(sb.contractViolations).toEqual([]);
  });
});

describe('xero sandbox: purchase orders through xero-node', () => {
  it('creates, lists (Status, If-Modified-Since, page) and updates with zero contract violations', async () => {
    let real = Date.UTC(2024, 6, 1);
    const { sb, tenantId } = await connected({ clock: () => real });
    const tokens = await sb.grantTokens();
    const xero = new XeroClient();
    xero.accountingApi.basePath = `${sb.apiUrl}/api.xro/2.0`;
    xero.setTokenSet({ ...tokens });
    const created = await xero.accountingApi.createPurchaseOrders(tenantId, { purchaseOrders: [
      { contact: { name: 'SDK Supplier' }, date: '2024-07-01', deliveryDate: '2024-07-10', reference: 'sdk-po',
        lineItems: [{ description: 'Bolts', quantity: 100, unitAmount: 0.25, accountCode: '300', taxType: 'INPUT2' }] },
    ] }, true);
    const made = created.body.purchaseOrders?.[0];
    expect(made).toMatchObject({ purchaseOrderNumber: 'PO-0001', status: PurchaseOrder.StatusEnum.DRAFT, subTotal: 25, totalTax: 5, total: 30 });
    expect(made?.updatedDateUTC).toBeInstanceOf(Date);
    const since = new Date(real);
    real += 10_000;
    const id = String(made?.purchaseOrderID);
    await xero.accountingApi.updatePurchaseOrder(tenantId, id, { purchaseOrders: [{ status: PurchaseOrder.StatusEnum.AUTHORISED }] });
    const listed = await xero.accountingApi.getPurchaseOrders(tenantId, since, 'AUTHORISED', undefined, undefined, undefined, 1);
    expect(listed.body.purchaseOrders?.map((p) => [p.purchaseOrderID, p.status])).toEqual([[id, PurchaseOrder.StatusEnum.AUTHORISED]]);
    expect(listed.body.pagination).toMatchObject({ page: 1, itemCount: 1 });
    expect((await xero.accountingApi.getPurchaseOrder(tenantId, id)).body.purchaseOrders?.[0]?.lineItems?.[0]?.lineAmount).toBe(25);
    expect(sb.contractViolations).toEqual([]);
  });
});

describe('xero sandbox: big contact imports', () => {
  it('pages 5,000 contacts in 50 pages of 100, excluding archived, and returns only changes since', async () => {
    let real = Date.UTC(2024, 0, 1);
    const { sb, api, tenantId } = await connected({ clock: () => real });
    const t0 = performance.now();
    const seeded = sb.addContacts(tenantId, Array.from({ length: 5_200 }, (_, i) => ({
      Name: `Customer ${String(i).padStart(5, '0')}`,
      ContactStatus: i % 26 === 25 ? 'ARCHIVED' as const : 'ACTIVE' as const,
      IsCustomer: i % 2 === 0, IsSupplier: i % 3 === 0,
      EmailAddress: `c${i}@example.test`, TaxNumber: `GB${100000000 + i}`,
      Phones: [{ PhoneType: 'DEFAULT', PhoneNumber: `555-${i}` }],
      Addresses: [{ AddressType: 'STREET', AddressLine1: `${i} High St`, City: 'London', PostalCode: 'N1 1AA' }],
    })));
    expect(seeded).toHaveLength(5_200);
    expect(sb.contacts(tenantId).filter((c) => c.ContactStatus === 'ARCHIVED')).toHaveLength(200);

    const ids = new Set<string>();
    for (let page = 1; page <= 50; page++) {
      const res = await api('GET', `/Contacts?page=${page}`);
      expect(res.status).toBe(200);
      expect(res.body.Contacts).toHaveLength(100);
      expect(res.body.pagination).toEqual({ page, pageSize: 100, pageCount: 50, itemCount: 5_000 });
      for (const c of res.body.Contacts) {
        expect(c.ContactStatus).toBe('ACTIVE');
        ids.add(c.ContactID);
      }
    }
    expect(ids.size).toBe(5_000);
    expect((await api('GET', '/Contacts?page=51')).body.Contacts).toEqual([]);
    const first = (await api('GET', '/Contacts?page=1')).body.Contacts[0];
    expect(first).toMatchObject({ Name: 'Customer 00000', IsCustomer: true, IsSupplier: true, EmailAddress: 'c0@example.test', TaxNumber: 'GB100000000' });
    expect(first.Addresses).toEqual([{ AddressType: 'STREET', AddressLine1: '0 High St', City: 'London', PostalCode: 'N1 1AA' }]);

    const big = await api('GET', '/Contacts?page=2&pageSize=1000&includeArchived=true');
    expect(big.body.pagination).toEqual({ page: 2, pageSize: 1000, pageCount: 6, itemCount: 5_200 });
    expect((await api('GET', '/Contacts?page=1&pageSize=5000')).body.pagination.pageSize).toBe(1000);

    const since = real;
    real += 1_000;
    sb.updateContact(tenantId, String(seeded[10]?.ContactID), { EmailAddress: 'new@example.test' });
    sb.updateContact(tenantId, String(seeded[4000]?.ContactID), { ContactStatus: 'ARCHIVED' });
    const delta = await api('GET', '/Contacts?page=1', undefined, { 'If-Modified-Since': isoNoZone(since) });
    expect(delta.body.Contacts.map((c: { EmailAddress: string }) => c.EmailAddress)).toEqual(['new@example.test']);
    const deltaAll = await api('GET', '/Contacts?page=1&includeArchived=true', undefined, { 'If-Modified-Since': isoNoZone(since) });
    expect(deltaAll.body.Contacts.map((c: { Name: string; ContactStatus: string }) => [c.Name, c.ContactStatus]))
      .toEqual([['Customer 00010', 'ACTIVE'], ['Customer 04000', 'ARCHIVED']]);
    expect(() => sb.addContacts(tenantId, [{ Name: 'customer 00001' }])).toThrow(/already assigned/);
    expect(() => sb.addContacts(tenantId, [{ Name: 'X', Emial: 'typo' }])).toThrow(/unknown Contact field 'Emial'/);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('fails exactly the page picked by a query predicate', async () => {
    const { sb, api, tenantId } = await connected();
    sb.addContacts(tenantId, Array.from({ length: 450 }, (_, i) => ({ Name: `C${i}` })));
    sb.failNext(1, { status: 503, path: /Contacts$/, query: { page: '3' } });
    const statuses: number[] = [];
    for (const page of [1, 2, 3, 3, 4, 5]) statuses.push((await api('GET', `/Contacts?page=${page}`)).status);
    expect(statuses).toEqual([200, 200, 503, 200, 200, 200]);
    sb.failNext(2, { query: { page: /^[12]$/ } });
    expect((await api('GET', '/Contacts')).status).toBe(200);
    expect((await api('GET', '/Contacts?page=2')).status).toBe(500);
    expect((await api('GET', '/Invoices?page=1')).status).toBe(500);
    expect((await api('GET', '/Invoices?page=1')).status).toBe(200);
  });
});
