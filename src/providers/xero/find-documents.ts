// Looking documents up at Xero by id, number and reference: GET /Invoices (ACCREC sales
// invoices, ACCPAY bills) and GET /CreditNotes (ACCRECCREDIT), filtered with `where`, paged.
// Only reads: used to settle a write whose Idempotency-Key Xero has forgotten, and by
// reconciliations.
import type { CreditNote, Invoice } from 'xero-node';
import type { DocumentQuery, NumberedKind, ProviderDocument, ProviderDocumentState, ProviderSession } from '../types.ts';
import { decimalString } from './batch-common.ts';
import { callXero, type XeroClientDeps } from './client.ts';

const PAGE_SIZE = 100;
/** Selectors per `where` (keeps the URL well within what Xero accepts). */
const PER_CALL = 25;

const TYPE: Readonly<Record<NumberedKind, string>> = { sales_invoice: 'ACCREC', supplier_bill: 'ACCPAY', credit_note: 'ACCRECCREDIT' };

const toDate = (value: unknown): Date | null => {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value !== 'string') return null;
  const ms = /\/Date\((-?\d+)/.exec(value)?.[1];
  const date = ms ? new Date(Number(ms)) : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
};

/** A string literal in Xero's `where` syntax. */
const literal = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const dateTime = (day: string) => {
  const [y, m, d] = day.split('-');
  return `DateTime(${Number(y)}, ${Number(m)}, ${Number(d)})`;
};

export function xeroState(status: string): ProviderDocumentState {
  switch (status) {
    case 'DRAFT':
    case 'SUBMITTED':
      return 'draft';
    case 'PAID':
      return 'paid';
    case 'VOIDED':
      return 'voided';
    case 'DELETED':
      return 'deleted';
    default:
      return 'open';
  }
}

function fromInvoice(kind: NumberedKind, inv: Invoice): ProviderDocument {
  const status = String(inv.status ?? '');
  return {
    providerId: inv.invoiceID ?? '',
    kind,
    number: inv.invoiceNumber || null,
    reference: inv.reference || null,
    contactName: inv.contact?.name ?? null,
    issueDate: toDate(inv.date)?.toISOString().slice(0, 10) ?? null,
    currency: inv.currencyCode ? String(inv.currencyCode) : null,
    total: decimalString(inv.total),
    status,
    state: xeroState(status),
    updatedAt: toDate(inv.updatedDateUTC),
  };
}

function fromCreditNote(cn: CreditNote): ProviderDocument {
  const status = String(cn.status ?? '');
  return {
    providerId: cn.creditNoteID ?? '',
    kind: 'credit_note',
    number: cn.creditNoteNumber || null,
    reference: cn.reference || null,
    contactName: cn.contact?.name ?? null,
    issueDate: toDate(cn.date)?.toISOString().slice(0, 10) ?? null,
    currency: cn.currencyCode ? String(cn.currencyCode) : null,
    total: decimalString(cn.total),
    status,
    state: xeroState(status),
    updatedAt: toDate(cn.updatedDateUTC),
  };
}

/** `where` clauses, one per call: the type and date range, and one chunk of selectors each. */
export function whereClauses(query: DocumentQuery): string[] {
  const invoice = query.kind !== 'credit_note';
  const fixed = [`Type==${literal(TYPE[query.kind])}`];
  if (query.dateFrom) fixed.push(`Date>=${dateTime(query.dateFrom)}`);
  if (query.dateTo) fixed.push(`Date<=${dateTime(query.dateTo)}`);
  const selectors = [
    ...(query.ids ?? []).map((id) => `${invoice ? 'InvoiceID' : 'CreditNoteID'}==Guid(${literal(id)})`),
    ...(query.numbers ?? []).map((n) => `${invoice ? 'InvoiceNumber' : 'CreditNoteNumber'}==${literal(n)}`),
    ...(query.references ?? []).map((r) => `Reference==${literal(r)}`),
  ];
  const base = fixed.join(' AND ');
  if (selectors.length === 0) return [base];
  const clauses: string[] = [];
  for (let i = 0; i < selectors.length; i += PER_CALL) clauses.push(`${base} AND (${selectors.slice(i, i + PER_CALL).join(' OR ')})`);
  return clauses;
}

export async function xeroFindDocuments(deps: XeroClientDeps, session: ProviderSession, query: DocumentQuery): Promise<ProviderDocument[]> {
  const found = new Map<string, ProviderDocument>();
  for (const where of whereClauses(query)) {
    for (let page = 1; ; page++) {
      let batch: ProviderDocument[];
      if (query.kind === 'credit_note') {
        const body = await callXero(deps, session, 'getCreditNotes', (api, orgId) => api.getCreditNotes(orgId, undefined, where, 'Date ASC', page, undefined, PAGE_SIZE));
        batch = (body.creditNotes ?? []).map(fromCreditNote);
      } else {
        const kind = query.kind;
        const body = await callXero(deps, session, 'getInvoices', (api, orgId) =>
          // summaryOnly: no lines or payments, the cheapest read of numbers, totals and statuses.
          api.getInvoices(orgId, undefined, where, 'Date ASC', undefined, undefined, undefined, undefined, page, undefined, undefined, undefined, true, PAGE_SIZE));
        batch = (body.invoices ?? []).map((inv) => fromInvoice(kind, inv));
      }
      for (const doc of batch) if (doc.providerId) found.set(doc.providerId, doc);
      if (batch.length < PAGE_SIZE) break;
    }
  }
  return [...found.values()];
}
