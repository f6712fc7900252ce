import type { Logger } from 'pino';
import type { Database, Tx } from '../db/database.ts';
import type { BillStatus, DocumentStatus } from '../db/schema.ts';
import { conflict, notFound } from '../errors.ts';
import { enqueuePush } from '../jobs.ts';
import { currentDefaults } from './defaults.ts';
import { MANUAL_PUSH_REASON, RETRY_REASON, transition } from '../documents/lifecycle.ts';

async function lockDocument(tx: Tx, tenantId: string, documentId: string) {
  const doc = await tx
    .selectFrom('documents')
    .select(['id', 'tenant_id', 'kind', 'status', 'status_reason', 'defaults_version', 'bill_status'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', documentId)
    .forUpdate()
    .executeTakeFirst();
  if (!doc) throw notFound('document');
  return doc;
}

async function requireConnected(tx: Tx, tenantId: string) {
  const connection = await tx.selectFrom('connections').select('status').where('tenant_id', '=', tenantId).executeTakeFirst();
  if (connection?.status !== 'connected') {
    throw conflict('not_connected', `the tenant's accounting connection is ${connection?.status ?? 'missing'}; connect it first`);
  }
}

/** Manual push of a held document (automatic push off): queued with today's defaults snapshot. */
export async function pushManually(db: Database, logger: Logger, tenantId: string, documentId: string): Promise<DocumentStatus> {
  return db.transaction().execute(async (tx) => {
    const doc = await lockDocument(tx, tenantId, documentId);
    if (doc.status !== 'held') {
      throw conflict('not_pushable', `a ${doc.status} document cannot be pushed manually; only held documents can`, { status: doc.status });
    }
    await requireConnected(tx, tenantId);
    const defaults = await currentDefaults(tx, tenantId);
    const patch = doc.defaults_version === null ? { defaults_version: defaults.version, defaults_snapshot: JSON.stringify(defaults.settings) } : {};
    await transition(tx, doc, 'queued', { reason: MANUAL_PUSH_REASON, patch });
    await enqueuePush(tx, tenantId, new Date());
    logger.info({ tenantId, documentId }, 'document pushed manually');
    return 'queued' as const;
  });
}

/**
 * A failed document goes back to the queue with the defaults snapshot it was first queued with.
 * With an Idempotency-Key, a repeated request (a client retrying a lost answer) gets the first
 * answer again instead of a 409; the key is claimed in the same transaction as the retry.
 */
export async function retryFailed(db: Database, logger: Logger, tenantId: string, documentId: string, idempotencyKey?: string): Promise<DocumentStatus> {
  return db.transaction().execute(async (tx) => {
    const operation = `retry:${documentId}`;
    if (idempotencyKey) {
      const claimed = await tx
        .insertInto('api_idempotency_keys')
        .values({ tenant_id: tenantId, key: idempotencyKey, operation, status: 202, body: JSON.stringify({ status: 'queued' }) })
        .onConflict((oc) => oc.columns(['tenant_id', 'key']).doNothing())
        .returning('key')
        .executeTakeFirst();
      if (!claimed) {
        const earlier = await tx.selectFrom('api_idempotency_keys').select(['operation', 'body']).where('tenant_id', '=', tenantId).where('key', '=', idempotencyKey).executeTakeFirstOrThrow();
        if (earlier.operation !== operation) throw conflict('idempotency_key_reused', 'this Idempotency-Key was used for another request');
        return (earlier.body as { status: DocumentStatus }).status;
      }
    }
    const doc = await lockDocument(tx, tenantId, documentId);
    if (doc.status !== 'failed') throw conflict('not_failed', `only failed documents can be retried; this one is ${doc.status}`, { status: doc.status });
    await requireConnected(tx, tenantId);
    await transition(tx, doc, 'queued', { reason: RETRY_REASON, patch: { last_error: null } });
    await enqueuePush(tx, tenantId, new Date());
    logger.info({ tenantId, documentId }, 'failed document queued for retry');
    return 'queued' as const;
  });
}

/**
 * The platform's manual bill status (the supplier invoice being paid down). It never changes
 * the sync status, and the sync status never changes it.
 */
export async function setBillStatus(db: Database, tenantId: string, documentId: string, billStatus: BillStatus): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const doc = await lockDocument(tx, tenantId, documentId);
    if (doc.kind !== 'supplier_bill') throw conflict('not_a_bill', 'only supplier bills have a bill status');
    if (doc.bill_status === billStatus) return;
    await tx.updateTable('documents').set({ bill_status: billStatus, updated_at: new Date() }).where('id', '=', doc.id).execute();
    await tx
      .insertInto('document_events')
      .values({ document_id: doc.id, from_status: doc.status, to_status: doc.status, reason: `bill status set to ${billStatus}` })
      .execute();
  });
}

