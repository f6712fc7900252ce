// Dispatch of the lanes other than Invoices:create (see capabilities.ts): each lane's documents
// go to Xero through their own endpoint, with the calls and keys described in each module.
import type { DocumentOutcome, DocumentToPush, PreparedBatch, ProviderSession } from '../types.ts';
import type { LaneRequest } from './batch-common.ts';
import { prepareCreditNotes, sendCreditNotes } from './credit-notes.ts';
import { prepareDocumentWrites, sendDocumentWrites } from './document-writes.ts';
import type { TaxRatesOf, XeroDeps } from './map-documents.ts';
import { preparePaymentChanges, sendPaymentChanges } from './payment-changes.ts';
import { preparePayments, sendPayments } from './payments.ts';

export function prepareLane(deps: XeroDeps, session: ProviderSession, lane: string, documents: readonly DocumentToPush[], taxRates: TaxRatesOf): Promise<PreparedBatch> {
  switch (lane) {
    case 'Invoices:write':
    case 'CreditNotes:write':
      return prepareDocumentWrites(deps, session, lane, documents, taxRates);
    case 'CreditNotes:create':
      return prepareCreditNotes(deps, session, lane, documents, taxRates);
    case 'Payments:create':
      return preparePayments(deps, session, lane, documents);
    case 'Payments:change':
      return preparePaymentChanges(deps, session, lane, documents);
    default:
      throw new Error(`Xero has no lane ${lane}`);
  }
}

export function sendLane(deps: XeroDeps, session: ProviderSession, request: LaneRequest, documentIds: readonly string[], idempotencyKey: string): Promise<DocumentOutcome[]> {
  const send = {
    'Invoices:write': sendDocumentWrites,
    'CreditNotes:write': sendDocumentWrites,
    'CreditNotes:create': sendCreditNotes,
    'Payments:create': sendPayments,
    'Payments:change': sendPaymentChanges,
  }[request.lane] as ((d: XeroDeps, s: ProviderSession, r: never, ids: readonly string[], k: string) => Promise<DocumentOutcome[]>) | undefined;
  if (!send) throw new Error(`Xero has no lane ${request.lane}`);
  return send(deps, session, request as never, documentIds, idempotencyKey);
}
