// Credit notes with Xero's rules: lines and totals as for invoices, numbering CN-0001…, the same
// status rules, and allocations to invoices of the same contact (≤ remaining credit, ≤ amount due).
import { randomUUID } from 'node:crypto';
import type { ItemResult } from './batch.ts';
import { flagContact } from './contacts.ts';
import { buildLines, num, resolveContact, str } from './documents.ts';
import { computeTotals } from './invoice-calc.ts';
import { contactSummary, lineItemJson } from './invoice-json.ts';
import {
  creditNoteAllocations, creditNotePayments, creditRemaining, hasMoneyApplied, invoiceBalance, settleCreditNote, settleInvoice, transitionError,
} from './ledger.ts';
import { paymentSummary } from './payment-json.ts';
import type { OrgState } from './store.ts';
import type { AllocationRecord, CreditNoteRecord, CreditNoteType, InvoiceStatus, JsonObject, LineAmountTypes, LineItemRecord } from './types.ts';
import { dateString, msDate, parseXeroDate, round2, startOfDay } from './xero-format.ts';

const STATUSES: readonly string[] = ['DRAFT', 'SUBMITTED', 'AUTHORISED', 'PAID', 'VOIDED', 'DELETED'];
const NEW_STATUSES: readonly string[] = ['DRAFT', 'SUBMITTED', 'AUTHORISED'];

export const CREDIT_NOTE_FIELDS: ReadonlySet<string> = new Set([
  'Type', 'CreditNoteID', 'CreditNoteNumber', 'Reference', 'Contact', 'Date', 'Status', 'LineAmountTypes', 'SubTotal', 'TotalTax',
  'Total', 'RemainingCredit', 'CurrencyCode', 'UpdatedDateUTC',
]);

export function findCreditNoteByNumber(org: OrgState, number: string, exceptId?: string): CreditNoteRecord | undefined {
  const n = number.trim().toLowerCase();
  for (const cn of org.creditNotes.values()) if (cn.CreditNoteID !== exceptId && cn.CreditNoteNumber.toLowerCase() === n) return cn;
  return undefined;
}

export function creditNoteJson(org: OrgState, cn: CreditNoteRecord, unitdp = 2): JsonObject {
  return {
    Type: cn.Type,
    CreditNoteID: cn.CreditNoteID,
    CreditNoteNumber: cn.CreditNoteNumber,
    Reference: cn.Reference,
    Contact: contactSummary(org, cn.ContactID),
    DateString: dateString(cn.dateMs),
    Date: msDate(cn.dateMs),
    ...(cn.dueDateMs !== undefined ? { DueDateString: dateString(cn.dueDateMs), DueDate: msDate(cn.dueDateMs) } : {}),
    Status: cn.Status,
    LineAmountTypes: cn.LineAmountTypes,
    LineItems: cn.LineItems.map((l) => lineItemJson(org, l, unitdp)),
    SubTotal: cn.SubTotal,
    TotalTax: cn.TotalTax,
    Total: cn.Total,
    UpdatedDateUTC: msDate(cn.updatedMs),
    CurrencyCode: cn.CurrencyCode,
    CurrencyRate: cn.CurrencyRate,
    RemainingCredit: creditRemaining(org, cn),
    Allocations: creditNoteAllocations(org, cn.CreditNoteID).map((a) => allocationJson(org, a)),
    Payments: creditNotePayments(org, cn.CreditNoteID).map(paymentSummary),
    SentToContact: cn.SentToContact,
    HasAttachments: false,
    HasErrors: false,
  };
}

export function allocationJson(org: OrgState, a: AllocationRecord): JsonObject {
  const inv = org.invoices.get(a.InvoiceID);
  return {
    AllocationID: a.AllocationID,
    Amount: a.Amount,
    Date: msDate(a.dateMs),
    Invoice: { InvoiceID: a.InvoiceID, InvoiceNumber: inv?.InvoiceNumber ?? '', Payments: [], CreditNotes: [], Prepayments: [], Overpayments: [], HasErrors: false },
    IsDeleted: false,
  };
}

/** Validate `input` (creating, or updating `existing`) and save it when valid. */
export function upsertCreditNote(org: OrgState, input: JsonObject, existing: CreditNoteRecord | undefined, o: { unitdp: number; now: number }): ItemResult {
  const errors: string[] = [];
  const echo = { ...input };
  const type = (existing?.Type ?? str(input.Type)) as CreditNoteType | undefined;
  if (type !== 'ACCRECCREDIT' && type !== 'ACCPAYCREDIT') return { ok: false, errors: [type ? `The Type '${type}' is not valid for a credit note.` : 'The Credit Note Type must be specified.'], echo };
  const status = (str(input.Status) ?? existing?.Status ?? 'DRAFT') as InvoiceStatus;
  if (!STATUSES.includes(status)) errors.push(`Credit Note Status '${status}' is not valid.`);
  else if (!existing && !NEW_STATUSES.includes(status)) errors.push(`A credit note cannot be created with status ${status}.`);
  if (existing) {
    const refused = transitionError('Credit Note', existing.Status, status, hasMoneyApplied(org, 'creditnote', existing.CreditNoteID));
    if (refused) return { ok: false, errors: [refused], echo };
  }
  const contact = resolveContact(org, input.Contact, existing, o.now, errors);
  const lat = (str(input.LineAmountTypes) ?? existing?.LineAmountTypes ?? 'Exclusive') as LineAmountTypes;
  const dateMs = input.Date === undefined || input.Date === null ? (existing?.dateMs ?? startOfDay(o.now)) : parseXeroDate(input.Date);
  if (dateMs === null) errors.push(`The Date '${String(input.Date)}' is not a valid date.`);
  const dueDateMs = input.DueDate !== undefined && input.DueDate !== null ? (parseXeroDate(input.DueDate) ?? undefined) : existing?.dueDateMs;
  const currency = str(input.CurrencyCode) ?? existing?.CurrencyCode ?? org.org.BaseCurrency;
  if (currency !== org.org.BaseCurrency) errors.push(`Organisation is not subscribed to currency ${currency}`);
  const side = type === 'ACCRECCREDIT' ? 'ACCREC' : 'ACCPAY';
  const unitdp = o.unitdp === 4 ? 4 : 2;
  const lines: (LineItemRecord & { discount: number })[] = Array.isArray(input.LineItems)
    ? buildLines(org, input.LineItems, side, status !== 'DRAFT', lat, unitdp, existing?.LineItems ?? [], errors)
    : (existing?.LineItems ?? []).map((l) => ({ ...l, discount: 0 }));
  if (lines.length === 0 && (status === 'SUBMITTED' || status === 'AUTHORISED')) errors.push('At least one line item must be specified for an approved credit note.');
  const totals = computeTotals(lines, lat);
  let number = str(input.CreditNoteNumber) ?? existing?.CreditNoteNumber;
  if (number && findCreditNoteByNumber(org, number, existing?.CreditNoteID)) errors.push('Credit Note # must be unique.');
  if (errors.length > 0 || !contact || dateMs === null) return { ok: false, errors, echo };
  if (!number) {
    do number = `CN-${String(org.nextCreditNoteNumber++).padStart(4, '0')}`; while (findCreditNoteByNumber(org, number));
  }
  const record: CreditNoteRecord = {
    CreditNoteID: existing?.CreditNoteID ?? randomUUID(), Type: type, CreditNoteNumber: number, Reference: str(input.Reference) ?? existing?.Reference ?? '',
    ContactID: contact.ContactID, dateMs, ...(dueDateMs !== undefined ? { dueDateMs } : {}), Status: status, LineAmountTypes: lat,
    LineItems: lines.map(({ discount: _d, ...l }) => l), ...totals, CurrencyCode: currency, CurrencyRate: 1,
    SentToContact: typeof input.SentToContact === 'boolean' ? input.SentToContact : (existing?.SentToContact ?? false), updatedMs: o.now,
  };
  org.creditNotes.set(record.CreditNoteID, record);
  flagContact(org, contact.ContactID, type === 'ACCRECCREDIT' ? 'IsCustomer' : 'IsSupplier', o.now);
  return { ok: true, out: creditNoteJson(org, record, unitdp) };
}

/** One element of PUT /CreditNotes/{id}/Allocations: part of the credit applied to an invoice. */
export function allocateCreditNote(org: OrgState, cn: CreditNoteRecord, input: JsonObject, now: number): ItemResult {
  const echo = { ...input };
  const errors: string[] = [];
  const invoiceIn = input.Invoice && typeof input.Invoice === 'object' ? (input.Invoice as JsonObject) : undefined;
  const inv = str(invoiceIn?.InvoiceID) ? org.invoices.get(String(invoiceIn?.InvoiceID).toLowerCase()) : undefined;
  const amount = round2(num(input.Amount) ?? 0);
  const dateMs = input.Date === undefined ? startOfDay(now) : parseXeroDate(input.Date);
  if (!inv) return { ok: false, errors: ['Invoice could not be found.'], echo };
  if (dateMs === null) errors.push(`The Date '${String(input.Date)}' is not a valid date.`);
  if (amount <= 0) errors.push('The allocation amount must be greater than zero.');
  if (cn.Status !== 'AUTHORISED') errors.push('Credit Note must be AUTHORISED before it can be allocated.');
  if ((cn.Type === 'ACCRECCREDIT') !== (inv.Type === 'ACCREC')) errors.push('Credit Note cannot be allocated to an incorrect invoice type');
  if (cn.ContactID !== inv.ContactID) errors.push('The Credit Note and the Invoice must be for the same contact.');
  if (inv.Status === 'PAID') errors.push('The invoice you are trying to allocate to has already been paid off');
  else if (inv.Status !== 'AUTHORISED') errors.push('Invoice not of valid status for allocation.');
  if (amount > creditRemaining(org, cn)) errors.push('Credit Note cannot be allocated as amount is greater than amount outstanding');
  else if (inv.Status === 'AUTHORISED' && amount > invoiceBalance(org, inv).due) errors.push('The amount allocated is greater than the amount due on the invoice');
  if (errors.length > 0 || dateMs === null) return { ok: false, errors, echo };
  const record: AllocationRecord = { AllocationID: randomUUID(), CreditNoteID: cn.CreditNoteID, InvoiceID: inv.InvoiceID, Amount: amount, dateMs };
  org.allocations.set(record.AllocationID, record);
  settleInvoice(org, inv.InvoiceID, now);
  settleCreditNote(org, cn.CreditNoteID, now);
  return { ok: true, out: { ...allocationJson(org, record), CreditNote: { CreditNoteID: cn.CreditNoteID, CreditNoteNumber: cn.CreditNoteNumber } } };
}
