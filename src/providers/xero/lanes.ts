// Dispatch of the lanes other than Invoices:create (see capabilities.ts): each lane's documents
// go to Xero through their own endpoint, with the calls and keys described in each module.
import { ProviderError, type DocumentOutcome, type DocumentToPush, type PreparedBatch, type ProviderSession } from '../types.ts';
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
  if (!MULTI_CALL.has(request.lane)) return send(deps, session, request as never, documentIds, idempotencyKey);
  // A batch of several calls may be half applied when one is held back: its later calls wait
  // for the governor rather than give up, and a rate limit that still ends it leaves the outcome
  // unknown, so the stored request is replayed with the same keys and never sent anew.
  const patient = { ...deps, maxGovernorWaitMs: Math.max(deps.maxGovernorWaitMs, FOLLOW_UP_GOVERNOR_WAIT_MS) };
  return send(patient, session, request as never, documentIds, idempotencyKey).catch((error: unknown) => {
    if (error instanceof ProviderError && error.kind === 'rate_limited') {
      throw new ProviderError('transient', `${error.message}; part of the batch may be applied, so it is replayed with the same keys`, { retryAfterMs: error.retryAfterMs, problem: error.problem });
    }
    throw error;
  });
}

/** Lanes whose batch takes several calls (a credit note and its allocations, payments and overpayments, deletes then creates). */
const MULTI_CALL: ReadonlySet<string> = new Set(['CreditNotes:create', 'Payments:create', 'Payments:change']);
const FOLLOW_UP_GOVERNOR_WAIT_MS = 120_000;
