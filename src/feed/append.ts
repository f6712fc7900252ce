import { sql } from 'kysely';
import type { Tx } from '../db/database.ts';
import { addJobs } from '../jobs.ts';
import type { AppendedEvent, FeedEventType, NewFeedEvent } from './types.ts';

export interface AppendOptions {
  /** Schedule the tenant's outbound webhook delivery (true when PLATFORM_WEBHOOK_URL is configured). */
  readonly deliver: boolean;
}

/**
 * Appends events to the tenant's feed inside the caller's transaction, so an event exists
 * exactly when the change it reports committed.
 *
 * Why a counter row and not a sequence or identity column: a sequence hands out numbers at
 * insert time, not at commit time, so a transaction holding seq 7 may commit after one holding
 * seq 8; a reader that has already paged past 8 (`seq > 8`) would never see 7. Here the tenant's
 * `feed_counters` row is incremented (`last_seq = last_seq + n returning last_seq`) and thereby
 * row-locked until the caller's transaction ends. The next appender for the tenant waits for that
 * lock, so it takes its number only after the previous holder committed (PostgreSQL makes a
 * commit visible before it releases the transaction's locks) or rolled back (its numbers are
 * given back: no gaps). Per tenant, seq order is commit order, and a reader that sees seq s can
 * already see every seq below s.
 *
 * Cost: appenders of one tenant are serialised from their append to their commit, so call this
 * late in the transaction. A transaction appending for several tenants should do so in a stable
 * order (e.g. sorted tenant ids) to avoid deadlocks.
 */
export async function appendEvents(
  tx: Tx,
  tenantId: string,
  events: readonly NewFeedEvent[],
  opts: AppendOptions,
): Promise<AppendedEvent[]> {
  if (events.length === 0) return [];
  const n = events.length;
  const { rows } = await sql<{ last_seq: string }>`
    insert into feed_counters as c (tenant_id, last_seq) values (${tenantId}, ${n})
    on conflict (tenant_id) do update set last_seq = c.last_seq + ${n}
    returning c.last_seq::text as last_seq`.execute(tx);
  const first = Number(rows[0]!.last_seq) - n + 1;
  const inserted = await tx
    .insertInto('outbound_events')
    .values(events.map((event, i) => ({
      tenant_id: tenantId,
      seq: String(first + i),
      type: event.type,
      data: JSON.stringify(event.data),
    })))
    .returning(['id', 'seq'])
    .execute();
  if (opts.deliver) await scheduleDelivery(tx, tenantId);
  return inserted
    .map((row) => ({ id: row.id, seq: Number(row.seq) }))
    .sort((a, b) => a.seq - b.seq);
}

export async function appendEvent(
  tx: Tx,
  tenantId: string,
  type: FeedEventType,
  data: Record<string, unknown>,
  opts: AppendOptions,
): Promise<AppendedEvent> {
  const [appended] = await appendEvents(tx, tenantId, [{ type, data }], opts);
  return appended!;
}

/**
 * Wakes the tenant's deliverer. One keyed job per tenant: a pending one is reused and keeps its
 * run_at (`preserveRunAt`), so new events never cut short the backoff after a failed delivery;
 * if the keyed job is already running, graphile-worker adds a new one, so an event committed
 * while a delivery run finishes is not left behind.
 */
export function scheduleDelivery(tx: Tx, tenantId: string, runAt?: Date): Promise<void> {
  return addJobs(tx, [{ task: 'deliver_events', payload: { tenant_id: tenantId }, jobKey: deliveryJobKey(tenantId), runAt }], { preserveRunAt: true });
}

export function deliveryJobKey(tenantId: string): string {
  return `deliver_events:${tenantId}`;
}
