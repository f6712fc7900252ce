import type { CreditNoteSource, PaymentSource, RefundSource } from '../../ingest/ops-envelope.ts';
import type { DocumentToPush, ProviderMessage } from '../types.ts';

/** QuickBooks keeps at most 21 characters of a payment's reference (PaymentRefNum). */
const REF_NUM_MAX = 21;
const amount = (value: string) => Math.round(Number(value) * 100) / 100;

export const bankAccountOf = (doc: DocumentToPush): string | null =>
  ((doc.source as { bank_account_code?: string }).bank_account_code ?? doc.defaults.payments_bank_account) || null;

/** The platform's allocations as QuickBooks invoice ids; a reference to an invoice not at QuickBooks refuses the document. */
export function invoiceLinks(doc: DocumentToPush, allocations: readonly { invoice_id: string; amount: string }[]): { lines: { invoiceId: string; amount: number }[] } | { errors: ProviderMessage[] } {
  const errors: ProviderMessage[] = [];
  const lines = allocations.map((a) => {
    const related = doc.related[a.invoice_id];
    if (!related) errors.push({ field: 'allocations', message: `invoice "${a.invoice_id}" is not in QuickBooks yet` });
    return { invoiceId: related?.providerId ?? '', amount: amount(a.amount) };
  });
  return errors.length > 0 ? { errors } : { lines };
}

const linkLine = (txnId: string, txnType: 'Invoice' | 'CreditMemo', value: number) => ({ Amount: value, LinkedTxn: [{ TxnId: txnId, TxnType: txnType }] });

/**
 * A Payment: one line per invoice it pays; what is not allocated stays on it as UnappliedAmt
 * (customer credit). Without a bank account QuickBooks puts it in Undeposited Funds.
 */
export function toQuickBooksPayment(doc: DocumentToPush, customerId: string, lines: readonly { invoiceId: string; amount: number }[]): Record<string, unknown> {
  const source = doc.source as unknown as PaymentSource;
  const bank = bankAccountOf(doc);
  return {
    CustomerRef: { value: customerId },
    TotalAmt: amount(source.amount),
    TxnDate: source.date,
    CurrencyRef: { value: source.currency },
    ...(source.reference ? { PaymentRefNum: source.reference.slice(0, REF_NUM_MAX) } : {}),
    ...(bank ? { DepositToAccountRef: { value: bank } } : {}),
    PrivateNote: `Ledgerport payment ${source.id}`,
    Line: lines.map((l) => linkLine(l.invoiceId, 'Invoice', l.amount)),
  };
}

/** Money paid back to the customer of a credit memo: one item line for the amount, paid from the bank account. */
export function toQuickBooksRefund(doc: DocumentToPush, customerId: string, bankAccount: string, itemId: string, creditMemoId: string): Record<string, unknown> {
  const source = doc.source as unknown as RefundSource;
  const value = amount(source.amount);
  return {
    CustomerRef: { value: customerId },
    TxnDate: source.date,
    CurrencyRef: { value: source.currency },
    DepositToAccountRef: { value: bankAccount },
    ...(source.reference ? { PaymentRefNum: source.reference.slice(0, REF_NUM_MAX) } : {}),
    PrivateNote: `Refund of credit memo ${creditMemoId} (Ledgerport refund ${source.id})`,
    GlobalTaxCalculation: 'NotApplicable',
    Line: [{ DetailType: 'SalesItemLineDetail', Amount: value, Description: `Refund of credit memo ${creditMemoId}`, SalesItemLineDetail: { ItemRef: { value: itemId }, Qty: 1, UnitPrice: value } }],
  };
}

/** What a credit note is applied to: explicit allocations, or the whole credit note to one invoice (amount from the created CreditMemo). */
export function creditApplications(doc: DocumentToPush): { lines: { invoiceId: string; amount: number | null }[] } | { errors: ProviderMessage[] } {
  const source = doc.source as unknown as CreditNoteSource;
  if (source.allocations && source.allocations.length > 0) return invoiceLinks(doc, source.allocations);
  if (!source.invoice_id) return { lines: [] };
  const related = doc.related[source.invoice_id];
  if (!related) return { errors: [{ field: 'invoice_id', message: `invoice "${source.invoice_id}" is not in QuickBooks yet` }] };
  return { lines: [{ invoiceId: related.providerId, amount: null }] };
}

/**
 * QuickBooks applies a credit memo to invoices with a Payment of TotalAmt 0 whose lines link the
 * invoices and the credit memo (the credit used pays the invoices).
 */
export function creditApplicationPayment(creditMemo: { Id: string; TotalAmt?: number; TxnDate?: string; CustomerRef?: { value: string }; DocNumber?: string }, lines: readonly { invoiceId: string; amount: number | null }[]): Record<string, unknown> {
  const resolved = lines.map((l) => ({ invoiceId: l.invoiceId, amount: l.amount ?? Number(creditMemo.TotalAmt ?? 0) }));
  const credit = Math.round(resolved.reduce((s, l) => s + l.amount, 0) * 100) / 100;
  return {
    CustomerRef: { value: creditMemo.CustomerRef?.value ?? '' },
    TotalAmt: 0,
    ...(creditMemo.TxnDate ? { TxnDate: creditMemo.TxnDate } : {}),
    PrivateNote: `Credit memo ${creditMemo.DocNumber ?? creditMemo.Id} applied by Ledgerport`,
    Line: [...resolved.map((l) => linkLine(l.invoiceId, 'Invoice', l.amount)), linkLine(creditMemo.Id, 'CreditMemo', credit)],
  };
}
