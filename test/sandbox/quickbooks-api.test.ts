import { afterEach, describe, expect, it } from 'vitest';
import { startQuickBooksSandbox } from '../../src/sandbox/quickbooks/index.ts';
import type { Country, QuickBooksSandbox, QuickBooksSandboxOptions } from '../../src/sandbox/quickbooks/index.ts';
import { bill, client, invoice, query } from '../../src/sandbox/quickbooks/testing.ts';

const open: QuickBooksSandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((sb) => sb.close()));
});

async function connected(country: Country = 'US', opts: QuickBooksSandboxOptions = {}) {
  const sb = await startQuickBooksSandbox(opts);
  open.push(sb);
  const co = sb.addCompany({ name: `Demo ${country}`, country });
  const tokens = await sb.grantTokens();
  return { sb, co, realmId: co.realmId, api: client(sb, tokens.access_token, co.realmId) };
}

describe('quickbooks sandbox: entities', () => {
  it('creates, reads and updates customers with SyncToken checks', async () => {
    const { api } = await connected();
    const created = await api('POST', '/customer', {
      DisplayName: 'Acme Ltd', PrimaryEmailAddr: { Address: 'ap@acme.test' }, PrimaryPhone: { FreeFormNumber: '555-0100' },
      BillAddr: { Line1: '1 Main St', City: 'Springfield', CountrySubDivisionCode: 'CA', PostalCode: '94000' },
    });
    expect(created.status).toBe(200);
    const c = created.body.Customer;
    expect(c).toMatchObject({ Id: '1', SyncToken: '0', DisplayName: 'Acme Ltd', Active: true, FullyQualifiedName: 'Acme Ltd', Balance: 0,
      PrimaryEmailAddr: { Address: 'ap@acme.test' }, domain: 'QBO' });
    expect(c.MetaData.CreateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[78]:00$/);

    const dup = await api('POST', '/vendor', { DisplayName: 'acme ltd' });
    expect(dup.status).toBe(400);
    expect(dup.body.Fault).toMatchObject({ type: 'ValidationFault', Error: [{ code: '6240', Message: 'Duplicate Name Exists Error' }] });

    const sparse = await api('POST', '/customer', { Id: c.Id, SyncToken: '0', sparse: true, CompanyName: 'Acme Holdings' });
    expect(sparse.body.Customer).toMatchObject({ SyncToken: '1', CompanyName: 'Acme Holdings', PrimaryEmailAddr: { Address: 'ap@acme.test' } });
    const stale = await api('POST', '/customer', { Id: c.Id, SyncToken: '0', sparse: true, Notes: 'late' });
    expect(stale.status).toBe(400);
    expect(stale.body.Fault.Error[0]).toMatchObject({ code: '5010', Message: 'Stale Object Error' });
    expect(stale.body.Fault.Error[0].Detail).toMatch(/^Stale Object Error : You and .* were working on this at the same time/);
    // A full update replaces the writable fields.
    const full = await api('POST', '/customer', { Id: c.Id, SyncToken: '1', DisplayName: 'Acme Ltd' });
    expect(full.body.Customer.PrimaryEmailAddr).toBeUndefined();
    expect((await api('GET', `/customer/${c.Id}`)).body.Customer.SyncToken).toBe('2');
    expect((await api('GET', '/customer/999')).body.Fault.Error[0].code).toBe('610');
    const unknown = await api('POST', '/customer', { DisplayName: 'X', Emial: 'x@y' });
    expect(unknown.body.Fault.Error[0]).toMatchObject({ code: '2010', element: 'Emial' });
  });

  it('validates invoices like QuickBooks and computes totals', async () => {
    const { sb, realmId, api } = await connected();
    const [cust] = sb.addCustomers(realmId, [{ DisplayName: 'Acme Ltd' }]);
    const created = await api('POST', '/invoice', invoice(String(cust?.Id), { DocNumber: 'INV-1' }));
    expect(created.status).toBe(200);
    expect(created.body.Invoice).toMatchObject({
      DocNumber: 'INV-1', TotalAmt: 200, Balance: 200, TxnDate: '2026-03-01', DueDate: '2026-03-31',
      CustomerRef: { value: cust?.Id, name: 'Acme Ltd' }, CurrencyRef: { value: 'USD' },
      Line: [
        { Id: '1', LineNum: 1, Amount: 200, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: '1', name: 'Services' }, Qty: 2, UnitPrice: 100 } },
        { Amount: 200, DetailType: 'SubTotalLineDetail' },
      ],
    });
    const fault = async (body: Record<string, unknown>) => (await api('POST', '/invoice', body)).body.Fault.Error[0];
    expect(await fault(invoice(String(cust?.Id), { DocNumber: 'INV-1' }))).toMatchObject({ code: '6140', Message: 'Duplicate Document Number Error' });
    const badAmount = invoice(String(cust?.Id), { Line: [{ Amount: 150, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: '1' }, UnitPrice: 100, Qty: 2 } }] });
    expect(await fault(badAmount)).toMatchObject({ code: '6070', Message: 'Amount is not equal to UnitPrice * Qty' });
    expect(await fault(invoice('999'))).toMatchObject({ code: '2500' });
    expect(await fault({ CustomerRef: { value: cust?.Id } })).toMatchObject({ code: '2020' });
    const noItem = invoice(String(cust?.Id), { Line: [{ Amount: 1, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: '77' } } }] });
    expect(await fault(noItem)).toMatchObject({ code: '2500' });
    const badTax = invoice(String(cust?.Id), { Line: [{ Amount: 1, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: '1' }, TaxCodeRef: { value: 'VAT' } } }] });
    expect(await fault(badTax)).toMatchObject({ code: '2500' });
    // Automatic numbering when DocNumber is absent.
    expect((await api('POST', '/invoice', invoice(String(cust?.Id)))).body.Invoice.DocNumber).toBe('1001');
  });

  it('validates bills (expense accounts) and computes UK VAT from the tax code rates', async () => {
    const { sb, realmId, api } = await connected('UK');
    const codes = (await query(api, 'select * from TaxCode')).body.QueryResponse.TaxCode;
    expect(codes.map((c: { Id: string; Name: string }) => [c.Id, c.Name])).toEqual([['2', '20.0% S'], ['3', '5.0% R'], ['4', '0.0% Z'], ['5', 'Exempt'], ['6', 'No VAT']]);
    const rateId = codes[0].SalesTaxRateList.TaxRateDetail[0].TaxRateRef.value;
    expect((await api('GET', `/taxrate/${rateId}`)).body.TaxRate).toMatchObject({ RateValue: 20, Name: '20.0% S (Sales)' });

    const [vendor] = sb.addVendors(realmId, [{ DisplayName: 'Paper Co' }]);
    const noVat = await api('POST', '/bill', bill(String(vendor?.Id)));
    expect(noVat.body.Fault.Error[0].code).toBe('6000');
    const withVat = bill(String(vendor?.Id), {
      Line: [{ Amount: 50, DetailType: 'AccountBasedExpenseLineDetail', AccountBasedExpenseLineDetail: { AccountRef: { value: '78' }, TaxCodeRef: { value: '2' } } }],
    });
    const ok = await api('POST', '/bill', withVat);
    expect(ok.body.Bill).toMatchObject({ TotalAmt: 60, TxnTaxDetail: { TotalTax: 10 }, GlobalTaxCalculation: 'TaxExcluded', APAccountRef: { value: '33' } });
    const income = bill(String(vendor?.Id), {
      Line: [{ Amount: 5, DetailType: 'AccountBasedExpenseLineDetail', AccountBasedExpenseLineDetail: { AccountRef: { value: '79' }, TaxCodeRef: { value: '2' } } }],
    });
    expect((await api('POST', '/bill', income)).body.Fault.Error[0].code).toBe('6000');
    expect(sb.bills(realmId)).toHaveLength(1);
  });
});

describe('quickbooks sandbox: query language', () => {
  it('supports the selects Ledgerport uses', async () => {
    let real = Date.UTC(2026, 2, 1, 12);
    const { sb, realmId, api } = await connected('US', { clock: () => real });
    sb.addCustomers(realmId, [
      { DisplayName: 'Acme Ltd', PrimaryEmailAddr: { Address: 'ap@acme.test' } },
      { DisplayName: "O'Brien & Sons" },
      { DisplayName: 'Old Co', Active: false },
    ]);
    const names = async (q: string) => ((await query(api, q)).body.QueryResponse.Customer ?? []).map((c: { DisplayName: string }) => c.DisplayName);
    expect(await names("select * from Customer where DisplayName = 'Acme Ltd'")).toEqual(['Acme Ltd']);
    expect(await names("select * from Customer where PrimaryEmailAddr = 'ap@acme.test'")).toEqual(['Acme Ltd']);
    expect(await names("select * from Customer where DisplayName = 'O\\'Brien & Sons'")).toEqual(["O'Brien & Sons"]);
    expect(await names("SELECT * FROM Customer WHERE Id IN ('1', '3')")).toEqual(['Acme Ltd']);
    expect(await names("select * from Customer where Active in (true, false) and DisplayName like 'O%'")).toEqual(["O'Brien & Sons", 'Old Co']);
    expect(await names('select * from Customer orderby DisplayName desc')).toEqual(["O'Brien & Sons", 'Acme Ltd']);
    expect((await query(api, 'select count(*) from Customer')).body.QueryResponse).toEqual({ totalCount: 2 });
    const empty = await query(api, "select * from Customer where DisplayName = 'Nobody'");
    expect(empty.body.QueryResponse).toEqual({});

    real += 60_000;
    const cutoff = new Date(real).toISOString();
    real += 2_000;
    sb.updateEntity(realmId, 'Customer', '1', { Notes: 'changed' });
    expect(await names(`select * from Customer where MetaData.LastUpdatedTime > '${cutoff}'`)).toEqual(['Acme Ltd']);

    const page = await query(api, 'select * from Item STARTPOSITION 2 MAXRESULTS 1');
    expect(page.body.QueryResponse).toMatchObject({ startPosition: 2, maxResults: 1, Item: [{ Id: '2', Name: 'Hours' }] });
    const projected = await query(api, "select Id, DisplayName from Customer where DisplayName = 'Acme Ltd'");
    expect(projected.body.QueryResponse.Customer[0]).toEqual({ Id: '1', DisplayName: 'Acme Ltd', domain: 'QBO', sparse: true });

    const [vendor] = sb.addVendors(realmId, [{ DisplayName: 'Paper Co' }]);
    const line = { Amount: 10, DetailType: 'ItemBasedExpenseLineDetail', ItemBasedExpenseLineDetail: { ItemRef: { value: '3' }, UnitPrice: 5, Qty: 2 } };
    sb.addPurchaseOrders(realmId, [
      { VendorRef: { value: vendor?.Id }, Line: [line], DocNumber: 'PO-1' },
      { VendorRef: { value: vendor?.Id }, Line: [line], DocNumber: 'PO-2', POStatus: 'Closed' },
    ]);
    const pos = await query(api, "select * from PurchaseOrder where POStatus = 'Open'");
    expect(pos.body.QueryResponse.PurchaseOrder.map((p: { DocNumber: string }) => p.DocNumber)).toEqual(['PO-1']);
    await api('POST', '/invoice', invoice('1', { DocNumber: 'INV-9' }));
    expect((await query(api, "select * from Invoice where DocNumber = 'INV-9'")).body.QueryResponse.Invoice).toHaveLength(1);

    const bad = await query(api, 'select * from Customer where');
    expect([bad.status, bad.body.Fault.Error[0].code]).toEqual([400, '4000']);
    expect((await query(api, 'select * from Widget')).body.Fault.Error[0].code).toBe('4001');
    expect((await query(api, "select * from Customer where Emial = 'x'")).body.Fault.Error[0].code).toBe('4001');
  });
});

describe('quickbooks sandbox: cdc and batch', () => {
  it('reports changes since a time, including deletions', async () => {
    let real = Date.UTC(2026, 2, 1, 12);
    const { sb, realmId, api } = await connected('US', { clock: () => real });
    const [c1] = sb.addCustomers(realmId, [{ DisplayName: 'Early' }]);
    const [v1] = sb.addVendors(realmId, [{ DisplayName: 'Supplier' }]);
    real += 1_800_000;
    const since = new Date(real).toISOString();
    real += 1_000;
    sb.addCustomers(realmId, [{ DisplayName: 'Late' }]);
    sb.updateEntity(realmId, 'Customer', String(c1?.Id), { Active: false });
    const [po] = sb.addPurchaseOrders(realmId, [{ VendorRef: { value: v1?.Id }, Line: [{ Amount: 5, DetailType: 'AccountBasedExpenseLineDetail', AccountBasedExpenseLineDetail: { AccountRef: { value: '78' } } }] }]);
    sb.deleteEntity(realmId, 'PurchaseOrder', String(po?.Id));
    const r = await api('GET', '/cdc', undefined, { entities: 'Customer,Vendor,PurchaseOrder', changedSince: since });
    expect(r.status).toBe(200);
    const [customers, vendors, orders] = r.body.CDCResponse[0].QueryResponse;
    expect(customers.Customer.map((c: { DisplayName: string; Active: boolean }) => [c.DisplayName, c.Active])).toEqual([['Early', false], ['Late', true]]);
    expect(vendors).toEqual({});
    expect(orders.PurchaseOrder).toEqual([{ domain: 'QBO', status: 'Deleted', Id: po?.Id, MetaData: { LastUpdatedTime: expect.any(String) } }]);
    const old = await api('GET', '/cdc', undefined, { entities: 'Customer', changedSince: '2025-01-01T00:00:00Z' });
    expect(old.status).toBe(400);
  });

  it('runs up to 30 operations with per-item outcomes', async () => {
    const { sb, realmId, api } = await connected();
    sb.addCustomers(realmId, [{ DisplayName: 'Acme Ltd' }]);
    const r = await api('POST', '/batch', { BatchItemRequest: [
      { bId: '1', operation: 'create', Invoice: invoice('1', { DocNumber: 'B-1' }) },
      { bId: '2', operation: 'create', Invoice: invoice('1', { DocNumber: 'B-1' }) },
      { bId: '3', operation: 'create', Customer: { DisplayName: 'New Co' } },
      { bId: '4', Query: "select * from Customer where DisplayName = 'New Co'" },
    ] });
    expect(r.status).toBe(200);
    const [one, two, three, four] = r.body.BatchItemResponse;
    expect(one).toMatchObject({ bId: '1', Invoice: { DocNumber: 'B-1', TotalAmt: 200 } });
    expect(two).toMatchObject({ bId: '2', Fault: { type: 'ValidationFault', Error: [{ code: '6140' }] } });
    expect(three).toMatchObject({ bId: '3', Customer: { DisplayName: 'New Co' } });
    expect(four.QueryResponse.Customer).toHaveLength(1);
    expect(sb.stats(realmId)).toMatchObject({ calls: 1, batchOperations: 4 });

    const tooMany = await api('POST', '/batch', { BatchItemRequest: Array.from({ length: 31 }, (_, i) => ({ bId: String(i), Customer: { DisplayName: `C${i}` } })) });
    expect(tooMany.status).toBe(400);
    expect(sb.customers(realmId)).toHaveLength(2);
  });
});
