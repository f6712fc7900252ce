// Invoice validation and storage with Xero's rules (contact, accounts, tax types, numbering, status).
import { randomUUID } from 'node:crypto';
import type { ItemResult } from './batch.ts';
import { flagContact } from './contacts.ts';
import { buildLines, resolveContact, str } from './documents.ts';
import { computeTotals } from './invoice-calc.ts';
import { invoiceJson } from './invoice-json.ts';
import { hasMoneyApplied, transitionError } from './ledger.ts';
import type { OrgState } from './store.ts';
import type { InvoiceRecord, InvoiceStatus, InvoiceType, JsonObject, LineAmountTypes, LineItemRecord } from './types.ts';
import { parseXeroDate, startOfDay } from './xero-format.ts';

const LATS: readonly string[] = ['Exclusive', 'Inclusive', 'NoTax'];
const STATUSES: readonly string[] = ['DRAFT', 'SUBMITTED', 'AUTHORISED', 'PAID', 'VOIDED', 'DELETED'];
const NEW_STATUSES: readonly string[] = ['DRAFT', 'SUBMITTED', 'AUTHORISED'];


export function findInvoiceByNumber(org: OrgState, type: InvoiceType, number: string, exceptId?: string): InvoiceRecord | undefined {
  const n = number.trim().toLowerCase();
  for (const inv of org.invoices.values()) {
    if (inv.Type === type && inv.InvoiceID !== exceptId && inv.InvoiceNumber.toLowerCase() === n) return inv;
  }
  return undefined;
}

function nextNumber(org: OrgState): string {
  for (;;) {
    const candidate = `INV-${String(org.nextInvoiceNumber++).padStart(4, '0')}`;
    if (!findInvoiceByNumber(org, 'ACCREC', candidate)) return candidate;
  }
}

export interface InvoiceOptions { unitdp: number; now: number }

/** Validate `input` (creating, or updating `existing`) and save it into `org` when valid. */
export function upsertInvoice(org: OrgState, input: JsonObject, existing: InvoiceRecord | undefined, o: InvoiceOptions): ItemResult {
  const errors: string[] = [];
  const echo = { ...input };
  const type = (existing?.Type ?? str(input.Type)) as InvoiceType | undefined;
  if (!type) return { ok: false, errors: ['The Invoice Type must be specified.'], echo };
  if (type !== 'ACCREC' && type !== 'ACCPAY') return { ok: false, errors: [`The Type '${type}' is not valid for an invoice.`], echo };

  const status = (str(input.Status) ?? existing?.Status ?? 'DRAFT') as InvoiceStatus;
  if (!STATUSES.includes(status)) errors.push(`Invoice Status '${status}' is not valid.`);
  else if (!existing && !NEW_STATUSES.includes(status)) errors.push(`An invoice cannot be created with status ${status}.`);
  if (existing) {
    const refused = transitionError('Invoice', existing.Status, status, hasMoneyApplied(org, 'invoice', existing.InvoiceID));
    if (refused) return { ok: false, errors: [refused], echo };
  }

  const contact = resolveContact(org, input.Contact, existing, o.now, errors);
  const lat = (str(input.LineAmountTypes) ?? existing?.LineAmountTypes ?? 'Exclusive') as LineAmountTypes;
  if (!LATS.includes(lat)) errors.push(`LineAmountTypes '${lat}' is not valid.`);

  const dateIn = input.Date;
  const dateMs = dateIn === undefined || dateIn === null ? (existing?.dateMs ?? startOfDay(o.now)) : parseXeroDate(dateIn);
  if (dateMs === null) errors.push(`The Date '${String(dateIn)}' is not a valid date.`);
  let dueDateMs = existing?.dueDateMs;
  if (input.DueDate !== undefined && input.DueDate !== null) {
    const d = parseXeroDate(input.DueDate);
    if (d === null) errors.push(`The DueDate '${String(input.DueDate)}' is not a valid date.`);
    else dueDateMs = d;
  }
  if (dueDateMs === undefined && (status === 'SUBMITTED' || status === 'AUTHORISED')) errors.push('Due Date must be specified.');

  const currency = str(input.CurrencyCode) ?? existing?.CurrencyCode ?? org.org.BaseCurrency;
  if (currency !== org.org.BaseCurrency) errors.push(`Organisation is not subscribed to currency ${currency}`);

  const unitdp = o.unitdp === 4 ? 4 : 2;
  let lines: (LineItemRecord & { discount: number })[];
  if (Array.isArray(input.LineItems)) {
    lines = buildLines(org, input.LineItems, type, status !== 'DRAFT', lat, unitdp, existing?.LineItems ?? [], errors);
  } else {
    lines = (existing?.LineItems ?? []).map((l) => ({ ...l, discount: 0 }));
  }
  if (lines.length === 0 && status !== 'DRAFT' && status !== 'DELETED' && status !== 'VOIDED') {
    errors.push('At least one line item must be specified for an approved invoice.');
  }
  const totals = computeTotals(lines, lat);
  if (totals.Total < 0) errors.push('The invoice total must be zero or positive.');

  let number = str(input.InvoiceNumber) ?? existing?.InvoiceNumber;
  if (type === 'ACCREC' && number !== undefined && number !== '' && findInvoiceByNumber(org, 'ACCREC', number, existing?.InvoiceID)) {
    errors.push('Invoice # must be unique.');
  }
  if (errors.length > 0 || !contact || dateMs === null) return { ok: false, errors, echo };
  if (type === 'ACCREC' && (number === undefined || number === '')) number = nextNumber(org);

  const record: InvoiceRecord = {
    InvoiceID: existing?.InvoiceID ?? randomUUID(),
    Type: type,
    InvoiceNumber: number ?? '',
    Reference: str(input.Reference) ?? existing?.Reference ?? '',
    ContactID: contact.ContactID,
    dateMs,
    ...(dueDateMs !== undefined ? { dueDateMs } : {}),
    Status: status,
    LineAmountTypes: lat,
    LineItems: lines.map(({ discount: _d, ...l }) => l),
    ...totals,
    AmountPaid: existing?.AmountPaid ?? 0,
    CurrencyCode: currency,
    CurrencyRate: 1,
    SentToContact: typeof input.SentToContact === 'boolean' ? input.SentToContact : (existing?.SentToContact ?? false),
    ...(str(input.Url) ?? existing?.Url ? { Url: str(input.Url) ?? existing?.Url ?? '' } : {}),
    ...(str(input.BrandingThemeID) ?? existing?.BrandingThemeID ? { BrandingThemeID: str(input.BrandingThemeID) ?? existing?.BrandingThemeID ?? '' } : {}),
    updatedMs: o.now,
  };
  org.invoices.set(record.InvoiceID, record);
  flagContact(org, contact.ContactID, type === 'ACCREC' ? 'IsCustomer' : 'IsSupplier', o.now);
  return { ok: true, out: invoiceJson(org, record, unitdp) };
}
