import type { ProviderContact, ProviderPurchaseOrder, ProviderRecords, ProviderSession } from '../types.ts';
import { callQuickBooks, query, type QuickBooksClientDeps } from './client.ts';
import { contactKey, splitContactKey, type QboPartyKind } from './contacts.ts';
import { quickBooksFindDocuments } from './find-documents.ts';
import { createPaymentsIn } from './payments-in.ts';

const PAGE_SIZE = 100;

interface QboAddress { Line1?: string; Line2?: string; Line3?: string; City?: string; CountrySubDivisionCode?: string; PostalCode?: string; Country?: string }
interface QboParty {
  Id: string;
  DisplayName?: string;
  PrimaryEmailAddr?: { Address?: string };
  PrimaryPhone?: { FreeFormNumber?: string };
  Mobile?: { FreeFormNumber?: string };
  BillAddr?: QboAddress;
  ShipAddr?: QboAddress;
  PrimaryTaxIdentifier?: string;
  TaxIdentifier?: string;
  Active?: boolean;
  MetaData?: { LastUpdatedTime?: string };
}
interface QboPurchaseOrder {
  Id: string;
  DocNumber?: string;
  PrivateNote?: string;
  POStatus?: string;
  VendorRef?: { value: string; name?: string };
  Line?: { Description?: string; Amount?: number; ItemBasedExpenseLineDetail?: { ItemRef?: { value: string; name?: string }; Qty?: number; UnitPrice?: number }; AccountBasedExpenseLineDetail?: { AccountRef?: { value: string } } }[];
  CurrencyRef?: { value: string };
  TxnDate?: string;
  DueDate?: string;
  TotalAmt?: number;
  MetaData?: { LastUpdatedTime?: string };
}

const date = (value: string | undefined) => (value ? new Date(value) : null);
const address = (type: string, a: QboAddress | undefined) =>
  a && (a.Line1 || a.City || a.PostalCode)
    ? [{ type, lines: [a.Line1, a.Line2, a.Line3].filter((l): l is string => Boolean(l)), city: a.City ?? null, region: a.CountrySubDivisionCode ?? null, postalCode: a.PostalCode ?? null, country: a.Country ?? null }]
    : [];

function toContact(kind: QboPartyKind, p: QboParty): ProviderContact {
  return {
    id: contactKey(kind, p.Id),
    name: p.DisplayName ?? '',
    email: p.PrimaryEmailAddr?.Address ?? null,
    phones: [
      ...(p.PrimaryPhone?.FreeFormNumber ? [{ type: 'DEFAULT', number: p.PrimaryPhone.FreeFormNumber }] : []),
      ...(p.Mobile?.FreeFormNumber ? [{ type: 'MOBILE', number: p.Mobile.FreeFormNumber }] : []),
    ],
    addresses: [...address('BILLING', p.BillAddr), ...address('SHIPPING', p.ShipAddr)],
    taxNumber: p.PrimaryTaxIdentifier ?? p.TaxIdentifier ?? null,
    isCustomer: kind === 'customer',
    isSupplier: kind === 'vendor',
    archived: p.Active === false,
    updatedAt: date(p.MetaData?.LastUpdatedTime),
  };
}

function toPurchaseOrder(po: QboPurchaseOrder): ProviderPurchaseOrder {
  return {
    id: po.Id,
    number: po.DocNumber ?? null,
    reference: po.PrivateNote ?? null,
    open: po.POStatus === 'Open',
    providerStatus: po.POStatus ?? 'Unknown',
    supplier: { id: contactKey('vendor', po.VendorRef?.value ?? ''), name: po.VendorRef?.name ?? '' },
    lines: (po.Line ?? [])
      .filter((l) => l.ItemBasedExpenseLineDetail || l.AccountBasedExpenseLineDetail)
      .map((l) => ({
        description: l.Description ?? l.ItemBasedExpenseLineDetail?.ItemRef?.name ?? '',
        quantity: String(l.ItemBasedExpenseLineDetail?.Qty ?? 1),
        unitPrice: String(l.ItemBasedExpenseLineDetail?.UnitPrice ?? l.Amount ?? 0),
        itemCode: l.ItemBasedExpenseLineDetail?.ItemRef?.value ?? null,
        accountCode: l.AccountBasedExpenseLineDetail?.AccountRef?.value ?? null,
        lineAmount: l.Amount === undefined ? null : String(l.Amount),
      })),
    currency: po.CurrencyRef?.value ?? null,
    issueDate: po.TxnDate ?? null,
    deliveryDate: po.DueDate ?? null,
    total: po.TotalAmt === undefined ? null : String(po.TotalAmt),
    updatedAt: date(po.MetaData?.LastUpdatedTime),
  };
}

const since = (modifiedSince: Date | null) => (modifiedSince ? ` where MetaData.LastUpdatedTime >= '${modifiedSince.toISOString()}'` : '');
const page = (n: number) => ` STARTPOSITION ${(n - 1) * PAGE_SIZE + 1} MAXRESULTS ${PAGE_SIZE}`;

/** QuickBooks' side of imports and the pickers: customers and vendors are both contacts. */
export function createQuickBooksRecords(deps: QuickBooksClientDeps): ProviderRecords {
  const fetchOne = async <T>(session: ProviderSession, entity: string, path: string): Promise<T | null> => {
    try {
      const body = await callQuickBooks<Record<string, T>>(deps, session, `get ${entity}`, { method: 'GET', path });
      return body[entity] ?? null;
    } catch (error) {
      if ((error as { status?: number }).status === 404 || (error as { status?: number }).status === 400) return null;
      throw error;
    }
  };
  return {
    ...createPaymentsIn(deps),
    findDocuments: (session, query) => quickBooksFindDocuments(deps, session, query),
    async contactsPage(session, { page: n, modifiedSince, includeArchived }) {
      // Inactive records only come back when asked for; incremental runs ask, to learn of archiving.
      const active = includeArchived ? `${modifiedSince ? ' and' : ' where'} Active in (true, false)` : '';
      const [customers, vendors] = await Promise.all([
        query<QboParty>(deps, session, 'Customer', `select * from Customer${since(modifiedSince)}${active} orderby MetaData.LastUpdatedTime${page(n)}`),
        query<QboParty>(deps, session, 'Vendor', `select * from Vendor${since(modifiedSince)}${active} orderby MetaData.LastUpdatedTime${page(n)}`),
      ]);
      const items = [...customers.map((c) => toContact('customer', c)), ...vendors.map((v) => toContact('vendor', v))];
      return { items, nextPage: customers.length < PAGE_SIZE && vendors.length < PAGE_SIZE ? null : n + 1 };
    },
    async contact(session, id) {
      const { kind, id: raw } = splitContactKey(id);
      const found = await fetchOne<QboParty>(session, kind === 'vendor' ? 'Vendor' : 'Customer', `${kind}/${encodeURIComponent(raw)}`);
      return found ? toContact(kind, found) : null;
    },
    async purchaseOrdersPage(session, { page: n, modifiedSince, onlyOpen }) {
      const where = onlyOpen ? ` where POStatus = 'Open'` : since(modifiedSince);
      const orders = await query<QboPurchaseOrder>(deps, session, 'PurchaseOrder', `select * from PurchaseOrder${where}${page(n)}`);
      return { items: orders.map(toPurchaseOrder), nextPage: orders.length < PAGE_SIZE ? null : n + 1 };
    },
    async purchaseOrder(session, id) {
      const found = await fetchOne<QboPurchaseOrder>(session, 'PurchaseOrder', `purchaseorder/${encodeURIComponent(id)}`);
      return found ? toPurchaseOrder(found) : null;
    },
    async accounts(session) {
      const accounts = await query<{ Id: string; Name?: string; AcctNum?: string; AccountType?: string; Active?: boolean; Description?: string }>(
        deps, session, 'Account', 'select * from Account MAXRESULTS 1000',
      );
      // QuickBooks accounts are referred to by Id (account numbers are optional there).
      return accounts.map((a) => ({ code: a.Id, name: a.AcctNum ? `${a.AcctNum} ${a.Name ?? ''}`.trim() : (a.Name ?? ''), type: a.AccountType ?? '', status: a.Active === false ? ('archived' as const) : ('active' as const), description: a.Description ?? null }));
    },
    async taxRates(session) {
      const [codes, rates] = await Promise.all([
        query<{ Id: string; Name?: string; Active?: boolean; Taxable?: boolean; SalesTaxRateList?: { TaxRateDetail?: { TaxRateRef?: { value: string } }[] }; PurchaseTaxRateList?: { TaxRateDetail?: { TaxRateRef?: { value: string } }[] } }>(deps, session, 'TaxCode', 'select * from TaxCode MAXRESULTS 1000'),
        query<{ Id: string; RateValue?: number }>(deps, session, 'TaxRate', 'select * from TaxRate MAXRESULTS 1000'),
      ]);
      const rateOf = new Map(rates.map((r) => [r.Id, Number(r.RateValue ?? 0)]));
      return codes.map((c) => {
        const sales = c.SalesTaxRateList?.TaxRateDetail ?? [];
        const purchases = c.PurchaseTaxRateList?.TaxRateDetail ?? [];
        const first = sales[0] ?? purchases[0];
        return {
          code: c.Id,
          name: c.Name ?? c.Id,
          rate: first?.TaxRateRef ? (rateOf.get(first.TaxRateRef.value) ?? 0) : 0,
          status: c.Active === false ? ('archived' as const) : ('active' as const),
          appliesToSales: sales.length > 0 || c.Taxable === false,
          appliesToPurchases: purchases.length > 0 || c.Taxable === false,
        };
      });
    },
  };
}
