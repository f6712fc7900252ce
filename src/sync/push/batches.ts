import { createHash, randomUUID } from 'node:crypto';
import type { NewFeedEvent } from '../../feed/types.ts';
import type { RunItem } from '../runs.ts';
import { sql } from 'kysely';
import type { Database, Tx } from '../../db/database.ts';
import type { ClaimedDocument, DocumentStatus, ProviderName } from '../../db/schema.ts';
import { CAPABILITIES } from '../../providers/capabilities.ts';
import { operationOf, referencesOf, resolveReferences } from '../operations.ts';
import type { DocumentOperation, DocumentOutcome, DocumentToPush } from '../../providers/types.ts';
import { BUILT_IN_DEFAULTS, type PostingDefaults } from '../../documents/posting-defaults.ts';
import type { FeedWriter } from '../../feed/writer.ts';
import { MANUAL_PUSH_REASON, RETRY_REASON, transition } from '../../documents/lifecycle.ts';
import { createRun, finishRun, recordItems, setProgress } from '../runs.ts';

/**
 * The provider's Idempotency-Key for one create request: derived from the documents' ids and
 * versions and the batch's own id. A replay of the same batch reuses it (stored with the batch);
 * a later retry of a failed document is a new batch, so it never replays an old failure.
 */
export function idempotencyKeyFor(batchId: string, documents: readonly { id: string; version: number }[]): string {
  const material = [...documents].map((d) => `${d.id}:${d.version}`).sort().join(',');
  return `lp-${createHash('sha256').update(`${batchId}|${material}`).digest('base64url').slice(0, 40)}`;
}

export interface ClaimedBatch {
  readonly id: string;
  readonly idempotencyKey: string;
  readonly documents: DocumentToPush[];
}

/** How far ahead of the oldest queued document a claim looks for others of its lane. */
const CLAIM_WINDOW = 500;

const changedFields = (before: Record<string, unknown> | null, after: Record<string, unknown>): string[] =>
  before === null
    ? []
    : [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => k !== 'version' && JSON.stringify(before[k]) !== JSON.stringify(after[k])).sort();

/**
 * Moves up to `limit` queued documents of a tenant to pushing, as one recorded batch: the oldest
 * queued document and the ones after it that share its lane (one provider request). On the way,
 * a document voided before it was sent is voided without sending, and one whose references are
 * not at the provider (any more) waits for them again.
 */
export async function claimBatch(db: Database, tenantId: string, provider: ProviderName, limit: number): Promise<ClaimedBatch | undefined> {
  const capabilities = CAPABILITIES[provider];
  return db.transaction().execute(async (tx) => {
    const window = await tx
      .selectFrom('documents')
      .select(['id', 'status', 'kind', 'provider_id', 'source_version', 'synced_version', sql<Record<string, unknown>>`jsonb_build_object('voided', source->'voided')`.as('source')])
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'queued')
      .orderBy('seq')
      .limit(CLAIM_WINDOW)
      .forUpdate()
      .skipLocked()
      .execute();
    let lane: string | undefined;
    const chosen: { id: string; operation: DocumentOperation }[] = [];
    for (const doc of window) {
      const derived = operationOf(doc);
      if (derived === 'cancel') {
        await transition(tx, doc, 'voided', { reason: 'voided before it reached the provider; nothing was sent' });
        continue;
      }
      const operation = derived === 'nothing' ? 'update' : derived;
      const docLane = capabilities.lane(doc.kind, operation);
      lane ??= docLane;
      if (docLane === lane && chosen.length < limit) chosen.push({ id: doc.id, operation });
    }
    if (chosen.length === 0) return undefined;

    const rows = await tx
      .selectFrom('documents')
      .select(['id', 'status', 'status_reason', 'kind', 'source_version', 'source', 'defaults_snapshot', 'provider_id', 'provider_refs', 'provider_status', 'synced_version', 'synced_source'])
      .where('id', 'in', chosen.map((c) => c.id))
      .orderBy('seq')
      .execute();
    const operationOfId = new Map(chosen.map((c) => [c.id, c.operation]));
    const docs: (typeof rows[number] & { operation: DocumentOperation; related: DocumentToPush['related'] })[] = [];
    for (const row of rows) {
      const operation = operationOfId.get(row.id)!;
      const source = row.source as Record<string, unknown>;
      const { related, waiting } = operation === 'void' ? { related: {}, waiting: null } : await resolveReferences(tx, tenantId, referencesOf(row.kind, source));
      if (waiting) {
        await transition(tx, row, 'held', { reason: waiting.reason, patch: { waits_for: waiting.keys } });
        continue;
      }
      docs.push({ ...row, operation, related });
    }
    if (docs.length === 0) return undefined;

    const batchId = randomUUID();
    const key = idempotencyKeyFor(batchId, docs.map((d) => ({ id: d.id, version: d.source_version })));
    // A batch made only of documents someone pushed or retried over the API is a manual run.
    const manual = docs.every((d) => d.status_reason === MANUAL_PUSH_REASON || d.status_reason === RETRY_REASON);
    const runId = await createRun(tx, { tenantId, kind: 'push', trigger: manual ? 'manual' : 'automation', status: 'running' });
    const claimed: ClaimedDocument[] = docs.map((d) => ({ id: d.id, version: d.source_version, operation: d.operation, source: d.source as Record<string, unknown> }));
    await tx
      .insertInto('push_batches')
      .values({ id: batchId, tenant_id: tenantId, provider, idempotency_key: key, document_ids: docs.map((d) => d.id), status: 'sending', run_id: runId, documents: JSON.stringify(claimed) })
      .execute();
    for (const doc of docs) {
      const changes = doc.operation === 'update' ? changedFields(doc.synced_source as Record<string, unknown> | null, doc.source as Record<string, unknown>) : [];
      const reason = doc.operation === 'create' ? null : `version ${doc.source_version}: ${doc.operation}${changes.length ? ` (changed: ${changes.join(', ')})` : ''}`;
      await transition(tx, doc, 'pushing', { reason, patch: { push_batch_id: batchId } });
    }
    await tx
      .insertInto('sync_attempts')
      .values(docs.map((d) => ({ document_id: d.id, source_version: d.source_version, push_batch_id: batchId })))
      .execute();
    return {
      id: batchId,
      idempotencyKey: key,
      documents: docs.map((d) => ({
        documentId: d.id,
        kind: d.kind,
        version: d.source_version,
        source: d.source as Record<string, unknown>,
        defaults: { ...BUILT_IN_DEFAULTS, ...(d.defaults_snapshot as Partial<PostingDefaults> | null) },
        operation: d.operation,
        providerId: d.provider_id,
        providerRefs: d.provider_refs as Record<string, unknown> | null,
        providerStatus: d.provider_status,
        syncedVersion: d.synced_version,
        related: d.related,
      })),
    };
  });
}

/**
 * Stores the request about to be sent, unless the batch was settled meanwhile. A pusher whose
 * lock connection died keeps running while another takes the tenant over, and that one requeues
 * a batch it finds without a request (deferBatch, unsentOnly): false then, and the request must
 * not be sent (its documents go up in another batch, under another key).
 */
export async function storeRequest(db: Database, batchId: string, request: unknown, documentIds: readonly string[]): Promise<boolean> {
  const result = await db
    .updateTable('push_batches')
    .set({ request: JSON.stringify({ body: request, documentIds }), updated_at: new Date() })
    .where('id', '=', batchId)
    .where('status', '=', 'sending')
    .where('request', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function lockDocs(tx: Tx, ids: readonly string[]) {
  if (ids.length === 0) return [];
  return tx.selectFrom('documents').select(['id', 'status', 'kind', 'source_id', 'source_version', 'source']).where('id', 'in', ids).orderBy('id').forUpdate().execute();
}

export async function finishAttempts(tx: Tx, batchId: string, ids: readonly string[], outcome: 'synced' | 'failed' | 'uncertain' | 'deferred', errors?: (id: string) => unknown) {
  for (const id of ids) {
    await tx
      .updateTable('sync_attempts')
      .set({ finished_at: new Date(), outcome, provider_errors: errors ? JSON.stringify(errors(id) ?? null) : null })
      .where('push_batch_id', '=', batchId)
      .where('document_id', '=', id)
      .where('finished_at', 'is', null)
      .execute();
  }
}

/** The request never reached the provider (or was refused before being applied): back to the queue, no attempt spent. */
/**
 * `unsentOnly`: only if the batch's request was never stored (checked under the batch's row lock,
 * so a pusher storing it at the same moment either wins and sends, or finds the batch settled and
 * does not); false when it was stored, and nothing changes.
 */
export async function deferBatch(db: Database, feed: FeedWriter, batchId: string, ids: readonly string[], reason: string, to: Extract<DocumentStatus, 'queued' | 'held'> = 'queued', opts: { unsentOnly?: boolean } = {}): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    let query = tx.selectFrom('push_batches').select(['tenant_id', 'run_id', 'request', 'status']).where('id', '=', batchId);
    if (opts.unsentOnly) query = query.forUpdate();
    const batch = await query.executeTakeFirstOrThrow();
    if (opts.unsentOnly && (batch.request !== null || batch.status === 'done')) return false;
    const events: NewFeedEvent[] = [];
    for (const doc of await lockDocs(tx, ids)) {
      if (doc.status !== 'pushing') continue;
      await transition(tx, doc, to, { reason, patch: { push_batch_id: null } });
      if (to === 'held') events.push({ type: 'document.needs_attention', data: { document_id: doc.id, kind: doc.kind, source_id: doc.source_id, status: 'held', reason } });
    }
    await finishAttempts(tx, batchId, ids, 'deferred', () => ({ message: reason }));
    await tx.updateTable('push_batches').set({ status: 'done', last_error: reason, updated_at: new Date() }).where('id', '=', batchId).execute();
    if (batch.run_id) {
      await recordItems(tx, batch.run_id, ids.map((id) => ({ itemType: 'document', itemId: id, outcome: 'skipped' as const, message: reason })));
      await finishRun(tx, batch.run_id, { status: 'failed', error: `not sent: ${reason}` });
      events.push({ type: 'sync_run.finished', data: { run_id: batch.run_id, kind: 'push', status: 'failed', error: reason } });
    }
    await feed.appendEvents(tx, batch.tenant_id, events);
    return true;
  });
}

/**
 * Documents of a batch whose outcome was unknown, found not to be at the provider once its key had
 * expired (or whose write is safe to send again): back to the queue, to go up in a new batch with
 * a new key. Their run records them as skipped; the batch is closed by applyOutcomes after.
 */
export async function requeueDocuments(db: Database, batchId: string, reasons: ReadonlyMap<string, string>): Promise<void> {
  if (reasons.size === 0) return;
  await db.transaction().execute(async (tx) => {
    const batch = await tx.selectFrom('push_batches').select(['run_id']).where('id', '=', batchId).executeTakeFirstOrThrow();
    const items: RunItem[] = [];
    for (const doc of await lockDocs(tx, [...reasons.keys()])) {
      if (doc.status !== 'uncertain' && doc.status !== 'pushing') continue;
      const reason = reasons.get(doc.id)!;
      await transition(tx, doc, 'queued', { reason, patch: { push_batch_id: null } });
      items.push({ itemType: 'document', itemId: doc.id, outcome: 'skipped', message: reason });
    }
    await finishAttempts(tx, batchId, [...reasons.keys()], 'deferred', (id) => ({ message: reasons.get(id) }));
    if (batch.run_id) await recordItems(tx, batch.run_id, items);
  });
}

/** The provider may or may not have applied the request: only replaying its key may settle it. */
/** After this many unanswered replays the platform is told the documents need attention. */
export const UNCERTAIN_ATTENTION_AFTER = 3;

export async function markUncertain(db: Database, feed: FeedWriter, batchId: string, ids: readonly string[], reason: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const docs = await lockDocs(tx, ids);
    for (const doc of docs) {
      if (doc.status === 'pushing') await transition(tx, doc, 'uncertain', { reason });
    }
    await finishAttempts(tx, batchId, ids, 'uncertain', () => ({ message: reason }));
    const batch = await tx
      .updateTable('push_batches')
      .set((eb) => ({ status: 'uncertain', last_error: reason, attempts: eb('attempts', '+', 1), updated_at: new Date() }))
      .where('id', '=', batchId)
      .returning(['tenant_id', 'run_id', 'attempts'])
      .executeTakeFirstOrThrow();
    if (batch.run_id) await setProgress(tx, batch.run_id, { outcome_unknown: true, attempts: batch.attempts, last_error: reason });
    if (batch.attempts === UNCERTAIN_ATTENTION_AFTER) {
      await feed.appendEvents(tx, batch.tenant_id, docs.map((doc) => ({ type: 'document.needs_attention' as const, data: { document_id: doc.id, kind: doc.kind, source_id: doc.source_id, status: 'uncertain', reason } })));
    }
  });
}

/** A replay is an attempt of its own: recorded unless the interrupted one is still open. */
export async function startReplayAttempts(db: Database, batchId: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await sql`insert into sync_attempts (document_id, source_version, push_batch_id)
    select d.id, d.source_version, ${batchId}::uuid from documents d
    where d.id = any(${[...ids]}::uuid[])
      and not exists (select 1 from sync_attempts a where a.push_batch_id = ${batchId}::uuid and a.document_id = d.id and a.finished_at is null)`.execute(db);
}

export type OpenBatch = {
  id: string;
  idempotencyKey: string;
  request: { body: unknown; documentIds: string[] } | null;
  documentIds: string[];
  /** What each document was claimed as (null for batches older than sql/0008). */
  documents: ClaimedDocument[] | null;
  attempts: number;
  status: 'sending' | 'uncertain' | 'done';
  /** When the batch was claimed, just before its key was first sent: the key's age is measured from here. */
  createdAt: Date;
  updatedAt: Date;
};

/** Batches left sending (their pusher died) or uncertain: settled before anything new is sent. */
export async function openBatches(db: Database, tenantId: string): Promise<OpenBatch[]> {
  const rows = await db
    .selectFrom('push_batches')
    .select(['id', 'idempotency_key', 'request', 'document_ids', 'documents', 'attempts', 'status', 'created_at', 'updated_at'])
    .where('tenant_id', '=', tenantId)
    .where('status', '<>', 'done')
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    idempotencyKey: r.idempotency_key,
    request: r.request as OpenBatch['request'],
    documentIds: r.document_ids,
    documents: (r.documents as ClaimedDocument[] | null) ?? null,
    attempts: r.attempts,
    status: r.status,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

