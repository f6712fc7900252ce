import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database, Tx } from '../db/database.ts';
import type { BillStatus, DocumentKind, DocumentStatus } from '../db/schema.ts';
import { conflict, notFound } from '../errors.ts';
import { enqueuePush } from '../jobs.ts';
import { currentDefaults } from './defaults.ts';
import { MANUAL_PUSH_REASON, RETRY_REASON, queueFailedDocuments, transition } from '../documents/lifecycle.ts';

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
    if (idempotencyKey) {
      const earlier = await claimIdempotencyKey(tx, tenantId, idempotencyKey, `retry:${documentId}`, { status: 'queued' });
      if (earlier) return (earlier.body as { status: DocumentStatus }).status;
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
 * Claims an Idempotency-Key for `operation` in the caller's transaction, storing `answer` as
 * what a repeat gets (settleIdempotencyKey replaces it once the answer is known). A key already
 * claimed for the same operation returns the earlier answer; for another operation it is a 409.
 * The claim rolls back with the transaction, so a request that fails leaves its key unused; a
 * concurrent request with the same key waits on the claim and then gets the first answer.
 */
async function claimIdempotencyKey(tx: Tx, tenantId: string, key: string, operation: string, answer: unknown): Promise<{ body: unknown } | undefined> {
  const claimed = await tx
    .insertInto('api_idempotency_keys')
    .values({ tenant_id: tenantId, key, operation, status: 202, body: JSON.stringify(answer) })
    .onConflict((oc) => oc.columns(['tenant_id', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  if (claimed) return undefined;
  const earlier = await tx.selectFrom('api_idempotency_keys').select(['operation', 'body']).where('tenant_id', '=', tenantId).where('key', '=', key).executeTakeFirstOrThrow();
  if (earlier.operation !== operation) throw conflict('idempotency_key_reused', 'this Idempotency-Key was used for another request');
  return { body: earlier.body };
}

async function settleIdempotencyKey(tx: Tx, tenantId: string, key: string, answer: unknown): Promise<void> {
  await tx.updateTable('api_idempotency_keys').set({ body: JSON.stringify(answer) }).where('tenant_id', '=', tenantId).where('key', '=', key).execute();
}

/** Narrows a bulk retry; absent fields narrow nothing. */
export interface BulkRetryFilter {
  readonly kind?: DocumentKind;
  readonly ids?: readonly string[];
}

export interface BulkRetryResult {
  readonly count: number;
  readonly document_ids: string[];
}

/** Documents moved per statement: bounded statements and memory however many have failed. */
export const BULK_RETRY_CHUNK = 1000;

/**
 * The request a bulk retry's Idempotency-Key stands for: the same filter (ids in any order or
 * case, repeated or not) is the same request; anything else is another one.
 */
function bulkRetryOperation(filter: BulkRetryFilter): string {
  const ids = filter.ids ? [...new Set(filter.ids.map((id) => id.toLowerCase()))].sort() : null;
  return `retry_failed:${createHash('sha256').update(JSON.stringify({ kind: filter.kind ?? null, ids })).digest('base64url')}`;
}

/**
 * Every failed document of the tenant (or those of `filter`) back to the queue, as retryFailed
 * does for one, in one transaction: chunks of BULK_RETRY_CHUNK set-based moves through the
 * lifecycle, one push job for them all, and the Idempotency-Key's answer (the ids moved),
 * committed together. Documents that are not failed are left as they are.
 */
export async function retryAllFailed(
  db: Database,
  logger: Logger,
  tenantId: string,
  filter: BulkRetryFilter,
  idempotencyKey?: string,
  opts: { chunkSize?: number } = {},
): Promise<BulkRetryResult> {
  const chunkSize = opts.chunkSize ?? BULK_RETRY_CHUNK;
  return db.transaction().execute(async (tx) => {
    if (idempotencyKey) {
      const earlier = await claimIdempotencyKey(tx, tenantId, idempotencyKey, bulkRetryOperation(filter), {});
      if (earlier) return earlier.body as BulkRetryResult;
    }
    await requireConnected(tx, tenantId);
    const ids: string[] = [];
    let afterSeq: string | undefined;
    for (;;) {
      const moved = await queueFailedDocuments(tx, tenantId, { kind: filter.kind, ids: filter.ids, afterSeq, limit: chunkSize, reason: RETRY_REASON });
      for (const doc of moved) ids.push(doc.id);
      if (moved.length < chunkSize) break;
      afterSeq = moved.at(-1)!.seq;
    }
    if (ids.length > 0) await enqueuePush(tx, tenantId, new Date());
    const result: BulkRetryResult = { count: ids.length, document_ids: ids };
    if (idempotencyKey) await settleIdempotencyKey(tx, tenantId, idempotencyKey, result);
    logger.info({ tenantId, count: ids.length, kind: filter.kind, narrowedToIds: filter.ids?.length }, 'failed documents queued for retry');
    return result;
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

