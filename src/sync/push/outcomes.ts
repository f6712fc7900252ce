import type { Database } from '../../db/database.ts';
import type { ClaimedDocument, DocumentKind } from '../../db/schema.ts';
import type { NewFeedEvent } from '../../feed/types.ts';
import type { FeedWriter } from '../../feed/writer.ts';
import { addJobs, type JobSpec } from '../../jobs.ts';
import type { DocumentOutcome } from '../../providers/types.ts';
import { releaseWaitingFor, transition } from '../../documents/lifecycle.ts';
import { referenceKey, referencesOf } from '../operations.ts';
import { requestInvoiceRefresh } from '../payments/refresh-queue.ts';
import { finishRun, recordItems, type RunItem } from '../runs.ts';
import { finishAttempts, lockDocs } from './batches.ts';

/** Kinds whose sync changes what an invoice has paid or credited at the provider. */
const MOVES_MONEY: ReadonlySet<DocumentKind> = new Set(['payment', 'credit_note']);

/**
 * Records the provider's per-document answer: synced (or voided) with the provider's ids, or
 * failed with its messages. Each outcome is applied against what the document was claimed as
 * (version, snapshot, operation); a newer version that arrived meanwhile is routed again, so no
 * edit is lost behind a push in flight. Documents waiting for one synced here are routed again,
 * and invoices a payment or credit note touched are read back for their amounts.
 */
export async function applyOutcomes(
  db: Database,
  feed: FeedWriter,
  batchId: string,
  outcomes: readonly DocumentOutcome[],
  opts: { closeBatch: boolean; /** Why, per document, where the history should say more than the outcome (settled by a look-up). */ reasons?: ReadonlyMap<string, string> },
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const batch = await tx.selectFrom('push_batches').select(['tenant_id', 'run_id', 'documents']).where('id', '=', batchId).executeTakeFirstOrThrow();
    const claimedById = new Map((batch.documents as ClaimedDocument[] | null ?? []).map((d) => [d.id, d]));
    const byId = new Map(outcomes.map((o) => [o.documentId, o]));
    const events: NewFeedEvent[] = [];
    const items: RunItem[] = [];
    const jobs: JobSpec[] = [];
    const nowAtProvider: string[] = [];
    for (const doc of await lockDocs(tx, [...byId.keys()])) {
      const outcome = byId.get(doc.id)!;
      if (doc.status !== 'pushing' && doc.status !== 'uncertain') continue; // already settled
      const claimed = claimedById.get(doc.id) ?? { id: doc.id, version: doc.source_version, operation: 'create', source: doc.source as Record<string, unknown> };
      const subject = { document_id: doc.id, kind: doc.kind, source_id: doc.source_id };
      if (outcome.status === 'failed') {
        const message = outcome.errors.map((e) => e.message).join('; ').slice(0, 1000);
        events.push({ type: 'document.failed', data: { ...subject, operation: claimed.operation, version: claimed.version, errors: outcome.errors } });
        items.push({ itemType: 'document', itemId: doc.id, outcome: 'failed', message, errors: outcome.errors });
        await transition(tx, doc, 'failed', { reason: message, patch: { last_error: JSON.stringify({ operation: claimed.operation, version: claimed.version, provider_errors: outcome.errors }) } });
        await finishAttempts(tx, batchId, [doc.id], 'failed', () => outcome.errors);
        // A refused edit leaves the provider's copy as it was: what waited for the edit goes on with it.
        if (claimed.operation === 'update') nowAtProvider.push(referenceKey({ kind: doc.kind, sourceId: doc.source_id }));
        continue;
      }
      if (claimed.operation !== 'void') nowAtProvider.push(referenceKey({ kind: doc.kind, sourceId: doc.source_id }));
      const voided = claimed.operation === 'void';
      const label = outcome.providerNumber ?? outcome.providerId;
      events.push(
        voided
          ? { type: 'document.voided', data: { ...subject, provider_id: outcome.providerId, provider_status: outcome.providerStatus ?? null, version: claimed.version } }
          : { type: 'document.synced', data: { ...subject, provider_id: outcome.providerId, provider_number: outcome.providerNumber, operation: claimed.operation, version: claimed.version } },
      );
      const found = opts.reasons?.has(doc.id) ? ' (found at the provider, not sent again)' : '';
      items.push({ itemType: 'document', itemId: doc.id, outcome: 'succeeded', message: `${voided ? `voided ${label}` : claimed.operation === 'update' ? `version ${claimed.version} updated ${label}` : `synced as ${label}`}${found}` });
      await transition(tx, doc, voided ? 'voided' : 'synced', {
        reason: opts.reasons?.get(doc.id) ?? (claimed.operation === 'create' ? null : `version ${claimed.version} ${voided ? 'voided' : 'updated'} at the provider`),
        patch: {
          provider_id: outcome.providerId,
          provider_number: outcome.providerNumber,
          ...(outcome.providerRefs !== undefined ? { provider_refs: JSON.stringify(outcome.providerRefs) } : {}),
          ...(outcome.providerStatus !== undefined ? { provider_status: outcome.providerStatus } : {}),
          ...(outcome.amountPaid !== undefined ? { amount_paid: outcome.amountPaid } : {}),
          ...(outcome.amountDue !== undefined ? { amount_due: outcome.amountDue } : {}),
          synced_version: claimed.version,
          synced_source: JSON.stringify(claimed.source),
          last_error: null,
        },
      });
      await finishAttempts(tx, batchId, [doc.id], 'synced');
      if (!voided && doc.source_version > claimed.version) {
        await transition(tx, { id: doc.id, status: 'synced' }, 'received', { reason: `version ${doc.source_version} arrived while version ${claimed.version} was being pushed; routing again` });
        jobs.push({ task: 'route_document', payload: { document_id: doc.id } });
      }
      if (MOVES_MONEY.has(doc.kind) || (voided && doc.kind === 'sales_invoice')) {
        const invoiceIds = referencesOf(doc.kind, claimed.source).map((r) => r.sourceId);
        if (doc.kind === 'sales_invoice') invoiceIds.push(doc.source_id);
        await requestInvoiceRefresh(tx, batch.tenant_id, { sourceIds: invoiceIds });
      }
    }
    for (const id of await releaseWaitingFor(tx, batch.tenant_id, nowAtProvider)) jobs.push({ task: 'route_document', payload: { document_id: id } });
    if (batch.run_id) await recordItems(tx, batch.run_id, items);
    if (opts.closeBatch) {
      await tx.updateTable('push_batches').set({ status: 'done', updated_at: new Date() }).where('id', '=', batchId).execute();
      if (batch.run_id) await finishRun(tx, batch.run_id, { status: 'succeeded' });
      events.push({ type: 'sync_run.finished', data: { run_id: batch.run_id, kind: 'push', status: 'succeeded' } });
    }
    await addJobs(tx, jobs);
    await feed.appendEvents(tx, batch.tenant_id, events);
  });
}

