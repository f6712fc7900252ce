import type { Tx } from '../db/database.ts';
import type { Document, DocumentStatus, DocumentUpdate } from '../db/schema.ts';

/**
 * The document lifecycle, in one place (DESIGN.md):
 *
 *   received ─► queued ─► pushing ─► synced
 *      │          ▲          ├─► uncertain ─(look up at provider)─► synced | queued | failed
 *      │          │          └─► failed ─(retry over the API)─► queued
 *      └─► held (no connection / automation off / needs reauth) ─► queued
 *
 * A newer source version sends a held or failed document back to `received` so it is routed
 * again with the corrected content; a queued document is simply pushed with the newer snapshot.
 * (The ingest SQL function receives that set from here, so the rule lives only in this table.)
 */
const TRANSITIONS: Readonly<Record<DocumentStatus, readonly DocumentStatus[]>> = {
  received: ['queued', 'held'],
  held: ['queued', 'held', 'received'],
  queued: ['pushing', 'held'],
  // pushing → queued: deferred without spending an attempt (rate limit, token refresh);
  // pushing → held: the connection needs reauthorisation.
  pushing: ['synced', 'uncertain', 'failed', 'queued', 'held'],
  uncertain: ['synced', 'queued', 'failed', 'held'],
  failed: ['queued', 'received'],
  synced: [],
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
    .set({ ...opts.patch, status: to, status_reason: opts.reason ?? null, updated_at: new Date() })
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
  const released = await tx
    .updateTable('documents')
    .set({ status: 'received', status_reason: null, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('status', '=', 'held')
    .where('status_reason', 'in', reasons)
    .returning('id')
    .execute();
  if (released.length > 0) {
    await tx
      .insertInto('document_events')
      .values(released.map((d) => ({ document_id: d.id, from_status: 'held' as const, to_status: 'received' as const, reason: 'connection available; routing again' })))
      .execute();
  }
  return released.map((d) => d.id);
}
