import type { PaymentChanges, ProviderInvoiceState, ProviderPayment, ProviderRecords, ProviderSession } from '../types.ts';
import { callQuickBooks, qboLiteral, query, type QuickBooksClientDeps } from './client.ts';

interface QboLinked { TxnId: string; TxnType: string }
interface QboInvoice { Id: string; TotalAmt?: number; Balance?: number; PrivateNote?: string; LinkedTxn?: QboLinked[] }
interface QboPayment {
  Id: string;
  TxnDate?: string;
  TotalAmt?: number;
  UnappliedAmt?: number;
  PaymentRefNum?: string;
  CurrencyRef?: { value: string };
  Line?: { Amount?: number; LinkedTxn?: QboLinked[] }[];
  MetaData?: { LastUpdatedTime?: string };
}

const money = (n: number | undefined) => (n ?? 0).toFixed(2);
const IN_CHUNK = 30;

function toPayment(p: QboPayment): ProviderPayment {
  return {
    providerId: p.Id,
    date: p.TxnDate ?? '',
    amount: money(p.TotalAmt),
    currency: p.CurrencyRef?.value ?? null,
    reference: p.PaymentRefNum ?? null,
    // One Payment may be applied to several invoices: one allocation per invoice line.
    allocations: (p.Line ?? []).flatMap((line) => (line.LinkedTxn ?? []).filter((t) => t.TxnType === 'Invoice').map((t) => ({ providerInvoiceId: t.TxnId, amount: money(line.Amount) }))),
    unapplied: money(p.UnappliedAmt),
    updatedAt: p.MetaData?.LastUpdatedTime ? new Date(p.MetaData.LastUpdatedTime) : null,
  };
}

const idList = (ids: readonly string[]) => ids.map(qboLiteral).join(', ');

/**
 * Payments in for QuickBooks: invoices by Id (Balance, TotalAmt and the Payments linked to
 * them), then those Payments by Id, whose lines name every invoice each one is applied to.
 */
export async function quickBooksInvoiceStates(deps: QuickBooksClientDeps, session: ProviderSession, ids: readonly string[]): Promise<ProviderInvoiceState[]> {
  const invoices: QboInvoice[] = [];
  for (let i = 0; i < ids.length; i += IN_CHUNK) {
    invoices.push(...(await query<QboInvoice>(deps, session, 'Invoice', `select * from Invoice where Id in (${idList(ids.slice(i, i + IN_CHUNK))})`)));
  }
  const paymentIds = [...new Set(invoices.flatMap((inv) => (inv.LinkedTxn ?? []).filter((t) => t.TxnType === 'Payment').map((t) => t.TxnId)))];
  const payments = new Map<string, ProviderPayment>();
  for (let i = 0; i < paymentIds.length; i += IN_CHUNK) {
    for (const p of await query<QboPayment>(deps, session, 'Payment', `select * from Payment where Id in (${idList(paymentIds.slice(i, i + IN_CHUNK))})`)) payments.set(p.Id, toPayment(p));
  }
  return invoices.map((inv) => {
    const total = inv.TotalAmt ?? 0;
    const balance = inv.Balance ?? 0;
    const voided = /voided/i.test(inv.PrivateNote ?? '') && total === 0;
    return {
      providerId: inv.Id,
      providerStatus: voided ? 'Voided' : balance === 0 && total > 0 ? 'Paid' : 'Open',
      total: money(total),
      amountPaid: money(total - balance),
      amountDue: money(balance),
      payments: (inv.LinkedTxn ?? []).filter((t) => t.TxnType === 'Payment').flatMap((t) => payments.get(t.TxnId) ?? []),
    };
  });
}

export async function quickBooksPayment(deps: QuickBooksClientDeps, session: ProviderSession, id: string): Promise<ProviderPayment | null> {
  try {
    const body = await callQuickBooks<{ Payment?: QboPayment }>(deps, session, 'get Payment', { method: 'GET', path: `payment/${encodeURIComponent(id)}` });
    return body.Payment ? toPayment(body.Payment) : null;
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 404 || status === 400) return null;
    throw error;
  }
}

/** QuickBooks answers at most this many changes per entity; more wait for the next call. */
const CDC_MAX_PER_ENTITY = 1000;

type CdcRecord = (QboInvoice | QboPayment) & { status?: string; MetaData?: { LastUpdatedTime?: string } };

/**
 * Change data capture for Invoice and Payment since a time (QuickBooks keeps 30 days): the
 * changed invoices, the invoices of changed payments, and the deleted payments (tombstones
 * carry only their Id). The backstop for a webhook that never arrived.
 */
export async function quickBooksPaymentChanges(deps: QuickBooksClientDeps, session: ProviderSession, since: Date, now: Date): Promise<PaymentChanges> {
  const body = await callQuickBooks<{ CDCResponse?: { QueryResponse?: Record<string, unknown>[] }[] }>(deps, session, 'cdc Invoice,Payment', {
    method: 'GET',
    path: 'cdc',
    query: { entities: 'Invoice,Payment', changedSince: since.toISOString() },
  });
  const responses = body.CDCResponse?.[0]?.QueryResponse ?? [];
  const list = (entity: 'Invoice' | 'Payment') => responses.flatMap((r) => (r[entity] as CdcRecord[] | undefined) ?? []);
  const invoices = list('Invoice');
  const payments = list('Payment');
  const invoiceIds = new Set<string>();
  const deletedPaymentIds: string[] = [];
  for (const inv of invoices) if (inv.status !== 'Deleted') invoiceIds.add(inv.Id);
  for (const p of payments) {
    if (p.status === 'Deleted') deletedPaymentIds.push(p.Id);
    else for (const a of toPayment(p as QboPayment).allocations) invoiceIds.add(a.providerInvoiceId);
  }
  // A list cut at the limit goes on from its newest change (oldest first), the earliest of those.
  const cut = [invoices, payments].filter((l) => l.length >= CDC_MAX_PER_ENTITY).map((l) => Date.parse(l.at(-1)!.MetaData?.LastUpdatedTime ?? ''));
  const resumeAt = cut.filter(Number.isFinite).sort((a, b) => a - b)[0];
  return { invoiceIds: [...invoiceIds], deletedPaymentIds, next: resumeAt === undefined ? now : new Date(resumeAt), more: resumeAt !== undefined };
}

/** The "payments in" half of ProviderRecords for QuickBooks. */
export function createPaymentsIn(deps: QuickBooksClientDeps, now: () => Date = () => new Date()): Pick<ProviderRecords, 'invoiceStates' | 'payment' | 'paymentChanges'> {
  return {
    invoiceStates: (session, ids) => quickBooksInvoiceStates(deps, session, ids),
    payment: (session, id) => quickBooksPayment(deps, session, id),
    paymentChanges: (session, since) => quickBooksPaymentChanges(deps, session, since, now()),
  };
}
