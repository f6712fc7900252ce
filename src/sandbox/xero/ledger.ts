// Money applied to documents: what an invoice still owes or a credit note still holds, and the
// statuses that follow from it (AUTHORISED ⇄ PAID), recomputed whenever a payment or allocation changes.
import type { OrgState } from './store.ts';
import type { CreditNoteRecord, InvoiceRecord, InvoiceStatus } from './types.ts';
import { round2 } from './xero-format.ts';

const dead = (status: InvoiceStatus): boolean => status === 'VOIDED' || status === 'DELETED';

export function invoicePayments(org: OrgState, invoiceId: string) {
  return [...org.payments.values()].filter((p) => p.Status === 'AUTHORISED' && p.target.kind === 'invoice' && p.target.id === invoiceId);
}

export function invoiceAllocations(org: OrgState, invoiceId: string) {
  return [...org.allocations.values()].filter((a) => a.InvoiceID === invoiceId);
}

export function creditNotePayments(org: OrgState, creditNoteId: string) {
  return [...org.payments.values()].filter((p) => p.Status === 'AUTHORISED' && p.target.kind === 'creditnote' && p.target.id === creditNoteId);
}

export function creditNoteAllocations(org: OrgState, creditNoteId: string) {
  return [...org.allocations.values()].filter((a) => a.CreditNoteID === creditNoteId);
}

export interface InvoiceBalance { paid: number; credited: number; due: number }

export function invoiceBalance(org: OrgState, inv: InvoiceRecord): InvoiceBalance {
  const paid = round2(invoicePayments(org, inv.InvoiceID).reduce((s, p) => s + p.Amount, 0));
  const credited = round2(invoiceAllocations(org, inv.InvoiceID).reduce((s, a) => s + a.Amount, 0));
  return { paid, credited, due: dead(inv.Status) ? 0 : round2(inv.Total - paid - credited) };
}

/** What is left of a credit note to allocate or refund. */
export function creditRemaining(org: OrgState, cn: CreditNoteRecord): number {
  if (dead(cn.Status)) return 0;
  const used = creditNoteAllocations(org, cn.CreditNoteID).reduce((s, a) => s + a.Amount, 0)
    + creditNotePayments(org, cn.CreditNoteID).reduce((s, p) => s + p.Amount, 0);
  return round2(cn.Total - used);
}

/** Whether money has been applied to the document (which then cannot be edited, voided or deleted). */
export function hasMoneyApplied(org: OrgState, kind: 'invoice' | 'creditnote', id: string): boolean {
  return kind === 'invoice'
    ? invoicePayments(org, id).length > 0 || invoiceAllocations(org, id).length > 0
    : creditNotePayments(org, id).length > 0 || creditNoteAllocations(org, id).length > 0;
}

/** An AUTHORISED invoice fully paid becomes PAID; a PAID one whose payment is deleted goes back to AUTHORISED. */
export function settleInvoice(org: OrgState, invoiceId: string, now: number): InvoiceRecord | undefined {
  const inv = org.invoices.get(invoiceId);
  if (!inv) return undefined;
  const { paid, due } = invoiceBalance(org, inv);
  let Status = inv.Status;
  if (Status === 'AUTHORISED' && due <= 0) Status = 'PAID';
  else if (Status === 'PAID' && due > 0) Status = 'AUTHORISED';
  const next: InvoiceRecord = { ...inv, AmountPaid: paid, Status, updatedMs: now };
  org.invoices.set(invoiceId, next);
  return next;
}

export function settleCreditNote(org: OrgState, creditNoteId: string, now: number): CreditNoteRecord | undefined {
  const cn = org.creditNotes.get(creditNoteId);
  if (!cn) return undefined;
  const remaining = creditRemaining(org, cn);
  let Status = cn.Status;
  if (Status === 'AUTHORISED' && remaining <= 0) Status = 'PAID';
  else if (Status === 'PAID' && remaining > 0) Status = 'AUTHORISED';
  const next: CreditNoteRecord = { ...cn, Status, updatedMs: now };
  org.creditNotes.set(creditNoteId, next);
  return next;
}

export const EDIT_WITH_MONEY = 'This document cannot be edited as it has a payment or credit note allocated to it.';

/**
 * Xero's status rules for changing an invoice or credit note: nothing changes once money is
 * applied; PAID, VOIDED and DELETED documents are final; DELETED only from DRAFT/SUBMITTED;
 * VOIDED only from AUTHORISED. Returns Xero's refusal, or undefined when the change is allowed.
 */
export function transitionError(label: 'Invoice' | 'Credit Note', from: InvoiceStatus, to: InvoiceStatus, moneyApplied: boolean): string | undefined {
  if (moneyApplied) return EDIT_WITH_MONEY;
  const allowed: readonly InvoiceStatus[] = from === 'AUTHORISED' ? ['AUTHORISED', 'VOIDED']
    : from === 'DRAFT' || from === 'SUBMITTED' ? ['DRAFT', 'SUBMITTED', 'AUTHORISED', 'DELETED'] : [];
  return allowed.includes(to) ? undefined : `${label} not of valid status for modification`;
}
