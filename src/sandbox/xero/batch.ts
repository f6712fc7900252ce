// Xero batch-write semantics shared by Contacts, Invoices and PurchaseOrders.
//  summarizeErrors=true (default): any invalid element → 400 ValidationException, nothing is saved.
//  summarizeErrors=false: 200, each element carries StatusAttributeString OK/ERROR.
import type { OrgState } from './store.ts';
import type { JsonObject } from './types.ts';
import { envelope, validationException } from './xero-format.ts';

export type ItemResult = { ok: true; out: JsonObject } | { ok: false; errors: string[]; echo: JsonObject };

export interface BatchResponse { status: 200 | 400; body: JsonObject }

// Records are replaced, never mutated in place, so copying the maps is a complete snapshot.
export function snapshot(org: OrgState): () => void {
  const contacts = new Map(org.contacts);
  const invoices = new Map(org.invoices);
  const purchaseOrders = new Map(org.purchaseOrders);
  const creditNotes = new Map(org.creditNotes);
  const allocations = new Map(org.allocations);
  const payments = new Map(org.payments);
  const overpayments = new Map(org.overpayments);
  const seq = org.nextInvoiceNumber;
  const poSeq = org.nextPurchaseOrderNumber;
  const cnSeq = org.nextCreditNoteNumber;
  return () => {
    org.contacts = contacts;
    org.invoices = invoices;
    org.nextInvoiceNumber = seq;
    org.purchaseOrders = purchaseOrders;
    org.nextPurchaseOrderNumber = poSeq;
    org.creditNotes = creditNotes;
    org.allocations = allocations;
    org.payments = payments;
    org.overpayments = overpayments;
    org.nextCreditNoteNumber = cnSeq;
  };
}

export function runBatch(
  org: OrgState,
  key: 'Invoices' | 'Contacts' | 'PurchaseOrders' | 'CreditNotes' | 'Payments' | 'BankTransactions' | 'Allocations',
  items: unknown[],
  summarize: boolean,
  now: number,
  processOne: (item: JsonObject, index: number) => ItemResult,
): BatchResponse {
  const restore = snapshot(org);
  const results = items.map((item, i): ItemResult => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) return { ok: false, errors: ['Invalid element'], echo: {} };
    // A failed element leaves no trace (e.g. a contact it would have created).
    const undoItem = snapshot(org);
    const r = processOne(item as JsonObject, i);
    if (!r.ok) undoItem();
    return r;
  });
  const failed = results.filter((r): r is Extract<ItemResult, { ok: false }> => !r.ok);
  if (summarize && failed.length > 0) {
    restore();
    return {
      status: 400,
      body: validationException(failed.map((f) => ({ ...f.echo, ValidationErrors: f.errors.map((Message) => ({ Message })) }))),
    };
  }
  const list = results.map((r): JsonObject => {
    if (r.ok) return summarize ? r.out : { ...r.out, StatusAttributeString: 'OK' };
    return {
      ...r.echo,
      HasErrors: true,
      StatusAttributeString: 'ERROR',
      ValidationErrors: r.errors.map((Message) => ({ Message })),
    };
  });
  return { status: 200, body: envelope(now, { [key]: list }) };
}

/** `summarizeErrors` query flag; Xero's default is true. */
export function summarizeFlag(q: string | undefined): boolean {
  return q === undefined || q.toLowerCase() !== 'false';
}
