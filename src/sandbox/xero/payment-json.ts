// Xero-shaped JSON for payments and overpayments.
import { contactSummary } from './invoice-json.ts';
import type { OrgState } from './store.ts';
import type { JsonObject, OverpaymentRecord, PaymentRecord } from './types.ts';
import { dateString, msDate } from './xero-format.ts';

/** A payment as listed inside an invoice or credit note (Xero shows only these fields there). */
export function paymentSummary(p: PaymentRecord): JsonObject {
  return {
    PaymentID: p.PaymentID,
    Date: msDate(p.dateMs),
    Amount: p.Amount,
    Reference: p.Reference,
    CurrencyRate: 1,
    HasAccount: false,
    HasValidationErrors: false,
  };
}

/**
 * A payment as GET /Payments returns it. As at Xero, a refund out of a credit note is shown with
 * its credit note under `Invoice` (Type ACCRECCREDIT, InvoiceID = the CreditNoteID).
 */
export function paymentJson(org: OrgState, p: PaymentRecord): JsonObject {
  const account = org.accounts.find((a) => a.Code === p.AccountCode);
  const target = p.target.kind === 'invoice' ? org.invoices.get(p.target.id) : org.creditNotes.get(p.target.id);
  const number = !target ? '' : 'InvoiceNumber' in target ? target.InvoiceNumber : target.CreditNoteNumber;
  const document: JsonObject = {
    Type: target?.Type ?? (p.target.kind === 'invoice' ? 'ACCREC' : 'ACCRECCREDIT'),
    InvoiceID: p.target.id,
    InvoiceNumber: number,
    Contact: target ? contactSummary(org, target.ContactID) : {},
    CurrencyCode: p.CurrencyCode,
  };
  return {
    PaymentID: p.PaymentID,
    Date: msDate(p.dateMs),
    BankAmount: p.Amount,
    Amount: p.Amount,
    Reference: p.Reference,
    CurrencyRate: 1,
    PaymentType: p.PaymentType,
    Status: p.Status,
    UpdatedDateUTC: msDate(p.updatedMs),
    HasAccount: true,
    IsReconciled: false,
    Account: { AccountID: account?.AccountID ?? '', Code: p.AccountCode, Name: account?.Name ?? '' },
    Invoice: document,
    HasValidationErrors: false,
  };
}

export function overpaymentJson(org: OrgState, o: OverpaymentRecord): JsonObject {
  return {
    OverpaymentID: o.OverpaymentID,
    Type: o.Type,
    Contact: contactSummary(org, o.ContactID),
    DateString: dateString(o.dateMs),
    Date: msDate(o.dateMs),
    Status: o.Status,
    LineAmountTypes: 'NoTax',
    LineItems: o.LineItems.map((l) => ({ Description: l.Description, LineAmount: l.LineAmount, TaxAmount: 0, LineItemID: l.LineItemID, Tracking: [] })),
    SubTotal: o.Total,
    TotalTax: 0,
    Total: o.Total,
    UpdatedDateUTC: msDate(o.updatedMs),
    CurrencyCode: o.CurrencyCode,
    CurrencyRate: 1,
    RemainingCredit: o.RemainingCredit,
    Allocations: [],
    Payments: [],
    HasAttachments: false,
    Reference: o.Reference,
  };
}

/** The bank transaction that created an overpayment, as PUT /BankTransactions answers. */
export function overpaymentTransactionJson(org: OrgState, o: OverpaymentRecord): JsonObject {
  const account = org.accounts.find((a) => a.Code === o.AccountCode);
  return {
    BankTransactionID: o.BankTransactionID,
    OverpaymentID: o.OverpaymentID,
    Type: o.Type,
    Contact: contactSummary(org, o.ContactID),
    BankAccount: { AccountID: account?.AccountID ?? '', Code: o.AccountCode, Name: account?.Name ?? '' },
    IsReconciled: false,
    DateString: dateString(o.dateMs),
    Date: msDate(o.dateMs),
    Reference: o.Reference,
    CurrencyCode: o.CurrencyCode,
    CurrencyRate: 1,
    Status: 'AUTHORISED',
    LineAmountTypes: 'NoTax',
    LineItems: o.LineItems.map((l) => ({ Description: l.Description, LineAmount: l.LineAmount, TaxAmount: 0, LineItemID: l.LineItemID, Tracking: [] })),
    SubTotal: o.Total,
    TotalTax: 0,
    Total: o.Total,
    UpdatedDateUTC: msDate(o.updatedMs),
    HasAttachments: false,
  };
}
