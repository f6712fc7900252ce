// How Payments tie invoices and credit memos together. An invoice's Balance (and a credit memo's
// RemainingCredit) is never stored on its own: it is TotalAmt less what live payments apply to it,
// so creating, moving, voiding or deleting a payment always gives it back exactly.
import { err, round2 } from './qbo-format.ts';
import { isObject } from './refs.ts';
import { table, wholeSecond } from './store.ts';
import type { CompanyState } from './store.ts';
import type { JsonObject } from './types.ts';

export type LinkType = 'Invoice' | 'CreditMemo';
export interface PaymentLink { amount: number; txnId: string; txnType: string }
export interface LinkTarget { type: LinkType; id: string }

/** A payment's lines as links (`Line[].LinkedTxn[0]`), as stored. */
export function paymentLinks(data: JsonObject): PaymentLink[] {
  const lines = Array.isArray(data.Line) ? data.Line : [];
  return lines.flatMap((l) => {
    if (!isObject(l) || !Array.isArray(l.LinkedTxn) || !isObject(l.LinkedTxn[0])) return [];
    const t = l.LinkedTxn[0];
    return [{ amount: Number(l.Amount ?? 0), txnId: String(t.TxnId), txnType: String(t.TxnType) }];
  });
}

export const targetsOf = (data: JsonObject): LinkTarget[] =>
  paymentLinks(data).filter((l) => l.txnType === 'Invoice' || l.txnType === 'CreditMemo').map((l) => ({ type: l.txnType as LinkType, id: l.txnId }));

/** What live payments (other than `exceptPaymentId`) apply to one invoice or credit memo. */
export function appliedTo(s: CompanyState, type: LinkType, id: string, exceptPaymentId?: string): { amount: number; payments: string[] } {
  let amount = 0;
  const payments: string[] = [];
  for (const p of table(s, 'Payment').values()) {
    if (p.deleted || p.Id === exceptPaymentId) continue;
    const mine = paymentLinks(p.data).filter((l) => l.txnType === type && l.txnId === id);
    if (mine.length === 0) continue;
    amount += mine.reduce((sum, l) => sum + l.amount, 0);
    payments.push(p.Id);
  }
  return { amount: round2(amount), payments };
}

/**
 * Sets Balance, RemainingCredit and the Payment entries of LinkedTxn on an invoice or credit memo
 * being written (or re-linked). A total below what is already applied is refused.
 */
export function applyLinks(s: CompanyState, type: LinkType, data: JsonObject, selfId: string | undefined): void {
  const { amount, payments } = selfId ? appliedTo(s, type, selfId) : { amount: 0, payments: [] };
  const total = Number(data.TotalAmt ?? 0);
  if (amount > total + 0.005) {
    throw err.business(`The ${type === 'Invoice' ? 'invoice' : 'credit memo'} total (${total.toFixed(2)}) can't be less than the payments applied to it (${amount.toFixed(2)}). Remove or reduce the payments first.`, 'TotalAmt');
  }
  data.Balance = round2(total - amount);
  if (type === 'CreditMemo') data.RemainingCredit = data.Balance;
  const others = (Array.isArray(data.LinkedTxn) ? data.LinkedTxn : []).filter((l) => !(isObject(l) && l.TxnType === 'Payment'));
  const linked = [...others, ...payments.map((p) => ({ TxnId: p, TxnType: 'Payment' }))];
  if (linked.length > 0) data.LinkedTxn = linked;
  else delete data.LinkedTxn;
}

/**
 * After a payment changed: every invoice and credit memo it touched (before or after) gets its
 * Balance and links recomputed; a changed record gets SyncToken + 1 and a new LastUpdatedTime,
 * as QuickBooks does (so CDC and webhooks report the invoice too). `strictlyLater`: changes made
 * "in QuickBooks" move LastUpdatedTime at least a second on.
 */
export function relink(s: CompanyState, targets: readonly LinkTarget[], nowMs: number, strictlyLater = false): void {
  const seen = new Set<string>();
  for (const t of targets) {
    const key = `${t.type}:${t.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const rec = table(s, t.type).get(t.id);
    if (!rec || rec.deleted) continue;
    const data: JsonObject = { ...rec.data };
    applyLinksLenient(s, t.type, data, rec.Id);
    if (JSON.stringify([data.Balance, data.LinkedTxn]) === JSON.stringify([rec.data.Balance, rec.data.LinkedTxn])) continue;
    rec.data = data;
    rec.syncToken++;
    rec.updatedMs = Math.max(wholeSecond(nowMs), strictlyLater ? rec.updatedMs + 1000 : rec.updatedMs);
  }
}

function applyLinksLenient(s: CompanyState, type: LinkType, data: JsonObject, id: string): void {
  try {
    applyLinks(s, type, data, id);
  } catch {
    // Only reachable for a voided record (total 0) still linked; its balance stays 0.
    data.Balance = 0;
  }
}
