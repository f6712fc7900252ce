// Payments in: invoices' amounts and the payments applied to them, read back from Xero.
import type { Invoice, Payment } from 'xero-node';
import type { ProviderInvoiceState, ProviderPayment, ProviderSession } from '../types.ts';
import { decimalString } from './batch-common.ts';
import { callXero, type XeroClientDeps } from './client.ts';

// Keeps the IDs query (and its URL) well within what Xero accepts.
const IDS_PER_CALL = 40;

const toDate = (value: unknown): Date | null => {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value !== 'string') return null;
  const ms = /\/Date\((-?\d+)/.exec(value)?.[1];
  const date = ms ? new Date(Number(ms)) : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
};
const dateOnly = (value: unknown): string => toDate(value)?.toISOString().slice(0, 10) ?? '';

/**
 * Each Xero payment applies to exactly one invoice, so its allocations name that invoice only.
 * (Xero batch payments are several payments sharing a BatchPaymentID; Ledgerport makes none and
 * reads each of their payments as its own.) Credit notes allocated to the invoice are not
 * payments: they show in amountDue, not in `payments`.
 */
function invoicePayment(inv: Invoice, p: Payment): ProviderPayment {
  const amount = decimalString(p.amount) ?? '0.00';
  return {
    providerId: p.paymentID ?? '',
    date: dateOnly(p.date),
    amount,
    currency: inv.currencyCode ? String(inv.currencyCode) : null,
    reference: p.reference || null,
    allocations: [{ providerInvoiceId: inv.invoiceID ?? '', amount }],
    unapplied: '0.00',
    updatedAt: toDate(p.updatedDateUTC),
  };
}

export async function xeroInvoiceStates(deps: XeroClientDeps, session: ProviderSession, ids: readonly string[]): Promise<ProviderInvoiceState[]> {
  const states: ProviderInvoiceState[] = [];
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += IDS_PER_CALL) {
    const chunk = unique.slice(i, i + IDS_PER_CALL);
    const body = await callXero(deps, session, 'getInvoices', (api, orgId) => api.getInvoices(orgId, undefined, undefined, undefined, chunk));
    for (const inv of body.invoices ?? []) {
      if (!inv.invoiceID) continue;
      states.push({
        providerId: inv.invoiceID,
        providerStatus: String(inv.status ?? ''),
        total: decimalString(inv.total) ?? '0.00',
        amountPaid: decimalString(inv.amountPaid) ?? '0.00',
        amountDue: decimalString(inv.amountDue) ?? '0.00',
        payments: (inv.payments ?? []).filter((p) => p.paymentID).map((p) => invoicePayment(inv, p)),
      });
    }
  }
  return states;
}

/** One payment; null when Xero does not have it or it was deleted. A refund (on a credit note) has no invoice allocations. */
export async function xeroPayment(deps: XeroClientDeps, session: ProviderSession, id: string): Promise<ProviderPayment | null> {
  let found: Payment | undefined;
  try {
    found = (await callXero(deps, session, 'getPayment', (api, orgId) => api.getPayment(orgId, id))).payments?.[0];
  } catch (error) {
    if ((error as { status?: number }).status === 404) return null;
    throw error;
  }
  if (!found?.paymentID || String(found.status ?? '') === 'DELETED') return null;
  const amount = decimalString(found.amount) ?? '0.00';
  const document = found.invoice;
  const onInvoice = document?.invoiceID && !String(document.type ?? '').endsWith('CREDIT');
  return {
    providerId: found.paymentID,
    date: dateOnly(found.date),
    amount,
    currency: document?.currencyCode ? String(document.currencyCode) : null,
    reference: found.reference || null,
    allocations: onInvoice ? [{ providerInvoiceId: document.invoiceID!, amount }] : [],
    unapplied: '0.00',
    updatedAt: toDate(found.updatedDateUTC),
  };
}
