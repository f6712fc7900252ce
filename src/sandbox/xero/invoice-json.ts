// Xero-shaped JSON for stored invoices.
import { invoiceAllocations, invoiceBalance, invoicePayments } from './ledger.ts';
import { paymentSummary } from './payment-json.ts';
import type { OrgState } from './store.ts';
import type { InvoiceRecord, JsonObject, LineItemRecord } from './types.ts';
import { dateString, msDate, round2 } from './xero-format.ts';

export const INVOICE_FIELDS: ReadonlySet<string> = new Set([
  'Type', 'InvoiceID', 'InvoiceNumber', 'Reference', 'Contact', 'Date', 'DueDate', 'Status', 'LineAmountTypes', 'SubTotal',
  'TotalTax', 'Total', 'TotalDiscount', 'AmountDue', 'AmountPaid', 'AmountCredited', 'CurrencyCode', 'CurrencyRate',
  'UpdatedDateUTC', 'SentToContact', 'HasAttachments', 'IsDiscounted', 'FullyPaidOnDate', 'BrandingThemeID', 'Url',
  'ExpectedPaymentDate', 'PlannedPaymentDate', 'HasErrors', 'RepeatingInvoiceID',
]);

/** The contact as embedded in a document. */
export function contactSummary(org: OrgState, id: string): JsonObject {
  const c = org.contacts.get(id);
  if (!c) return { ContactID: id };
  return {
    ContactID: c.ContactID,
    ...(c.fields.ContactNumber !== undefined ? { ContactNumber: c.fields.ContactNumber } : {}),
    ContactStatus: c.ContactStatus,
    Name: c.Name,
    EmailAddress: c.fields.EmailAddress ?? '',
    Addresses: [],
    Phones: [],
    ContactGroups: [],
    ContactPersons: [],
    HasValidationErrors: false,
  };
}

export function invoiceJson(org: OrgState, inv: InvoiceRecord, unitdp = 2, summaryOnly = false): JsonObject {
  const balance = invoiceBalance(org, inv);
  const out: JsonObject = {
    Type: inv.Type,
    InvoiceID: inv.InvoiceID,
    InvoiceNumber: inv.InvoiceNumber,
    Reference: inv.Reference,
    Payments: invoicePayments(org, inv.InvoiceID).map(paymentSummary),
    CreditNotes: invoiceAllocations(org, inv.InvoiceID).map((a): JsonObject => {
      const cn = org.creditNotes.get(a.CreditNoteID);
      return {
        CreditNoteID: a.CreditNoteID,
        CreditNoteNumber: cn?.CreditNoteNumber ?? '',
        AppliedAmount: a.Amount,
        DateString: dateString(a.dateMs),
        Date: msDate(a.dateMs),
        Total: cn?.Total ?? a.Amount,
        HasErrors: false,
      };
    }),
    Prepayments: [],
    // The sandbox never allocates overpayments to invoices (Ledgerport does not), so this stays empty.
    Overpayments: [],
    AmountDue: balance.due,
    AmountPaid: balance.paid,
    AmountCredited: balance.credited,
    CurrencyRate: inv.CurrencyRate,
    IsDiscounted: false,
    HasAttachments: false,
    InvoiceAddresses: [],
    HasErrors: false,
    Contact: contactSummary(org, inv.ContactID),
    DateString: dateString(inv.dateMs),
    Date: msDate(inv.dateMs),
    ...(inv.dueDateMs !== undefined ? { DueDateString: dateString(inv.dueDateMs), DueDate: msDate(inv.dueDateMs) } : {}),
    ...(inv.BrandingThemeID ? { BrandingThemeID: inv.BrandingThemeID } : {}),
    Status: inv.Status,
    LineAmountTypes: inv.LineAmountTypes,
    SubTotal: inv.SubTotal,
    TotalTax: inv.TotalTax,
    Total: inv.Total,
    ...(inv.TotalDiscount !== 0 ? { TotalDiscount: inv.TotalDiscount } : {}),
    UpdatedDateUTC: msDate(inv.updatedMs),
    CurrencyCode: inv.CurrencyCode,
    SentToContact: inv.SentToContact,
    ...(inv.Url ? { Url: inv.Url } : {}),
  };
  if (summaryOnly) return out;
  out.LineItems = inv.LineItems.map((l) => lineItemJson(org, l, unitdp));
  return out;
}

export function lineItemJson(org: OrgState, l: LineItemRecord, unitdp = 2): JsonObject {
  return {
    Description: l.Description,
    UnitAmount: unitdp === 4 ? l.UnitAmount : round2(l.UnitAmount),
    TaxType: l.TaxType,
    TaxAmount: l.TaxAmount,
    LineAmount: l.LineAmount,
    ...(l.AccountCode !== undefined ? { AccountCode: l.AccountCode } : {}),
    ...(l.AccountCode !== undefined ? { AccountID: org.accounts.find((a) => a.Code === l.AccountCode)?.AccountID ?? null } : {}),
    ...(l.ItemCode !== undefined ? { ItemCode: l.ItemCode } : {}),
    Tracking: l.Tracking,
    Quantity: l.Quantity,
    ...(l.DiscountRate !== undefined ? { DiscountRate: l.DiscountRate } : {}),
    ...(l.DiscountAmount !== undefined ? { DiscountAmount: l.DiscountAmount } : {}),
    LineItemID: l.LineItemID,
  };
}
