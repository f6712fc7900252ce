import type { Contact, PurchaseOrder } from 'xero-node';
import type { ProviderContact, ProviderPurchaseOrder, ProviderRecords } from '../types.ts';
import { callXero, type XeroClientDeps } from './client.ts';
import { xeroFindDocuments } from './find-documents.ts';
import { xeroInvoiceStates, xeroPayment } from './payment-records.ts';

// Xero pages lists by 100 unless asked; 100 keeps each call small and the governor's count honest.
const PAGE_SIZE = 100;

const toDate = (value: unknown): Date | null => {
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
  if (typeof value === 'string') {
    const ms = /\/Date\((\d+)/.exec(value)?.[1];
    const date = ms ? new Date(Number(ms)) : new Date(value);
    return Number.isNaN(date.getTime()) ? null : date;
  }
  return null;
};
const dateOnly = (value: unknown): string | null => toDate(value)?.toISOString().slice(0, 10) ?? null;
const decimal = (value: unknown): string | null => (value === undefined || value === null ? null : String(value));

export function toProviderContact(c: Contact): ProviderContact {
  return {
    id: c.contactID ?? '',
    name: c.name ?? '',
    email: c.emailAddress || null,
    phones: (c.phones ?? [])
      .filter((p) => p.phoneNumber)
      .map((p) => ({ type: String(p.phoneType ?? 'DEFAULT'), number: [p.phoneCountryCode, p.phoneAreaCode, p.phoneNumber].filter(Boolean).join(' ') })),
    addresses: (c.addresses ?? [])
      .filter((a) => a.addressLine1 || a.city || a.postalCode)
      .map((a) => ({
        type: String(a.addressType ?? 'POBOX'),
        lines: [a.addressLine1, a.addressLine2, a.addressLine3, a.addressLine4].filter((l): l is string => Boolean(l)),
        city: a.city || null,
        region: a.region || null,
        postalCode: a.postalCode || null,
        country: a.country || null,
      })),
    taxNumber: c.taxNumber || null,
    isCustomer: Boolean(c.isCustomer),
    isSupplier: Boolean(c.isSupplier),
    archived: String(c.contactStatus ?? 'ACTIVE') === 'ARCHIVED',
    updatedAt: toDate(c.updatedDateUTC),
  };
}

export function toProviderPurchaseOrder(po: PurchaseOrder): ProviderPurchaseOrder {
  const status = String(po.status ?? '');
  return {
    id: po.purchaseOrderID ?? '',
    number: po.purchaseOrderNumber ?? null,
    reference: po.reference ?? null,
    open: status === 'AUTHORISED',
    providerStatus: status,
    supplier: { id: po.contact?.contactID ?? '', name: po.contact?.name ?? '' },
    lines: (po.lineItems ?? []).map((l) => ({
      description: l.description ?? '',
      quantity: decimal(l.quantity) ?? '0',
      unitPrice: decimal(l.unitAmount) ?? '0',
      itemCode: l.itemCode ?? null,
      accountCode: l.accountCode ?? null,
      lineAmount: decimal(l.lineAmount),
    })),
    currency: po.currencyCode ? String(po.currencyCode) : null,
    issueDate: dateOnly(po.date),
    deliveryDate: dateOnly(po.deliveryDate),
    total: decimal(po.total),
    updatedAt: toDate(po.updatedDateUTC),
  };
}

/** Xero's side of imports, webhook refreshes and the account and tax pickers. */
export function createXeroRecords(deps: XeroClientDeps): ProviderRecords {
  return {
    invoiceStates: (session, ids) => xeroInvoiceStates(deps, session, ids),
    payment: (session, id) => xeroPayment(deps, session, id),
    findDocuments: (session, query) => xeroFindDocuments(deps, session, query),
    async contactsPage(session, { page, modifiedSince, includeArchived }) {
      const body = await callXero(deps, session, 'getContacts', (api, orgId) =>
        api.getContacts(orgId, modifiedSince ?? undefined, undefined, 'UpdatedDateUTC ASC', undefined, page, includeArchived, false, undefined, PAGE_SIZE),
      );
      const items = (body.contacts ?? []).map(toProviderContact);
      return { items, nextPage: items.length < PAGE_SIZE ? null : page + 1 };
    },
    async contact(session, id) {
      try {
        const body = await callXero(deps, session, 'getContact', (api, orgId) => api.getContact(orgId, id));
        const found = body.contacts?.[0];
        return found ? toProviderContact(found) : null;
      } catch (error) {
        if ((error as { status?: number }).status === 404) return null;
        throw error;
      }
    },
    async purchaseOrdersPage(session, { page, modifiedSince, onlyOpen }) {
      const body = await callXero(deps, session, 'getPurchaseOrders', (api, orgId) =>
        api.getPurchaseOrders(orgId, modifiedSince ?? undefined, onlyOpen ? 'AUTHORISED' : undefined, undefined, undefined, 'UpdatedDateUTC ASC', page, PAGE_SIZE),
      );
      const items = (body.purchaseOrders ?? []).map(toProviderPurchaseOrder);
      return { items, nextPage: items.length < PAGE_SIZE ? null : page + 1 };
    },
    async purchaseOrder(session, id) {
      try {
        const body = await callXero(deps, session, 'getPurchaseOrder', (api, orgId) => api.getPurchaseOrder(orgId, id));
        const found = body.purchaseOrders?.[0];
        return found ? toProviderPurchaseOrder(found) : null;
      } catch (error) {
        if ((error as { status?: number }).status === 404) return null;
        throw error;
      }
    },
    async accounts(session) {
      const body = await callXero(deps, session, 'getAccounts', (api, orgId) => api.getAccounts(orgId));
      return (body.accounts ?? [])
        .filter((a) => a.code)
        .map((a) => ({
          code: a.code!,
          name: a.name ?? '',
          type: String(a.type ?? ''),
          status: String(a.status ?? 'ACTIVE') === 'ACTIVE' ? ('active' as const) : ('archived' as const),
          description: a.description ?? null,
        }));
    },
    async taxRates(session) {
      const body = await callXero(deps, session, 'getTaxRates', (api, orgId) => api.getTaxRates(orgId));
      return (body.taxRates ?? []).map((r) => ({
        code: r.taxType ?? '',
        name: r.name ?? '',
        rate: Number(r.effectiveRate ?? 0),
        status: String(r.status ?? 'ACTIVE') === 'ACTIVE' ? ('active' as const) : ('archived' as const),
        appliesToSales: Boolean(r.canApplyToRevenue),
        appliesToPurchases: Boolean(r.canApplyToExpenses),
      }));
    },
  };
}
