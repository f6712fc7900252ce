import * as v from 'valibot';
import type { DocumentKind } from '../db/schema.ts';

/** The ops platform's webhook envelope (DESIGN.md, "Ops webhook envelope"). */

/** A decimal string in whole cents: "12.5" → 1250. */
export const cents = (value: string | number): number => Math.round(Number(value) * 100);

const decimal = v.pipe(v.string(), v.regex(/^-?\d{1,15}(\.\d{1,6})?$/, 'must be a decimal string such as "12.50"'));
const positiveAmount = v.pipe(
  v.string(),
  v.regex(/^\d{1,13}(\.\d{1,2})?$/, 'must be an amount such as "12.50" (at most 2 decimal places)'),
  v.check((s) => Number(s) > 0, 'must be more than zero'),
);
const text = (max: number) => v.pipe(v.string(), v.trim(), v.minLength(1, 'must not be empty'), v.maxLength(max));
const optionalText = (max: number) => v.optional(v.pipe(v.string(), v.maxLength(max)));
/** A calendar date YYYY-MM-DD that exists (2026-02-31 does not). */
export const isoDate = v.pipe(
  v.string(),
  v.isoDate('must be a date YYYY-MM-DD'),
  // isoDate checks the shape only; 2026-02-31 must not pass.
  // valibot runs this even when the shape check failed: an invalid Date must not throw here.
  v.check((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
  }, 'must be a real calendar date'),
);

/**
 * An ISO 8601 timestamp with a time zone, on a calendar date that exists (valibot's isoTimestamp
 * checks the shape only: 2026-02-31T10:00:00Z passes it).
 */
export const isoTimestamp = v.pipe(
  v.string(),
  v.isoTimestamp('must be an ISO 8601 timestamp'),
  // Runs even when the shape check failed: must not throw on any string.
  v.check((s) => {
    const day = s.slice(0, 10);
    const d = new Date(`${day}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(day);
  }, 'must be a real calendar date and time'),
);

const Party = v.object({
  id: text(200),
  name: text(500),
  email: v.optional(v.pipe(v.string(), v.email('must be an email address'))),
});

const Line = v.object({
  description: v.pipe(v.string(), v.maxLength(4000)),
  quantity: decimal,
  unit_price: decimal,
  tax_rate: v.optional(decimal),
  discount_rate: v.optional(decimal),
  item_code: optionalText(100),
  category: optionalText(100),
});

const documentFields = {
  id: text(200),
  version: v.pipe(v.number(), v.integer('must be a whole number'), v.minValue(1), v.maxValue(2_147_483_647)),
  number: optionalText(255),
  reference: optionalText(255),
  issue_date: isoDate,
  due_date: v.optional(isoDate),
  currency: v.pipe(v.string(), v.regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "GBP"')),
  amounts_are: v.picklist(['exclusive', 'inclusive', 'no_tax']),
  lines: v.pipe(v.array(Line), v.minLength(1, 'needs at least one line'), v.maxLength(1000)),
};

export const SalesInvoice = v.object({ ...documentFields, customer: Party });

const Allocation = v.object({ invoice_id: text(200), amount: positiveAmount });

/** A sales credit note: like an invoice, optionally crediting one (allocated in full) or several invoices (explicit allocations). */
export const CreditNote = v.object({
  ...documentFields,
  customer: Party,
  invoice_id: optionalText(200),
  allocations: v.optional(v.pipe(v.array(Allocation), v.maxLength(50))),
});

const moneyMovement = {
  id: text(200),
  version: documentFields.version,
  date: isoDate,
  amount: positiveAmount,
  currency: documentFields.currency,
  /** The bank account it moves through; absent: the posting defaults' payments_bank_account. */
  bank_account_code: optionalText(50),
  reference: optionalText(255),
};

/** Money received from a customer, applied to zero or more invoices; what is left over is an overpayment (credit). */
export const Payment = v.pipe(
  v.object({
    ...moneyMovement,
    customer: v.optional(Party),
    allocations: v.pipe(v.array(Allocation), v.maxLength(50)),
  }),
  v.check((p) => p.allocations.length > 0 || p.customer !== undefined, 'a payment applied to no invoice needs a customer'),
  v.check((p) => p.allocations.reduce((sum, a) => sum + cents(a.amount), 0) <= cents(p.amount), 'the allocations add up to more than the payment'),
);

/** Money paid back to a customer out of a credit note. */
export const Refund = v.object({ ...moneyMovement, credit_note_id: text(200) });
export const SupplierBill = v.object({
  ...documentFields,
  supplier: Party,
  purchase_order_id: optionalText(200),
  supplier_invoice_number: text(255),
});

const base = {
  tenant_id: text(200),
  occurred_at: isoTimestamp,
};

const Envelope = v.variant('type', [
  v.object({ ...base, type: v.literal('sales_order.shipped'), data: v.object({ invoice: SalesInvoice }) }),
  v.object({ ...base, type: v.literal('sales_invoice.posted'), data: v.object({ invoice: SalesInvoice }) }),
  v.object({ ...base, type: v.literal('supplier_bill.requested'), data: v.object({ bill: SupplierBill }) }),
  v.object({ ...base, type: v.literal('sales_invoice.voided'), data: v.object({ invoice: SalesInvoice }) }),
  v.object({ ...base, type: v.literal('supplier_bill.voided'), data: v.object({ bill: SupplierBill }) }),
  v.object({ ...base, type: v.literal('credit_note.posted'), data: v.object({ credit_note: CreditNote }) }),
  v.object({ ...base, type: v.literal('credit_note.voided'), data: v.object({ credit_note: CreditNote }) }),
  v.object({ ...base, type: v.literal('payment.recorded'), data: v.object({ payment: Payment }) }),
  v.object({ ...base, type: v.literal('payment.deleted'), data: v.object({ payment: Payment }) }),
  v.object({ ...base, type: v.literal('credit_note.refunded'), data: v.object({ refund: Refund }) }),
  v.object({ ...base, type: v.literal('refund.deleted'), data: v.object({ refund: Refund }) }),
]);
const AnyEnvelope = v.object({ ...base, type: text(100), data: v.record(v.string(), v.unknown()) });

/**
 * Each event type: the document kind it concerns, where its object is in `data`, and whether it
 * voids (deletes) the document. A void carries the whole object with a newer version, as every
 * other event does; the stored snapshot gains `voided: true`.
 */
const EVENT_KINDS = {
  'sales_order.shipped': { kind: 'sales_invoice', field: 'invoice', voids: false },
  'sales_invoice.posted': { kind: 'sales_invoice', field: 'invoice', voids: false },
  'sales_invoice.voided': { kind: 'sales_invoice', field: 'invoice', voids: true },
  'supplier_bill.requested': { kind: 'supplier_bill', field: 'bill', voids: false },
  'supplier_bill.voided': { kind: 'supplier_bill', field: 'bill', voids: true },
  'credit_note.posted': { kind: 'credit_note', field: 'credit_note', voids: false },
  'credit_note.voided': { kind: 'credit_note', field: 'credit_note', voids: true },
  'payment.recorded': { kind: 'payment', field: 'payment', voids: false },
  'payment.deleted': { kind: 'payment', field: 'payment', voids: true },
  'credit_note.refunded': { kind: 'refund', field: 'refund', voids: false },
  'refund.deleted': { kind: 'refund', field: 'refund', voids: true },
} as const satisfies Record<string, { kind: DocumentKind; field: string; voids: boolean }>;

export const DOCUMENT_EVENT_TYPES = Object.keys(EVENT_KINDS) as (keyof typeof EVENT_KINDS)[];

export type SalesInvoiceSource = v.InferOutput<typeof SalesInvoice> & { voided?: true };
export type SupplierBillSource = v.InferOutput<typeof SupplierBill> & { voided?: true };
export type CreditNoteSource = v.InferOutput<typeof CreditNote> & { voided?: true };
export type PaymentSource = v.InferOutput<typeof Payment> & { voided?: true };
export type RefundSource = v.InferOutput<typeof Refund> & { voided?: true };
export type DocumentSource = SalesInvoiceSource | SupplierBillSource | CreditNoteSource | PaymentSource | RefundSource;

export interface DocumentInput {
  readonly kind: DocumentKind;
  readonly sourceId: string;
  readonly version: number;
  readonly source: DocumentSource;
}

export type ParsedEnvelope =
  | { ok: true; tenantId: string; type: string; document: DocumentInput | undefined }
  | { ok: false; details: { path: string; message: string }[] };

function issuesToDetails(issues: readonly v.BaseIssue<unknown>[]) {
  return issues.map((issue) => ({ path: v.getDotPath(issue) ?? '', message: issue.message }));
}

/** Validates a decoded body. Unknown event types pass with no document (recorded as ignored). */
export function parseOpsEnvelope(body: unknown): ParsedEnvelope {
  const type = (body as { type?: unknown } | null)?.type;
  // Known event types are validated once, in full; anything else only as an envelope.
  if (typeof type !== 'string' || !(DOCUMENT_EVENT_TYPES as readonly string[]).includes(type)) {
    const loose = v.safeParse(AnyEnvelope, body);
    if (!loose.success) return { ok: false, details: issuesToDetails(loose.issues) };
    return { ok: true, tenantId: loose.output.tenant_id, type: loose.output.type, document: undefined };
  }
  const strict = v.safeParse(Envelope, body);
  if (!strict.success) return { ok: false, details: issuesToDetails(strict.issues) };
  const envelope = strict.output;
  const { kind, field, voids } = EVENT_KINDS[envelope.type];
  const object = (envelope.data as Record<string, DocumentSource>)[field]!;
  const source = voids ? { ...object, voided: true as const } : object;
  return { ok: true, tenantId: envelope.tenant_id, type: envelope.type, document: { kind, sourceId: object.id, version: object.version, source } };
}
