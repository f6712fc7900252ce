import { sql, type UpdateQueryBuilder, type UpdateResult } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { Tx } from '../db/database.ts';

type HeldQuery = UpdateQueryBuilder<DB, 'documents', 'documents', UpdateResult>;
import type { Document, DocumentKind, DocumentStatus, DocumentUpdate } from '../db/schema.ts';

/**
 * The document lifecycle, in one place (DESIGN.md):
 *
 *   received ─► queued ─► pushing ─► synced ─(newer version: update, or voided)─► received
 *      │          ▲          ├─► uncertain ─(replay the same key)─► synced | queued | failed
 *      │          │          ├─► failed ─(retry over the API)─► queued
 *      │          │          └─► voided (the provider voided or deleted it)
 *      ├─► held (no connection / automation off / needs reauth / waiting for another document) ─► queued
 *      └─► voided (voided before it was ever pushed: nothing reaches the provider)
 *
 * A newer source version sends a held, failed or synced document back to `received` so it is
 * routed again (a synced one is then pushed as an update or a void); a queued document is simply
 * pushed with the newer snapshot, and one that is pushing or uncertain is routed again once that
 * push has settled (applyOutcomes compares versions). `voided` is final: nothing regresses it.
 * (The ingest SQL function receives the rerouting set from here, so the rule lives only in this table.)
 */
const TRANSITIONS: Readonly<Record<DocumentStatus, readonly DocumentStatus[]>> = {
  // received → synced: routed again with nothing left to send (the provider already holds this version).
  received: ['queued', 'held', 'voided', 'synced'],
  held: ['queued', 'held', 'received'],
  // queued → voided: voided while queued for its create, so it is never sent.
  queued: ['pushing', 'held', 'voided'],
  // pushing → queued: deferred without spending an attempt (rate limit, token refresh);
  // pushing → held: the connection needs reauthorisation or a document it refers to is not synced.
  pushing: ['synced', 'uncertain', 'failed', 'queued', 'held', 'voided'],
  uncertain: ['synced', 'queued', 'failed', 'held', 'voided'],
  failed: ['queued', 'received'],
  synced: ['received'],
  voided: [],
};

export const STATUSES = Object.keys(TRANSITIONS) as DocumentStatus[];

export class InvalidTransitionError extends Error {
  readonly from: DocumentStatus;
  readonly to: DocumentStatus;
  constructor(from: DocumentStatus, to: DocumentStatus) {
    super(`a ${from} document cannot become ${to}`);
    this.name = 'InvalidTransitionError';
    this.from = from;
    this.to = to;
  }
}

export function canTransition(from: DocumentStatus, to: DocumentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: DocumentStatus, to: DocumentStatus): void {
  if (!canTransition(from, to)) throw new InvalidTransitionError(from, to);
}

/** The reasons recorded when a document is queued over the API (push runs show them as manual). */
export const MANUAL_PUSH_REASON = 'pushed manually';
export const RETRY_REASON = 'retry requested';

/** Why a document is held, as shown to the platform. */
export const HOLD_REASONS = {
  no_connection: 'the tenant has no accounting connection yet',
  connection_needs_reauth: 'the accounting connection needs to be reauthorised',
  manual_push: 'automatic push is off for this document type; push it manually',
} as const;
export type HoldReason = keyof typeof HOLD_REASONS;

/** Held until the documents it refers to are at the provider: "waiting for invoice inv_1 (queued)". */
export const WAITING_PREFIX = 'waiting for ';
export const PAYMENTS_OFF_REASON = 'payment sync is off in the posting defaults (sync_payments)';

/**
 * Moves a locked document to `to`, recording the change. The caller holds the row lock
 * (selected `for update` in the same transaction) and decides what else to patch.
 */
export async function transition(
  tx: Tx,
  doc: Pick<Document, 'id' | 'status'>,
  to: DocumentStatus,
  opts: { reason?: string | null; patch?: DocumentUpdate } = {},
): Promise<void> {
  assertTransition(doc.status, to);
  await tx
    .updateTable('documents')
    .set({ waits_for: null, ...opts.patch, status: to, status_reason: opts.reason ?? null, updated_at: new Date() })
    .where('id', '=', doc.id)
    .execute();
  await tx
    .insertInto('document_events')
    .values({ document_id: doc.id, from_status: doc.status, to_status: to, reason: opts.reason ?? null })
    .execute();
}

/** Holds every queued document of a tenant (e.g. its connection needs reauthorisation). */
export async function holdQueuedDocuments(tx: Tx, tenantId: string, reason: HoldReason): Promise<number> {
  const held = await tx
    .updateTable('documents')
    .set({ status: 'held', status_reason: HOLD_REASONS[reason], updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('status', '=', 'queued')
    .returning('id')
    .execute();
  if (held.length > 0) {
    await tx
      .insertInto('document_events')
      .values(held.map((d) => ({ document_id: d.id, from_status: 'queued' as const, to_status: 'held' as const, reason: HOLD_REASONS[reason] })))
      .execute();
  }
  return held.length;
}

/**
 * Sends documents held for a connection problem back to routing (the tenant connected or
 * reconnected). Documents held for manual push stay held. Returns their ids to route.
 */
export async function releaseConnectionHolds(tx: Tx, tenantId: string): Promise<string[]> {
  const reasons = [HOLD_REASONS.no_connection, HOLD_REASONS.connection_needs_reauth];
  return releaseHeld(tx, tenantId, (q) => q.where('status_reason', 'in', reasons), 'connection available; routing again');
}

/**
 * Sends documents waiting for any of `keys` ("sales_invoice:inv_1") back to routing: those
 * documents are now at the provider. Returns their ids to route.
 */
export async function releaseWaitingFor(tx: Tx, tenantId: string, keys: readonly string[]): Promise<string[]> {
  if (keys.length === 0) return [];
  return releaseHeld(tx, tenantId, (q) => q.where('waits_for', 'is not', null).where(sql<boolean>`waits_for && ${sql.val([...keys])}::text[]`), 'a document it refers to is at the provider; routing again');
}

async function releaseHeld(tx: Tx, tenantId: string, narrow: (q: HeldQuery) => HeldQuery, reason: string): Promise<string[]> {
  const released = await narrow(
    tx
      .updateTable('documents')
      .set({ status: 'received', status_reason: null, waits_for: null, updated_at: new Date() })
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'held'),
  )
    .returning('id')
    .execute();
  if (released.length > 0) {
    await tx
      .insertInto('document_events')
      .values(released.map((d) => ({ document_id: d.id, from_status: 'held' as const, to_status: 'received' as const, reason })))
      .execute();
  }
  return released.map((d) => d.id);
}

/**
 * Sends failed documents back to the queue, set-based: the tenant's first `limit` failed
 * documents after `afterSeq` (in `seq` order, optionally only of one kind or among `ids`) are
 * locked, moved to `queued` (their `last_error` cleared) and their change recorded, in one
 * statement. A document another transaction holds (a newer version arriving, say) is passed
 * over rather than waited for: a bulk move never holds up the ingest, nor deadlocks with it.
 * Returns the moved documents in `seq` order; fewer than `limit` means none are left.
 */
export async function queueFailedDocuments(
  tx: Tx,
  tenantId: string,
  opts: { kind?: DocumentKind; ids?: readonly string[]; afterSeq?: string; limit: number; reason: string },
): Promise<{ id: string; seq: string }[]> {
  assertTransition('failed', 'queued');
  const { rows } = await sql<{ id: string; seq: string }>`
    with picked as (
      select id from documents
      where tenant_id = ${tenantId} and status = 'failed' and seq > ${opts.afterSeq ?? '0'}
        ${opts.kind ? sql`and kind = ${opts.kind}` : sql``}
        ${opts.ids ? sql`and id = any(${sql.val([...opts.ids])}::uuid[])` : sql``}
      order by seq
      limit ${opts.limit}
      for update skip locked
    ), moved as (
      update documents d
         set status = 'queued', status_reason = ${opts.reason}, last_error = null, waits_for = null, updated_at = now()
        from picked
       where d.id = picked.id
      returning d.id, d.seq
    ), recorded as (
      insert into document_events (document_id, from_status, to_status, reason)
      select id, 'failed', 'queued', ${opts.reason} from moved
    )
    select id, seq from moved order by seq`.execute(tx);
  return rows;
}
