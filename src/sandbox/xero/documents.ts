// Pieces shared by the document types (invoices, purchase orders): contact resolution and line items.
import { randomUUID } from 'node:crypto';
import { findActiveByName, findByNumber, upsertContact } from './contacts.ts';
import { computeLine } from './invoice-calc.ts';
import type { OrgState } from './store.ts';
import type { ContactRecord, InvoiceType, JsonObject, LineAmountTypes, LineItemRecord } from './types.ts';

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/**
 * The contact of a document: by ContactID, ContactNumber or (active) Name; an unknown Name creates
 * the contact, as Xero does. `existing` is the document being updated (its contact is kept when none is sent).
 */
export function resolveContact(org: OrgState, input: unknown, existing: { ContactID: string } | undefined, now: number, errors: string[]): ContactRecord | undefined {
  if (input === undefined || input === null) {
    if (existing) return org.contacts.get(existing.ContactID);
    errors.push('A Contact must be specified for this type of transaction');
    return undefined;
  }
  if (typeof input !== 'object' || Array.isArray(input)) { errors.push('A Contact must be specified for this type of transaction'); return undefined; }
  const c = input as JsonObject;
  let found: ContactRecord | undefined;
  const id = str(c.ContactID);
  if (id) {
    found = org.contacts.get(id.toLowerCase());
    if (!found) { errors.push(`The contact with ContactID ${id} could not be found.`); return undefined; }
  } else if (str(c.ContactNumber)) {
    found = findByNumber(org, str(c.ContactNumber) ?? '');
  }
  if (!found && str(c.Name)) found = findActiveByName(org, str(c.Name) ?? '');
  if (!found) {
    if (!str(c.Name)) { errors.push('A Contact must be specified for this type of transaction'); return undefined; }
    const created = upsertContact(org, { ...c }, undefined, now);
    if (!created.ok) { errors.push(...created.errors); return undefined; }
    return org.contacts.get(String(created.out.ContactID));
  }
  if (found.ContactStatus === 'ARCHIVED') {
    errors.push(`The contact ${found.Name} has been archived and cannot be used on a transaction.`);
    return undefined;
  }
  return found;
}

/**
 * Validate and compute line items. `type` picks which side tax rates must apply to (ACCPAY = expenses);
 * `requireAccount` demands an AccountCode on every line (approved invoices).
 */
export function buildLines(org: OrgState, input: unknown[], type: InvoiceType, requireAccount: boolean, lat: LineAmountTypes,
  unitdp: number, previous: LineItemRecord[], errors: string[]): (LineItemRecord & { discount: number })[] {
  const out: (LineItemRecord & { discount: number })[] = [];
  input.forEach((raw, i) => {
    const l = (raw && typeof raw === 'object' ? raw : {}) as JsonObject;
    const lineNo = i + 1;
    const description = str(l.Description) ?? '';
    if (description.trim() === '') errors.push('The description field is mandatory for each line item.');
    let code = str(l.AccountCode);
    const accountId = str(l.AccountID)?.toLowerCase();
    if (!code && accountId) code = org.accounts.find((a) => a.AccountID === accountId)?.Code ?? accountId;
    const account = code !== undefined ? org.accounts.find((a) => a.Code.toLowerCase() === code?.toLowerCase()) : undefined;
    if (code !== undefined && (!account || account.Status !== 'ACTIVE' || account.Type === 'BANK' || account.SystemAccount)) {
      errors.push(`Account code '${code}' is not a valid code for this document.`);
    } else if (code === undefined && requireAccount) {
      errors.push('Account code must be specified for each line item on an approved document.');
    }
    const taxType = str(l.TaxType) ?? account?.TaxType ?? (lat === 'NoTax' ? 'NONE' : undefined) ?? 'NONE';
    const rate = org.taxRates.find((t) => t.TaxType === taxType && t.Status === 'ACTIVE');
    const applies = rate && (type === 'ACCREC' ? rate.CanApplyToRevenue : rate.CanApplyToExpenses);
    if (!applies && !(lat === 'NoTax' && l.TaxType === undefined)) {
      errors.push(`The TaxType code '${taxType}' does not exist or cannot be used with this type of transaction.`);
    }
    const numbers: Record<string, number | undefined> = {};
    for (const k of ['Quantity', 'UnitAmount', 'LineAmount', 'DiscountRate', 'DiscountAmount', 'TaxAmount']) {
      numbers[k] = num(l[k]);
      if (l[k] !== undefined && l[k] !== null && numbers[k] === undefined) errors.push(`${k} for line item ${lineNo} is not a valid number.`);
    }
    const calc = computeLine(numbers, lat === 'NoTax' ? 0 : (rate?.EffectiveRate ?? 0), lat, unitdp, lineNo);
    if (calc.error) errors.push(calc.error);
    const idIn = str(l.LineItemID)?.toLowerCase();
    const kept = idIn ? previous.find((p) => p.LineItemID === idIn) : undefined;
    out.push({
      LineItemID: kept?.LineItemID ?? randomUUID(),
      Description: description,
      Quantity: calc.Quantity,
      UnitAmount: calc.UnitAmount,
      ...(account ? { AccountCode: account.Code } : code !== undefined ? { AccountCode: code } : {}),
      ...(str(l.ItemCode) ? { ItemCode: str(l.ItemCode) } : {}),
      TaxType: lat === 'NoTax' && l.TaxType === undefined ? 'NONE' : taxType,
      TaxAmount: calc.TaxAmount,
      LineAmount: calc.LineAmount,
      ...(numbers.DiscountRate !== undefined ? { DiscountRate: numbers.DiscountRate } : {}),
      ...(numbers.DiscountAmount !== undefined ? { DiscountAmount: numbers.DiscountAmount } : {}),
      Tracking: Array.isArray(l.Tracking) ? (l.Tracking as JsonObject[]) : [],
      discount: calc.discount,
    });
  });
  return out;
}
