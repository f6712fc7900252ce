import { signWebhook } from '../../src/security/standard-webhooks.ts';
import { sleep } from '../lib/stats.ts';
import type { Rng } from './rng.ts';

/**
 * The operations platform as a webhook sender: every delivery is retried until it gets a 2xx,
 * whatever went wrong (a 5xx, a connection refused or reset while the web process is down, a
 * timeout), with exponential backoff and jitter (compressed: 100 ms doubling to 2 s, where a
 * real platform waits minutes), the same webhook-id and body each time, signed afresh with the
 * attempt's timestamp as Standard Webhooks senders do.
 */
export interface Delivery {
  readonly id: string;
  readonly event: Record<string, unknown>;
  /** What the bench needs to check the delivery later. */
  readonly meta: DeliveryMeta;
}

export interface DeliveryMeta {
  readonly phase: 'chaos' | 'rolling';
  readonly tenantId: string;
  readonly kind: string;
  readonly sourceId: string;
  readonly version: number;
}

export interface Ack {
  readonly id: string;
  readonly meta: DeliveryMeta;
  readonly status: number;
  readonly attempts: number;
  readonly firstSentAt: number;
  readonly ackedAt: number;
}

export interface PlatformStats {
  sent: number;
  attempts: number;
  redeliveries: number;
  /** Answers and errors that were not a 2xx, by status or error code. */
  failures: Map<string, number>;
  maxAttempts: number;
  inFlight: number;
  maxInFlight: number;
  /** Milliseconds from sending an attempt to its 2xx, for the attempts that got one. */
  readonly ackLatencyMs: number[];
}

export interface Platform {
  readonly acks: Map<string, Ack>;
  readonly stats: PlatformStats;
  /** Resolves once the delivery got its 2xx (or the platform was stopped). */
  deliver(delivery: Delivery): Promise<Ack | undefined>;
  /** Resolves when no delivery is left unacknowledged. */
  idle(): Promise<void>;
  pending(): number;
  stop(): void;
}

const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

function errorCode(error: unknown): string {
  const e = error as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  return e.cause?.code ?? e.code ?? e.cause?.name ?? e.name ?? 'error';
}

export function createPlatform(opts: { baseUrl: string; opsSecret: string; rng: Rng; maxInFlight?: number; timeoutMs?: number; baseBackoffMs?: number; maxBackoffMs?: number }): Platform {
  const acks = new Map<string, Ack>();
  const stats: PlatformStats = { sent: 0, attempts: 0, redeliveries: 0, failures: new Map(), maxAttempts: 0, inFlight: 0, maxInFlight: 0, ackLatencyMs: [] };
  const limit = opts.maxInFlight ?? Number.POSITIVE_INFINITY;
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const base = opts.baseBackoffMs ?? 100;
  const cap = opts.maxBackoffMs ?? 2_000;
  let pendingCount = 0;
  let stopped = false;
  const idleWaiters: (() => void)[] = [];
  const slotWaiters: (() => void)[] = [];

  const takeSlot = async () => {
    while (stats.inFlight >= limit) await new Promise<void>((resolve) => slotWaiters.push(resolve));
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
  };
  const giveSlot = () => {
    stats.inFlight--;
    slotWaiters.shift()?.();
  };

  const attempt = async (delivery: Delivery, body: string): Promise<number | string> => {
    await takeSlot();
    const sentAt = performance.now();
    try {
      const timestamp = Math.floor(Date.now() / 1000);
      const res = await fetch(`${opts.baseUrl}/webhooks/ops`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': delivery.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(opts.opsSecret, delivery.id, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer();
      if (res.status >= 200 && res.status < 300) stats.ackLatencyMs.push(performance.now() - sentAt);
      return res.status;
    } catch (error) {
      return errorCode(error);
    } finally {
      giveSlot();
    }
  };

  return {
    acks,
    stats,
    pending: () => pendingCount,
    async deliver(delivery) {
      const body = JSON.stringify(delivery.event);
      pendingCount++;
      stats.sent++;
      const firstSentAt = performance.now();
      try {
        for (let n = 1; !stopped; n++) {
          stats.attempts++;
          if (n > 1) stats.redeliveries++;
          const outcome = await attempt(delivery, body);
          if (typeof outcome === 'number' && outcome >= 200 && outcome < 300) {
            stats.maxAttempts = Math.max(stats.maxAttempts, n);
            const ack: Ack = { id: delivery.id, meta: delivery.meta, status: outcome, attempts: n, firstSentAt, ackedAt: performance.now() };
            acks.set(delivery.id, ack);
            return ack;
          }
          bump(stats.failures, String(outcome));
          await sleep(Math.min(cap, base * 2 ** (n - 1)) * opts.rng.between(0.5, 1));
        }
        return undefined;
      } finally {
        pendingCount--;
        if (pendingCount === 0) for (const w of idleWaiters.splice(0)) w();
      }
    },
    idle: () => (pendingCount === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
    stop: () => {
      stopped = true;
    },
  };
}

/** A REST GET with a bearer token and a timeout; undefined when the gateway did not answer 200. */
export async function apiGet<T>(baseUrl: string, token: string, path: string, timeoutMs = 10_000): Promise<T | undefined> {
  try {
    const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    return res.status === 200 ? (JSON.parse(text) as T) : undefined;
  } catch {
    return undefined;
  }
}

export interface FeedEvent {
  readonly seq: number;
  readonly type: string;
  readonly data: Record<string, unknown>;
}

/**
 * Follows each tenant's change feed (GET /v1/tenants/{id}/events) as the platform would, and
 * hands every event to `onEvent`, in order; polling goes on through restarts of the web process.
 */
export function followFeeds(opts: { baseUrl: string; tenants: readonly string[]; token: (tenantId: string) => Promise<string>; intervalMs: number; onEvent: (tenantId: string, event: FeedEvent) => void }) {
  let stopped = false;
  const cursors = new Map<string, string | undefined>();
  let polls = 0;
  let failedPolls = 0;
  const loops = opts.tenants.map(async (tenantId) => {
    const token = await opts.token(tenantId);
    while (!stopped) {
      let more = false;
      const cursor = cursors.get(tenantId);
      const page = await apiGet<{ data: FeedEvent[]; next_cursor: string; has_more: boolean }>(
        opts.baseUrl,
        token,
        `/v1/tenants/${tenantId}/events?limit=500${cursor ? `&after=${encodeURIComponent(cursor)}` : ''}`,
      );
      polls++;
      if (page) {
        for (const event of page.data) opts.onEvent(tenantId, event);
        cursors.set(tenantId, page.next_cursor);
        more = page.has_more;
      } else {
        failedPolls++;
      }
      if (!more) await sleep(opts.intervalMs);
    }
  });
  return {
    stats: () => ({ polls, failedPolls }),
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}
