// Void and delete of transactions, and what they do to the payments linked to them.
// Voidable (as in QuickBooks' API): Invoice (`?operation=void`, batch `operation: 'void'`) and
// Payment (`?operation=update&include=void`, batch `operation: 'update', optionsData: 'void'`).
// Bills, credit memos and refund receipts are deleted instead.
import { paymentLinks, relink, targetsOf } from './links.ts';
import type { LinkType } from './links.ts';
import { err, round2 } from './qbo-format.ts';
import { isObject } from './refs.ts';
import { table, wholeSecond } from './store.ts';
import type { CompanyState } from './store.ts';
import type { EntityName, EntityRecord, JsonObject } from './types.ts';

export const VOIDABLE = new Set<EntityName>(['Invoice', 'Payment']);
export const DELETABLE = new Set<EntityName>(['Invoice', 'Bill', 'PurchaseOrder', 'Payment', 'CreditMemo', 'RefundReceipt']);

const voidedNote = (note: unknown) => (typeof note === 'string' && note !== '' ? `Voided - ${note}` : 'Voided');

function touch(rec: EntityRecord, nowMs: number, strictlyLater: boolean): void {
  rec.syncToken++;
  rec.updatedMs = Math.max(wholeSecond(nowMs), strictlyLater ? rec.updatedMs + 1000 : rec.updatedMs);
}

/**
 * Takes an invoice out of every payment that applies to it: those lines go, the money stays on
 * the payment as unapplied credit (what QuickBooks does when an invoice with a payment is voided or deleted).
 */
function unlinkPayments(s: CompanyState, type: LinkType, id: string, nowMs: number, strictlyLater: boolean): void {
  for (const p of table(s, 'Payment').values()) {
    if (p.deleted) continue;
    const links = paymentLinks(p.data);
    if (!links.some((l) => l.txnType === type && l.txnId === id)) continue;
    const lines = (p.data.Line as JsonObject[]).filter((l) => !(isObject(l) && Array.isArray(l.LinkedTxn) && isObject(l.LinkedTxn[0]) && l.LinkedTxn[0].TxnType === type && String(l.LinkedTxn[0].TxnId) === id));
    const kept = paymentLinks({ Line: lines });
    const applied = kept.reduce((sum, l) => sum + (l.txnType === 'Invoice' ? l.amount : -l.amount), 0);
    p.data = { ...p.data, Line: lines, UnappliedAmt: round2(Number(p.data.TotalAmt ?? 0) - applied) };
    touch(p, nowMs, strictlyLater);
  }
}

/** Void: the record stays with zero amounts and "Voided" in PrivateNote; linked payments let go of it. */
export function voidRecord(s: CompanyState, entity: EntityName, rec: EntityRecord, nowMs: number, strictlyLater = false): void {
  if (!VOIDABLE.has(entity)) throw err.invalid('operation', `void is not supported for ${entity}; delete it instead`);
  if (rec.voided) throw err.business(`This ${entity} has already been voided.`);
  const before = targetsOf(rec.data);
  if (entity === 'Invoice') {
    unlinkPayments(s, 'Invoice', rec.Id, nowMs, strictlyLater);
    const lines = (Array.isArray(rec.data.Line) ? rec.data.Line : []).map((l) => {
      if (!isObject(l)) return l;
      const dt = String(l.DetailType);
      const detail = isObject(l[dt]) ? { ...(l[dt] as JsonObject), ...('Qty' in (l[dt] as JsonObject) ? { Qty: 0 } : {}) } : l[dt];
      return { ...l, Amount: 0, ...(detail === undefined ? {} : { [dt]: detail }) };
    });
    rec.data = { ...rec.data, Line: lines, TotalAmt: 0, Balance: 0, TxnTaxDetail: { TotalTax: 0 }, PrivateNote: voidedNote(rec.data.PrivateNote) };
    delete rec.data.LinkedTxn;
  } else {
    rec.data = { ...rec.data, Line: [], TotalAmt: 0, UnappliedAmt: 0, PrivateNote: voidedNote(rec.data.PrivateNote) };
  }
  rec.voided = true;
  touch(rec, nowMs, strictlyLater);
  relink(s, before, nowMs, strictlyLater);
}

/** Delete: a tombstone for CDC. A credit memo still used by a payment must be freed first. */
export function deleteRecord(s: CompanyState, entity: EntityName, rec: EntityRecord, nowMs: number, strictlyLater = false): void {
  if (!DELETABLE.has(entity)) throw err.invalid('operation', `delete is not supported for ${entity}; make it inactive with Active=false`);
  if (entity === 'CreditMemo' && Array.isArray(rec.data.LinkedTxn) && rec.data.LinkedTxn.some((l) => isObject(l) && l.TxnType === 'Payment')) {
    // Modelled: the exact wording of Intuit's message is not verified.
    throw err.business('This credit memo has been applied to a payment. Delete or edit the payment before you delete the credit memo.');
  }
  if (entity === 'Invoice') unlinkPayments(s, 'Invoice', rec.Id, nowMs, strictlyLater);
  const before = entity === 'Payment' ? targetsOf(rec.data) : [];
  rec.deleted = true;
  touch(rec, nowMs, strictlyLater);
  relink(s, before, nowMs, strictlyLater);
}
