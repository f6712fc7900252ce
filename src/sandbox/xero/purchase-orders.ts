// Purchase order validation, storage and Xero-shaped output.
import { randomUUID } from 'node:crypto';
import type { ItemResult } from './batch.ts';
import { buildLines, resolveContact, str } from './documents.ts';
import { computeTotals } from './invoice-calc.ts';
import { contactSummary, lineItemJson } from './invoice-json.ts';
import type { OrgState } from './store.ts';
import type { JsonObject, LineAmountTypes, LineItemRecord, PurchaseOrderRecord, PurchaseOrderStatus } from './types.ts';
import { dateString, msDate, parseXeroDate, startOfDay } from './xero-format.ts';

export const PO_STATUSES: readonly string[] = ['DRAFT', 'SUBMITTED', 'AUTHORISED', 'BILLED', 'DELETED'];
const NEW_STATUSES: readonly string[] = ['DRAFT', 'SUBMITTED', 'AUTHORISED'];
const LATS: readonly string[] = ['Exclusive', 'Inclusive', 'NoTax'];
const EXTRA = ['DeliveryAddress', 'AttentionTo', 'Telephone', 'DeliveryInstructions', 'BrandingThemeID'] as const;

export const PO_FIELDS: ReadonlySet<string> = new Set([
  'PurchaseOrderID', 'PurchaseOrderNumber', 'Reference', 'Date', 'DeliveryDate', 'ExpectedArrivalDate', 'Status', 'Contact',
  'LineAmountTypes', 'SubTotal', 'TotalTax', 'Total', 'TotalDiscount', 'CurrencyCode', 'CurrencyRate', 'UpdatedDateUTC',
  'SentToContact', 'HasAttachments', 'Type', ...EXTRA,
]);

export function findPurchaseOrderByNumber(org: OrgState, number: string, exceptId?: string): PurchaseOrderRecord | undefined {
  const n = number.trim().toLowerCase();
  for (const po of org.purchaseOrders.values()) {
    if (po.PurchaseOrderID !== exceptId && po.PurchaseOrderNumber.toLowerCase() === n) return po;
  }
  return undefined;
}

function nextNumber(org: OrgState): string {
  for (;;) {
    const candidate = `PO-${String(org.nextPurchaseOrderNumber++).padStart(4, '0')}`;
    if (!findPurchaseOrderByNumber(org, candidate)) return candidate;
  }
}

function optionalDate(input: JsonObject, key: string, fallback: number | undefined, errors: string[]): number | undefined {
  const v = input[key];
  if (v === undefined || v === null) return fallback;
  const d = parseXeroDate(v);
  if (d === null) errors.push(`The ${key} '${String(v)}' is not a valid date.`);
  return d ?? fallback;
}

export interface PurchaseOrderOptions {
  now: number;
  unitdp: number;
  /** Test helpers may create/move orders into any status (e.g. BILLED), as a Xero user could. */
  anyStatus?: boolean;
  /** PurchaseOrderID for a new order (test helpers); random otherwise. */
  newId?: string;
}

/** Validate `input` (creating, or updating `existing`) and save it into `org` when valid. */
export function upsertPurchaseOrder(org: OrgState, input: JsonObject, existing: PurchaseOrderRecord | undefined, o: PurchaseOrderOptions): ItemResult {
  const errors: string[] = [];
  const echo = { ...input };
  const status = (str(input.Status) ?? existing?.Status ?? 'DRAFT') as PurchaseOrderStatus;
  if (!PO_STATUSES.includes(status)) errors.push(`Purchase order Status '${status}' is not valid.`);
  else if (!existing && !o.anyStatus && !NEW_STATUSES.includes(status)) errors.push(`A purchase order cannot be created with status ${status}.`);
  if (existing && !o.anyStatus) {
    const from = existing.Status;
    const allowed = from === 'DELETED' ? [] : from === 'BILLED' ? ['BILLED', 'AUTHORISED'] : PO_STATUSES;
    if (!allowed.includes(status)) return { ok: false, errors: ['Purchase order not of valid status for modification'], echo };
  }

  const contact = resolveContact(org, input.Contact, existing, o.now, errors);
  const lat = (str(input.LineAmountTypes) ?? existing?.LineAmountTypes ?? 'Exclusive') as LineAmountTypes;
  if (!LATS.includes(lat)) errors.push(`LineAmountTypes '${lat}' is not valid.`);
  const dateMs = optionalDate(input, 'Date', existing?.dateMs ?? startOfDay(o.now), errors) ?? startOfDay(o.now);
  const deliveryDateMs = optionalDate(input, 'DeliveryDate', existing?.deliveryDateMs, errors);
  const expectedArrivalMs = optionalDate(input, 'ExpectedArrivalDate', existing?.expectedArrivalMs, errors);
  const currency = str(input.CurrencyCode) ?? existing?.CurrencyCode ?? org.org.BaseCurrency;
  if (currency !== org.org.BaseCurrency) errors.push(`Organisation is not subscribed to currency ${currency}`);

  const unitdp = o.unitdp === 4 ? 4 : 2;
  // Purchase orders are expense-side documents; an AccountCode is optional even when approved.
  const lines: (LineItemRecord & { discount: number })[] = Array.isArray(input.LineItems)
    ? buildLines(org, input.LineItems, 'ACCPAY', false, lat, unitdp, existing?.LineItems ?? [], errors)
    : (existing?.LineItems ?? []).map((l) => ({ ...l, discount: 0 }));
  if (lines.length === 0 && status !== 'DRAFT' && status !== 'DELETED') {
    errors.push('At least one line item must be specified for an approved purchase order.');
  }
  const totals = computeTotals(lines, lat);
  if (totals.Total < 0) errors.push('The purchase order total must be zero or positive.');

  let number = str(input.PurchaseOrderNumber) ?? existing?.PurchaseOrderNumber;
  if (number !== undefined && number !== '' && findPurchaseOrderByNumber(org, number, existing?.PurchaseOrderID)) {
    errors.push('Order number must be unique');
  }
  if (errors.length > 0 || !contact) return { ok: false, errors, echo };
  if (number === undefined || number === '') number = nextNumber(org);

  const extra: Record<string, string> = { ...(existing?.extra ?? {}) };
  for (const k of EXTRA) {
    const v = str(input[k]);
    if (v !== undefined) extra[k] = v;
  }
  const record: PurchaseOrderRecord = {
    PurchaseOrderID: existing?.PurchaseOrderID ?? o.newId?.toLowerCase() ?? randomUUID(),
    PurchaseOrderNumber: number,
    Reference: str(input.Reference) ?? existing?.Reference ?? '',
    ContactID: contact.ContactID,
    dateMs,
    ...(deliveryDateMs !== undefined ? { deliveryDateMs } : {}),
    ...(expectedArrivalMs !== undefined ? { expectedArrivalMs } : {}),
    Status: status,
    LineAmountTypes: lat,
    LineItems: lines.map(({ discount: _d, ...l }) => l),
    ...totals,
    CurrencyCode: currency,
    CurrencyRate: 1,
    SentToContact: typeof input.SentToContact === 'boolean' ? input.SentToContact : (existing?.SentToContact ?? false),
    extra,
    updatedMs: o.now,
  };
  org.purchaseOrders.set(record.PurchaseOrderID, record);
  return { ok: true, out: purchaseOrderJson(org, record, unitdp) };
}

export function purchaseOrderJson(org: OrgState, po: PurchaseOrderRecord, unitdp = 2): JsonObject {
  const x = po.extra;
  return {
    PurchaseOrderID: po.PurchaseOrderID,
    PurchaseOrderNumber: po.PurchaseOrderNumber,
    DateString: dateString(po.dateMs),
    Date: msDate(po.dateMs),
    ...(po.deliveryDateMs !== undefined ? { DeliveryDateString: dateString(po.deliveryDateMs), DeliveryDate: msDate(po.deliveryDateMs) } : {}),
    ...(po.expectedArrivalMs !== undefined ? { ExpectedArrivalDate: msDate(po.expectedArrivalMs) } : {}),
    ...(x.DeliveryAddress !== undefined ? { DeliveryAddress: x.DeliveryAddress } : {}),
    ...(x.AttentionTo !== undefined ? { AttentionTo: x.AttentionTo } : {}),
    ...(x.Telephone !== undefined ? { Telephone: x.Telephone } : {}),
    ...(x.DeliveryInstructions !== undefined ? { DeliveryInstructions: x.DeliveryInstructions } : {}),
    HasErrors: false,
    IsDiscounted: po.TotalDiscount !== 0,
    Reference: po.Reference,
    Type: 'PURCHASEORDER',
    CurrencyRate: po.CurrencyRate,
    CurrencyCode: po.CurrencyCode,
    Contact: contactSummary(org, po.ContactID),
    ...(x.BrandingThemeID !== undefined ? { BrandingThemeID: x.BrandingThemeID } : {}),
    Status: po.Status,
    LineAmountTypes: po.LineAmountTypes,
    LineItems: po.LineItems.map((l) => lineItemJson(org, l, unitdp)),
    SubTotal: po.SubTotal,
    TotalTax: po.TotalTax,
    Total: po.Total,
    ...(po.TotalDiscount !== 0 ? { TotalDiscount: po.TotalDiscount } : {}),
    UpdatedDateUTC: msDate(po.updatedMs),
    SentToContact: po.SentToContact,
    HasAttachments: false,
  };
}
