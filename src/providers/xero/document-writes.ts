// Invoices:write and CreditNotes:write: updates (a newer version of a synced document) and voids,
// sent as one POST /Invoices (or /CreditNotes) with summarizeErrors=false, each element naming
// its InvoiceID (CreditNoteID). Xero's refusals (e.g. a document with a payment allocated) come
// back per element, in Xero's words.
import type { CreditNotes, Invoices } from 'xero-node';
import type { DocumentOutcome, DocumentToPush, PreparedBatch, ProviderSession } from '../types.ts';
import { decimalString, elementMessages, failed, type LaneRequest } from './batch-common.ts';
import { callXero } from './client.ts';
import { mapDocuments, type TaxRatesOf, type XeroDeps } from './map-documents.ts';
import { toXeroCreditNote, toXeroInvoice } from './mapping.ts';

type Endpoint = 'Invoices' | 'CreditNotes';
interface WriteRequest extends LaneRequest { endpoint: Endpoint; elements: Record<string, unknown>[] }

/**
 * Xero voids what was approved (AUTHORISED → VOIDED) and deletes what never was (DRAFT or
 * SUBMITTED → DELETED). A PAID document is sent as a void too, so Xero says why it can't be.
 */
const voidStatus = (providerStatus: string | null): 'VOIDED' | 'DELETED' =>
  providerStatus === 'DRAFT' || providerStatus === 'SUBMITTED' ? 'DELETED' : 'VOIDED';

/** An approved document cannot go back to draft: an update keeps it approved whatever the defaults say now. */
const updateStatus = (providerStatus: string | null, mapped: 'DRAFT' | 'AUTHORISED'): string =>
  providerStatus === 'AUTHORISED' || providerStatus === 'PAID' ? 'AUTHORISED' : mapped;

export async function prepareDocumentWrites(deps: XeroDeps, session: ProviderSession, lane: string, documents: readonly DocumentToPush[], taxRates: TaxRatesOf): Promise<PreparedBatch> {
  const endpoint: Endpoint = lane.startsWith('CreditNotes') ? 'CreditNotes' : 'Invoices';
  const idField = endpoint === 'Invoices' ? 'invoiceID' : 'creditNoteID';
  const refused: DocumentOutcome[] = [];
  const withId = documents.filter((doc) => {
    if (doc.providerId) return true;
    refused.push(failed(doc.documentId, [{ message: 'this document has no Xero record to change' }]));
    return false;
  });
  const updates = withId.filter((d) => d.operation === 'update');
  const { mapped, refused: unmapped } = await mapDocuments(deps, session, updates, taxRates, (doc, contactId, rates) => {
    if (endpoint === 'Invoices') {
      const r = toXeroInvoice(doc, contactId, rates);
      return 'errors' in r ? r : { model: { ...r.invoice, status: updateStatus(doc.providerStatus, r.invoice.status) } as Record<string, unknown> };
    }
    const r = toXeroCreditNote(doc, contactId, rates);
    return 'errors' in r ? r : { model: { ...r.creditNote, status: updateStatus(doc.providerStatus, r.creditNote.status) } as Record<string, unknown> };
  });
  refused.push(...unmapped);
  const models = new Map(mapped.map((m) => [m.doc.documentId, m.model]));
  const elements: Record<string, unknown>[] = [];
  const documentIds: string[] = [];
  for (const doc of withId) {
    if (doc.operation === 'void') elements.push({ [idField]: doc.providerId, status: voidStatus(doc.providerStatus) });
    else if (models.has(doc.documentId)) elements.push({ ...models.get(doc.documentId), [idField]: doc.providerId });
    else continue;
    documentIds.push(doc.documentId);
  }
  const request: WriteRequest = { lane, endpoint, elements };
  return { request, documentIds, refused };
}

interface WrittenDocument {
  invoiceID?: string; creditNoteID?: string; invoiceNumber?: string; creditNoteNumber?: string; status?: unknown;
  amountPaid?: number; amountDue?: number; hasErrors?: boolean; statusAttributeString?: string; validationErrors?: { message?: string }[];
}

export async function sendDocumentWrites(deps: XeroDeps, session: ProviderSession, request: WriteRequest, documentIds: readonly string[], idempotencyKey: string): Promise<DocumentOutcome[]> {
  if (request.elements.length === 0) return [];
  // One call: the batch's own key (nothing else is sent for this lane).
  const results: WrittenDocument[] = request.endpoint === 'Invoices'
    ? ((await callXero(deps, session, 'updateOrCreateInvoices', (api, orgId) =>
      api.updateOrCreateInvoices(orgId, { invoices: request.elements } as unknown as Invoices, false, 4, idempotencyKey))).invoices ?? [])
    : ((await callXero(deps, session, 'updateOrCreateCreditNotes', (api, orgId) =>
      api.updateOrCreateCreditNotes(orgId, { creditNotes: request.elements } as unknown as CreditNotes, false, 4, idempotencyKey))).creditNotes ?? []);
  return documentIds.map((documentId, index): DocumentOutcome => {
    const r = results[index];
    const id = r?.invoiceID ?? r?.creditNoteID;
    const messages = elementMessages(r);
    if (!r || r.hasErrors || r.statusAttributeString === 'ERROR' || messages.length > 0 || !id) {
      return failed(documentId, messages.length ? messages : [{ message: `Xero returned nothing for this document` }]);
    }
    return {
      documentId, status: 'synced', providerId: id, providerNumber: r.invoiceNumber ?? r.creditNoteNumber ?? null,
      providerStatus: r.status ? String(r.status) : null,
      ...(request.endpoint === 'Invoices' ? { amountPaid: decimalString(r.amountPaid), amountDue: decimalString(r.amountDue) } : {}),
    };
  });
}
