import * as v from 'valibot';
import type { DocumentKind } from '../db/schema.ts';

/** The ops platform's webhook envelope (DESIGN.md, "Ops webhook envelope"). */

const decimal = v.pipe(v.string(), v.regex(/^-?\d{1,15}(\.\d{1,6})?$/, 'must be a decimal string such as "12.50"'));
const text = (max: number) => v.pipe(v.string(), v.trim(), v.minLength(1, 'must not be empty'), v.maxLength(max));
const optionalText = (max: number) => v.optional(v.pipe(v.string(), v.maxLength(max)));
const isoDate = v.pipe(
  v.string(),
  v.isoDate('must be a date YYYY-MM-DD'),
  // isoDate checks the shape only; 2026-02-31 must not pass.
  v.check((s) => new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'must be a real calendar date'),
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
export const SupplierBill = v.object({
  ...documentFields,
  supplier: Party,
  purchase_order_id: optionalText(200),
  supplier_invoice_number: text(255),
});

const base = {
  tenant_id: text(200),
  occurred_at: v.pipe(v.string(), v.isoTimestamp('must be an ISO 8601 timestamp')),
};

const Envelope = v.variant('type', [
  v.object({ ...base, type: v.literal('sales_order.shipped'), data: v.object({ invoice: SalesInvoice }) }),
  v.object({ ...base, type: v.literal('sales_invoice.posted'), data: v.object({ invoice: SalesInvoice }) }),
  v.object({ ...base, type: v.literal('supplier_bill.requested'), data: v.object({ bill: SupplierBill }) }),
]);
const AnyEnvelope = v.object({ ...base, type: text(100), data: v.record(v.string(), v.unknown()) });

export const DOCUMENT_EVENT_TYPES = ['sales_order.shipped', 'sales_invoice.posted', 'supplier_bill.requested'] as const;

export type SalesInvoiceSource = v.InferOutput<typeof SalesInvoice>;
export type SupplierBillSource = v.InferOutput<typeof SupplierBill>;

export interface DocumentInput {
  readonly kind: DocumentKind;
  readonly sourceId: string;
  readonly version: number;
  readonly source: SalesInvoiceSource | SupplierBillSource;
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
  const document: DocumentInput =
    envelope.type === 'supplier_bill.requested'
      ? { kind: 'supplier_bill', sourceId: envelope.data.bill.id, version: envelope.data.bill.version, source: envelope.data.bill }
      : { kind: 'sales_invoice', sourceId: envelope.data.invoice.id, version: envelope.data.invoice.version, source: envelope.data.invoice };
  return { ok: true, tenantId: envelope.tenant_id, type: envelope.type, document };
}
