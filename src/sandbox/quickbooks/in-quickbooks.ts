// Test controls for payments made by a user in QuickBooks itself ("payments in"): validated as
// the API validates them, with SyncToken + 1 and LastUpdatedTime strictly later on every record touched.
import { buildData, insert, patchEntity } from './entities.ts';
import { relink, targetsOf } from './links.ts';
import { QboError } from './qbo-format.ts';
import { serialize, wholeSecond } from './store.ts';
import type { CompanyState } from './store.ts';
import type { JsonObject } from './types.ts';

export interface PaymentInQuickBooks {
  customerId: string;
  /** The invoices it pays and how much of each; what is left of `total` stays unapplied (customer credit). */
  lines: { invoiceId: string; amount: number }[];
  /** Credit memos used in the same payment (QuickBooks' way of applying a credit memo). */
  credits?: { creditMemoId: string; amount: number }[];
  /** Default: the sum of the invoice lines less the credits. */
  total?: number;
  date?: string;
  reference?: string;
  depositToAccountId?: string;
}

export function paymentLines(lines: PaymentInQuickBooks['lines'], credits: PaymentInQuickBooks['credits'] = []): JsonObject[] {
  return [
    ...lines.map((l) => ({ Amount: l.amount, LinkedTxn: [{ TxnId: l.invoiceId, TxnType: 'Invoice' }] })),
    ...credits.map((c) => ({ Amount: c.amount, LinkedTxn: [{ TxnId: c.creditMemoId, TxnType: 'CreditMemo' }] })),
  ];
}

const defaultTotal = (p: { lines: PaymentInQuickBooks['lines']; credits?: PaymentInQuickBooks['credits'] }) =>
  Math.round((p.lines.reduce((s, l) => s + l.amount, 0) - (p.credits ?? []).reduce((s, c) => s + c.amount, 0)) * 100) / 100;

const asError = (e: unknown): unknown => (e instanceof QboError ? new Error(`Payment: ${e.message}`) : e);

/** A payment received and applied by a user in QuickBooks. */
export function addPaymentInQuickBooks(s: CompanyState, p: PaymentInQuickBooks, nowMs: number): JsonObject {
  const body: JsonObject = {
    CustomerRef: { value: p.customerId },
    TotalAmt: p.total ?? defaultTotal(p),
    Line: paymentLines(p.lines, p.credits),
    ...(p.date ? { TxnDate: p.date } : {}),
    ...(p.reference ? { PaymentRefNum: p.reference } : {}),
    ...(p.depositToAccountId ? { DepositToAccountRef: { value: p.depositToAccountId } } : {}),
  };
  try {
    const data = buildData(s, 'Payment', body, undefined, nowMs);
    const now = wholeSecond(nowMs);
    const rec = insert(s, 'Payment', data, { createdMs: now, updatedMs: now });
    relink(s, targetsOf(rec.data), nowMs, true);
    return serialize(rec);
  } catch (e) {
    throw asError(e);
  }
}

/** A user moving (re-applying) a payment in QuickBooks: new lines, and optionally a new total. */
export function moveQuickBooksPayment(s: CompanyState, paymentId: string, move: { lines: PaymentInQuickBooks['lines']; credits?: PaymentInQuickBooks['credits']; total?: number }, nowMs: number): JsonObject {
  const patch: JsonObject = { Line: paymentLines(move.lines, move.credits), ...(move.total === undefined ? {} : { TotalAmt: move.total }) };
  try {
    return patchEntity(s, 'Payment', paymentId, patch, nowMs);
  } catch (e) {
    throw asError(e);
  }
}
