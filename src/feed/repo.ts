import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import type { OutboundEventRow } from './types.ts';

const EVENT_COLUMNS = ['id', 'tenant_id', 'seq', 'type', 'data', 'created_at', 'delivered_at', 'delivery_attempts', 'last_delivery_error', 'next_attempt_at'] as const;

/** The tenant's events after `afterSeq`, oldest first. */
export function listEvents(db: Database, opts: { tenantId: string; afterSeq: string; limit: number }): Promise<OutboundEventRow[]> {
  return db
    .selectFrom('outbound_events')
    .select(EVENT_COLUMNS)
    .where('tenant_id', '=', opts.tenantId)
    .where('seq', '>', opts.afterSeq)
    .orderBy('seq')
    .limit(opts.limit)
    .execute();
}

/** The tenant's oldest undelivered events, in seq order. */
export function undeliveredEvents(db: Database, tenantId: string, limit: number): Promise<OutboundEventRow[]> {
  return db
    .selectFrom('outbound_events')
    .select(EVENT_COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('delivered_at', 'is', null)
    .orderBy('seq')
    .limit(limit)
    .execute();
}

export async function markDelivered(db: Database, eventId: string): Promise<void> {
  await db
    .updateTable('outbound_events')
    .set({
      delivered_at: sql<Date>`now()`,
      delivery_attempts: sql<number>`delivery_attempts + 1`,
      next_attempt_at: null,
    })
    .where('id', '=', eventId)
    .execute();
}

export async function recordDeliveryFailure(db: Database, eventId: string, error: string, nextAttemptAt: Date): Promise<void> {
  await db
    .updateTable('outbound_events')
    .set({
      delivery_attempts: sql<number>`delivery_attempts + 1`,
      last_delivery_error: error,
      next_attempt_at: nextAttemptAt,
    })
    .where('id', '=', eventId)
    .execute();
}
