import { ProviderError, type DocumentOutcome, type ProviderMessage, type ProviderSession } from '../types.ts';
import { batchRequestId, callQuickBooks, faultCode, faultMessages, type QuickBooksClientDeps } from './client.ts';
import { creditApplicationPayment } from './money.ts';
import { readRecords, type BatchItem, type PlannedDocument, type QboBatchRequest, type QboRecord } from './plan.ts';

type Answer = { bId: string; Fault?: unknown } & Record<string, unknown>;
type Entity = { Id?: string; DocNumber?: string; SyncToken?: string; TotalAmt?: number; Balance?: number; UnappliedAmt?: number; PaymentRefNum?: string; status?: string; PrivateNote?: string } & Record<string, unknown>;

const STALE_OBJECT = '5010';
/** How long a call after the first waits for the rate governor: the first may already have written. */
const FOLLOW_UP_GOVERNOR_WAIT_MS = 120_000;
const money = (n: number | undefined) => (Math.round((n ?? 0) * 100) / 100).toFixed(2);
const entityKey = (item: BatchItem) => Object.keys(item).find((k) => k !== 'bId' && k !== 'operation' && k !== 'optionsData')!;

/** An invoice's status as QuickBooks shows it. */
export function invoiceStatus(inv: { TotalAmt?: number; Balance?: number; PrivateNote?: string }): string {
  if (typeof inv.PrivateNote === 'string' && inv.PrivateNote.startsWith('Voided') && (inv.TotalAmt ?? 0) === 0) return 'Voided';
  const total = inv.TotalAmt ?? 0;
  const balance = inv.Balance ?? total;
  if (total > 0 && balance <= 0) return 'Paid';
  return balance < total ? 'PartiallyPaid' : 'Open';
}

/**
 * Sends a planned batch: the first call under `idempotencyKey`, then at most two more calls, each
 * with a key derived from it, so a replay repeats every call under the same requestid and
 * QuickBooks answers each as the first time:
 *   `-r1` the items refused for a stale SyncToken (5010), read again and resent once;
 *   `-a1` what needs the first answers: credit memo applications (a Payment of 0 linking the
 *         invoices and the new CreditMemo) and credit memo deletes once their payments are gone.
 */
export async function sendPlannedBatch(deps: QuickBooksClientDeps, session: ProviderSession, request: QboBatchRequest, documentIds: readonly string[], idempotencyKey: string): Promise<DocumentOutcome[]> {
  const answers = await batchCall(deps, session, request.BatchItemRequest, idempotencyKey, '');
  // Once the first call may have written, a rate limit must not end the batch as "not sent":
  // later calls wait for the governor, and a limit that still stops one leaves the outcome
  // unknown, so the stored request is replayed with the same requestids and never sent anew.
  const patient = { ...deps, maxGovernorWaitMs: Math.max(deps.maxGovernorWaitMs, FOLLOW_UP_GOVERNOR_WAIT_MS) };
  try {
    return await sendRest(patient, session, request, documentIds, idempotencyKey, answers);
  } catch (error) {
    if (error instanceof ProviderError && error.kind === 'rate_limited') {
      throw new ProviderError('transient', `${error.message}; part of the batch may be applied, so it is replayed with the same requestids`, { retryAfterMs: error.retryAfterMs, problem: error.problem });
    }
    throw error;
  }
}

async function batchCall(deps: QuickBooksClientDeps, session: ProviderSession, items: BatchItem[], idempotencyKey: string, suffix: string): Promise<Map<string, Answer>> {
  if (items.length === 0) return new Map();
  const body = await callQuickBooks<{ BatchItemResponse?: Answer[] }>(deps, session, 'batch', {
    method: 'POST',
    path: 'batch',
    query: { requestid: batchRequestId('lp-', `${idempotencyKey}${suffix}`) },
    body: { BatchItemRequest: items },
  });
  return new Map((body.BatchItemResponse ?? []).map((r) => [r.bId, r]));
}

/** The calls after the first: stale SyncTokens resent, then what needs the first answers. */
async function sendRest(
  deps: QuickBooksClientDeps,
  session: ProviderSession,
  request: QboBatchRequest,
  documentIds: readonly string[],
  idempotencyKey: string,
  answers: Map<string, Answer>,
): Promise<DocumentOutcome[]> {
  const call = (items: BatchItem[], suffix: string) => batchCall(deps, session, items, idempotencyKey, suffix);
  const documents = request.documents ?? legacyPlan(request, documentIds);
  // Stale SyncTokens: someone changed the record since it was read; read it again and resend once.
  const stale = request.BatchItemRequest.filter((item) => faultCode(answers.get(item.bId)) === STALE_OBJECT);
  if (stale.length > 0) {
    const fresh = await readRecords({ deps, session }, stale.map((item) => ({ entity: entityKey(item), id: String((item[entityKey(item)] as QboRecord).Id) })));
    const resend = stale.flatMap((item): BatchItem[] => {
      const entity = entityKey(item);
      const body = item[entity] as QboRecord;
      const now = fresh.get(`${entity}:${body.Id}`);
      return now ? [{ ...item, [entity]: { ...body, SyncToken: now.SyncToken } }] : [];
    });
    for (const [bId, answer] of await call(resend, '-r1')) answers.set(bId, answer);
  }

  // Second step: credit memo applications and deletes that depend on the first answers.
  const followUps: BatchItem[] = [];
  const toRefresh: string[] = [];
  documents.forEach((doc, index) => {
    const first = answers.get(doc.bIds[0] ?? '');
    if (!doc.then || doc.bIds.some((b) => answers.get(b)?.Fault)) return;
    if ('apply' in doc.then) {
      const memo = first?.CreditMemo as (Entity & { Id: string }) | undefined;
      if (memo?.Id) followUps.push({ bId: String(index), operation: 'create', Payment: creditApplicationPayment(memo, doc.then.apply) });
    } else {
      toRefresh.push(doc.then.deleteCreditMemo.Id);
      followUps.push({ bId: String(index), operation: 'delete', CreditMemo: doc.then.deleteCreditMemo });
    }
  });
  if (toRefresh.length > 0) {
    // Freeing a credit memo changes its SyncToken: delete it at the current one (on a replay it is gone already and the answer is replayed).
    const fresh = await readRecords({ deps, session }, toRefresh.map((id) => ({ entity: 'CreditMemo', id })));
    for (const item of followUps) {
      const memo = item.operation === 'delete' ? (item.CreditMemo as QboRecord) : undefined;
      const now = memo ? fresh.get(`CreditMemo:${memo.Id}`) : undefined;
      if (memo && now) item.CreditMemo = { Id: memo.Id, SyncToken: now.SyncToken };
    }
  }
  const second = await call(followUps, '-a1');

  return documents.map((doc, index) => outcome(doc, doc.bIds.map((b) => answers.get(b)), doc.then ? second.get(String(index)) : undefined));
}

/** Requests stored before plans existed: one create per document, bId = index. */
function legacyPlan(request: QboBatchRequest, documentIds: readonly string[]): PlannedDocument[] {
  return documentIds.map((documentId, index) => {
    const item = request.BatchItemRequest.find((i) => i.bId === String(index));
    return { documentId, entity: (item && item.Invoice ? 'Invoice' : 'Bill'), operation: 'create', bIds: [String(index)] };
  });
}

function outcome(doc: PlannedDocument, firsts: (Answer | undefined)[], then: Answer | undefined): DocumentOutcome {
  const { documentId } = doc;
  const failed = (errors: ProviderMessage[]): DocumentOutcome => ({ documentId, status: 'failed', errors });
  if (doc.gone) return { documentId, status: 'synced', providerId: doc.providerId ?? '', providerNumber: null, providerStatus: 'Deleted', ...(doc.refs ? { providerRefs: doc.refs } : {}) };
  if (firsts.some((a) => !a)) return failed([{ message: 'QuickBooks returned no result for this document' }]);
  const fault = firsts.find((a) => a!.Fault);
  if (fault) return failed(faultMessages(fault));
  const entity = (firsts[0]![doc.entity] ?? (doc.then && 'deleteCreditMemo' in doc.then ? { Id: doc.then.deleteCreditMemo.Id } : undefined)) as Entity | undefined;
  if (!entity?.Id) return failed([{ message: 'QuickBooks returned no record for this document' }]);
  const base = { documentId, status: 'synced' as const, providerId: entity.Id, providerNumber: (entity.DocNumber ?? null) as string | null };

  if (doc.operation === 'void') {
    if (doc.then) {
      if (!then || then.Fault) return failed(then ? faultMessages(then) : [{ message: 'QuickBooks returned no result for deleting the credit memo' }]);
    }
    const status = entity.status === 'Deleted' || doc.entity !== 'Invoice' && doc.entity !== 'Payment' ? 'Deleted' : 'Voided';
    return { ...base, providerNumber: base.providerNumber, providerStatus: status, ...(doc.entity === 'Invoice' ? { amountPaid: '0.00', amountDue: '0.00' } : {}), ...(doc.refs ? { providerRefs: doc.refs } : {}) };
  }
  if (doc.entity === 'Payment') {
    const unapplied = entity.UnappliedAmt ?? 0;
    return { ...base, providerNumber: entity.PaymentRefNum ?? null, providerRefs: { providerPaymentIds: [entity.Id] }, providerStatus: unapplied > 0 ? `Unapplied ${money(unapplied)}` : 'Applied' };
  }
  if (doc.entity === 'CreditMemo' && doc.then && 'apply' in doc.then) {
    // The credit memo exists whatever happens to its application: reporting a failure would create it again on retry.
    const payment = then?.Payment as Entity | undefined;
    if (payment?.Id) return { ...base, providerRefs: { providerPaymentIds: [payment.Id], applicationPaymentIds: [payment.Id] }, providerStatus: 'Applied' };
    return { ...base, providerRefs: { providerPaymentIds: [], applicationPaymentIds: [], applicationErrors: then ? faultMessages(then) : [{ message: 'not applied' }] }, providerStatus: 'Unapplied' };
  }
  if (doc.entity === 'Invoice' && doc.operation === 'update') {
    const total = entity.TotalAmt ?? 0;
    const balance = entity.Balance ?? total;
    return { ...base, amountPaid: money(total - balance), amountDue: money(balance), providerStatus: invoiceStatus(entity), ...(doc.refs ? { providerRefs: doc.refs } : {}) };
  }
  if (doc.operation === 'update') return { ...base, ...(doc.refs ? { providerRefs: doc.refs } : {}) };
  return base;
}
