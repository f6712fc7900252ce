// Payments with Xero's rules: one payment applies to one invoice (or pays a refund out of a credit
// note), never more than is outstanding, through a bank account (or one with payments enabled).
// Payments cannot be changed, only deleted; overpayments come from RECEIVE-OVERPAYMENT bank transactions.
import { randomUUID } from 'node:crypto';
import type { ItemResult } from './batch.ts';
import { num, resolveContact, str } from './documents.ts';
import { creditRemaining, invoiceBalance, settleCreditNote, settleInvoice } from './ledger.ts';
import { overpaymentTransactionJson, paymentJson } from './payment-json.ts';
import type { OrgState } from './store.ts';
import type { Account, JsonObject, OverpaymentRecord, PaymentRecord } from './types.ts';
import { parseXeroDate, round2 } from './xero-format.ts';

export const EXCEEDS_OUTSTANDING = 'Payment amount exceeds the amount outstanding on this document';

const obj = (v: unknown): JsonObject | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : undefined);

/** The account money moves through: a BANK account, or any account with EnablePaymentsToAccount. */
function paymentAccount(org: OrgState, input: unknown, errors: string[]): Account | undefined {
  const a = obj(input);
  const code = str(a?.Code);
  const id = str(a?.AccountID)?.toLowerCase();
  if (!code && !id) { errors.push('An Account must be specified for the payment.'); return undefined; }
  const account = org.accounts.find((x) => (code !== undefined ? x.Code.toLowerCase() === code.toLowerCase() : x.AccountID === id));
  if (!account || account.Status !== 'ACTIVE') { errors.push(`Account ${code ?? id} could not be found.`); return undefined; }
  if (account.Type !== 'BANK' && !account.EnablePaymentsToAccount) { errors.push('Account type is invalid for making a payment to/from'); return undefined; }
  return account;
}

function amountAndDate(input: JsonObject, errors: string[]): { amount: number; dateMs: number | null } {
  const amount = num(input.Amount);
  if (amount === undefined) errors.push('Payment amount must be specified.');
  else if (amount <= 0) errors.push('Payment amount must be greater than zero.');
  const dateMs = input.Date === undefined ? null : parseXeroDate(input.Date);
  if (input.Date === undefined) errors.push('Payment Date must be specified.');
  else if (dateMs === null) errors.push(`The Date '${String(input.Date)}' is not a valid date.`);
  return { amount: round2(amount ?? 0), dateMs };
}

/** Validate one element of PUT /Payments and apply it. */
export function createPayment(org: OrgState, input: JsonObject, now: number): ItemResult {
  const echo = { ...input };
  const errors: string[] = [];
  const account = paymentAccount(org, input.Account, errors);
  const { amount, dateMs } = amountAndDate(input, errors);
  const invoiceIn = obj(input.Invoice);
  const creditIn = obj(input.CreditNote);
  let target: PaymentRecord['target'] | undefined;
  let type: PaymentRecord['PaymentType'] = 'ACCRECPAYMENT';
  let currency = org.org.BaseCurrency;
  if (invoiceIn || str(input.InvoiceNumber)) {
    const id = str(invoiceIn?.InvoiceID)?.toLowerCase();
    const number = (str(invoiceIn?.InvoiceNumber) ?? str(input.InvoiceNumber))?.toLowerCase();
    const inv = id ? org.invoices.get(id) : [...org.invoices.values()].find((i) => i.InvoiceNumber.toLowerCase() === number);
    if (!inv) errors.push('Invoice could not be found.');
    else if (inv.Status !== 'AUTHORISED') errors.push('Invoice not of valid status for payments.');
    else if (errors.length === 0 && amount > invoiceBalance(org, inv).due) errors.push(EXCEEDS_OUTSTANDING);
    if (inv) { target = { kind: 'invoice', id: inv.InvoiceID }; type = inv.Type === 'ACCREC' ? 'ACCRECPAYMENT' : 'ACCPAYPAYMENT'; currency = inv.CurrencyCode; }
  } else if (creditIn || str(input.CreditNoteNumber)) {
    // A payment on a credit note is a refund: money paid back out of the credit.
    const id = str(creditIn?.CreditNoteID)?.toLowerCase();
    const number = (str(creditIn?.CreditNoteNumber) ?? str(input.CreditNoteNumber))?.toLowerCase();
    const cn = id ? org.creditNotes.get(id) : [...org.creditNotes.values()].find((c) => c.CreditNoteNumber.toLowerCase() === number);
    if (!cn) errors.push('Credit Note could not be found.');
    else if (cn.Status !== 'AUTHORISED') errors.push('Credit Note not of valid status for payments.');
    else if (errors.length === 0 && amount > creditRemaining(org, cn)) errors.push(EXCEEDS_OUTSTANDING);
    if (cn) { target = { kind: 'creditnote', id: cn.CreditNoteID }; type = cn.Type === 'ACCRECCREDIT' ? 'ARCREDITPAYMENT' : 'APCREDITPAYMENT'; currency = cn.CurrencyCode; }
  } else if (input.Overpayment !== undefined || input.Prepayment !== undefined) {
    errors.push('The sandbox does not support payments on overpayments or prepayments.');
  } else {
    errors.push('An Invoice or Credit Note must be specified for the payment.');
  }
  if (errors.length > 0 || !target || !account || dateMs === null) return { ok: false, errors, echo };
  const record: PaymentRecord = {
    PaymentID: randomUUID(), target, PaymentType: type, AccountCode: account.Code, dateMs, Amount: amount,
    Reference: str(input.Reference) ?? '', Status: 'AUTHORISED', CurrencyCode: currency, updatedMs: now,
  };
  org.payments.set(record.PaymentID, record);
  settle(org, record, now);
  return { ok: true, out: paymentJson(org, record) };
}

function settle(org: OrgState, p: PaymentRecord, now: number): void {
  if (p.target.kind === 'invoice') settleInvoice(org, p.target.id, now);
  else settleCreditNote(org, p.target.id, now);
}

/** POST /Payments/{id} `{ Status: "DELETED" }`: the only change Xero accepts on a payment. */
export function deletePayment(org: OrgState, id: string, input: JsonObject, now: number): ItemResult {
  const echo = { ...input };
  const p = org.payments.get(id.toLowerCase());
  if (!p) return { ok: false, errors: ['Payment could not be found.'], echo };
  const extra = Object.keys(input).filter((k) => k !== 'Status' && k !== 'PaymentID');
  if (extra.length > 0 || input.Status === undefined) return { ok: false, errors: ['Only Status accepted for updates.'], echo };
  if (input.Status !== 'DELETED') return { ok: false, errors: [`Payment Status '${String(input.Status)}' is not valid for an update.`], echo };
  if (p.Status === 'DELETED') return { ok: false, errors: ['This payment has already been deleted.'], echo };
  const next: PaymentRecord = { ...p, Status: 'DELETED', updatedMs: now };
  org.payments.set(p.PaymentID, next);
  settle(org, next, now);
  return { ok: true, out: paymentJson(org, next) };
}

/**
 * PUT /BankTransactions, RECEIVE-OVERPAYMENT only (what Ledgerport sends): money received from a
 * contact beyond any invoice, kept as an overpayment whose RemainingCredit can later be allocated.
 */
export function createOverpayment(org: OrgState, input: JsonObject, now: number): ItemResult {
  const echo = { ...input };
  const errors: string[] = [];
  if (input.Type !== 'RECEIVE-OVERPAYMENT') return { ok: false, errors: [`The sandbox only supports bank transactions of Type RECEIVE-OVERPAYMENT, not '${String(input.Type)}'.`], echo };
  const contact = resolveContact(org, input.Contact, undefined, now, errors);
  const account = obj(input.BankAccount);
  const bank = org.accounts.find((a) => (str(account?.Code) !== undefined ? a.Code === str(account?.Code) : a.AccountID === str(account?.AccountID)?.toLowerCase()));
  if (!bank || bank.Type !== 'BANK' || bank.Status !== 'ACTIVE') errors.push('A valid BankAccount must be specified for the bank transaction.');
  const lines = Array.isArray(input.LineItems) ? input.LineItems.map(obj) : [];
  if (lines.length === 0) errors.push('At least one line item must be specified.');
  // Overpayment lines post to accounts receivable: Xero refuses an account code on them.
  if (lines.some((l) => l?.AccountCode !== undefined)) errors.push('Account code must not be specified for an overpayment line item.');
  const items = lines.map((l) => ({ Description: str(l?.Description) ?? '', LineAmount: round2(num(l?.LineAmount) ?? num(l?.UnitAmount) ?? 0), LineItemID: randomUUID() }));
  const total = round2(items.reduce((s, l) => s + l.LineAmount, 0));
  if (lines.length > 0 && total <= 0) errors.push('The bank transaction total must be greater than zero.');
  const dateMs = input.Date === undefined ? now : parseXeroDate(input.Date);
  if (dateMs === null) errors.push(`The Date '${String(input.Date)}' is not a valid date.`);
  if (errors.length > 0 || !contact || !bank || dateMs === null) return { ok: false, errors, echo };
  const record: OverpaymentRecord = {
    OverpaymentID: randomUUID(), BankTransactionID: randomUUID(), Type: 'RECEIVE-OVERPAYMENT', ContactID: contact.ContactID,
    AccountCode: bank.Code, dateMs, Reference: str(input.Reference) ?? '', LineItems: items, Total: total, RemainingCredit: total,
    CurrencyCode: str(input.CurrencyCode) ?? org.org.BaseCurrency, Status: 'AUTHORISED', updatedMs: now,
  };
  org.overpayments.set(record.OverpaymentID, record);
  return { ok: true, out: overpaymentTransactionJson(org, record) };
}
