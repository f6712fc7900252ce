import type pg from 'pg';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { deliveryBackoffMs } from './backoff.ts';
import { markDelivered, recordDeliveryFailure, undeliveredEvents } from './repo.ts';
import { toFeedEvent, type OutboundEventRow } from './types.ts';
import { outboundWebhook } from './webhook.ts';
import type { Observability } from '../observability/index.ts';
import { observeDelivery } from '../observability/outcomes.ts';

/** The part of `fetch` delivery uses; injectable so tests (and proxies) can stand in. */
export type FetchLike = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ readonly status: number; text(): Promise<string> }>;

export interface PlatformEndpoint {
  readonly url: string;
  readonly secret: string;
}

export interface DeliveryDeps {
  readonly db: Database;
  readonly pool: pg.Pool;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly fetch: FetchLike;
  /** A delivery not answered within this counts as failed. */
  readonly deliveryTimeoutMs?: number;
  /** Counts deliveries by outcome (observability/outcomes.ts). */
  readonly observability?: Observability;
}

export type DeliveryResult =
  | { readonly kind: 'done'; readonly delivered: number }
  | { readonly kind: 'reschedule'; readonly runAt: Date; readonly reason: string; readonly delivered: number };

const DEFAULT_TIMEOUT_MS = 10_000;
const PAGE = 50;
const LOCK_RETRY_MS = 2_000;

/**
 * Delivers a tenant's undelivered events to the platform, one at a time in seq order. A failure
 * (non-2xx, timeout, network error) is recorded on the event with the time of its next attempt
 * (exponential backoff with jitter) and stops the run: later events wait behind it, so the
 * platform receives a tenant's events in order. Retries go on until the platform accepts;
 * the event row, not the job, holds the retry schedule, so a job that wakes early just waits.
 *
 * One deliverer per tenant across all processes: a session advisory lock on a dedicated
 * connection (released by PostgreSQL if the process dies, unlike a graphile-worker job lock,
 * which a crashed worker holds for hours). Not getting it means another run is active: try later.
 */
export async function deliverTenantEvents(
  deps: DeliveryDeps,
  endpoint: PlatformEndpoint,
  tenantId: string,
  opts: { signal?: AbortSignal } = {},
): Promise<DeliveryResult> {
  const log = deps.logger.child({ tenantId, subsystem: 'feed-delivery' });
  let delivered = 0;
  const reschedule = (runAt: Date, reason: string): DeliveryResult => ({ kind: 'reschedule', runAt, reason, delivered });
  const client = await deps.pool.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>(
      `select pg_try_advisory_lock(hashtextextended('deliver_events:' || $1, 0)) as locked`,
      [tenantId],
    );
    if (!rows[0]?.locked) return reschedule(new Date(deps.now().getTime() + LOCK_RETRY_MS), 'another run is delivering for this tenant');
    try {
      while (true) {
        const events = await undeliveredEvents(deps.db, tenantId, PAGE);
        if (events.length === 0) return { kind: 'done', delivered };
        for (const event of events) {
          if (opts.signal?.aborted) return reschedule(deps.now(), 'worker shutting down');
          if (event.next_attempt_at && event.next_attempt_at > deps.now()) {
            return reschedule(event.next_attempt_at, 'waiting to retry a failed delivery');
          }
          const outcome = await observeDelivery(deps.observability, () => send(deps, endpoint, event, opts.signal));
          if (outcome.ok) {
            await markDelivered(deps.db, event.id);
            delivered++;
            continue;
          }
          if (opts.signal?.aborted) return reschedule(deps.now(), 'worker shutting down');
          const attempts = event.delivery_attempts + 1;
          const nextAttemptAt = new Date(deps.now().getTime() + deliveryBackoffMs(attempts));
          await recordDeliveryFailure(deps.db, event.id, outcome.error, nextAttemptAt);
          log.warn({ eventId: event.id, seq: Number(event.seq), attempts, error: outcome.error, nextAttemptAt }, 'outbound webhook delivery failed; will retry');
          return reschedule(nextAttemptAt, 'delivery failed');
        }
      }
    } finally {
      await client.query(`select pg_advisory_unlock(hashtextextended('deliver_events:' || $1, 0))`, [tenantId]);
    }
  } finally {
    client.release();
  }
}

async function send(
  deps: DeliveryDeps,
  endpoint: PlatformEndpoint,
  event: OutboundEventRow,
  shutdown: AbortSignal | undefined,
): Promise<{ ok: true } | { ok: false; error: string }> {
  const timeoutMs = deps.deliveryTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = shutdown ? AbortSignal.any([timeout, shutdown]) : timeout;
  const { body, headers } = outboundWebhook(toFeedEvent(event), endpoint.secret, deps.now());
  try {
    const res = await deps.fetch(endpoint.url, { method: 'POST', headers, body, signal });
    // Read the body so the connection is reused, and keep the start of it for the record.
    const text = await res.text().catch(() => '');
    if (res.status >= 200 && res.status < 300) return { ok: true };
    return { ok: false, error: `HTTP ${res.status}${text ? `: ${text.slice(0, 500)}` : ''}` };
  } catch (error) {
    if (timeout.aborted) return { ok: false, error: `no answer within ${timeoutMs} ms` };
    const cause = (error as Error & { cause?: Error }).cause;
    return { ok: false, error: `request failed: ${(error as Error).message}${cause?.message ? ` (${cause.message})` : ''}` };
  }
}
