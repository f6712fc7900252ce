import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';

/**
 * Per-connection API rate governor (DESIGN.md principle 4), shared by every process through
 * PostgreSQL (sql/0003_rate_governor.sql). Decisions run in the database under per-key advisory
 * locks with the database clock, so concurrent workers never over-grant.
 *
 * Call it outside any transaction: a decision must commit (and drop its locks) on its own.
 */

export interface RateLimits {
  /** Requests in flight at once (a weighted request is still one). */
  readonly concurrent?: number;
  /** Calls per rolling 60 s. */
  readonly perMinute?: number;
  /** Calls per rolling 24 h. A key without it keeps only its last minute of history. */
  readonly perDay?: number;
}

export interface RateKey {
  readonly key: string;
  readonly limits: RateLimits;
}

export interface RateLease {
  readonly id: string;
  /** Frees the concurrency slot; idempotent. The calls stay counted in their windows. */
  release(): Promise<void>;
}

export type RefusalReason = 'concurrent' | 'minute' | 'day' | 'blocked';

export type AcquireResult =
  | { readonly granted: true; readonly lease: RateLease }
  | { readonly granted: false; readonly waitMs: number; readonly reason: RefusalReason };

export interface TryAcquireOptions {
  /** How many provider calls this request counts as (default 1). */
  readonly weight?: number;
  /** When an unreleased lease stops counting, e.g. after a crash (default 120 s). */
  readonly leaseMs?: number;
}

export interface AcquireOptions extends TryAcquireOptions {
  /** Longest total wait (default 30 s); a longer wait is returned instead of slept. */
  readonly maxWaitMs?: number;
  readonly signal?: AbortSignal;
}

export interface RateUsage {
  readonly lastMinute: number;
  readonly lastDay: number;
  readonly inFlight: number;
  readonly blockedUntil: Date | null;
}

export interface RateGovernor {
  /** All or nothing over several keys (e.g. the organisation and the app). */
  tryAcquire(keys: readonly RateKey[], opts?: TryAcquireOptions): Promise<AcquireResult>;
  /**
   * Sleeps and retries until granted. When the next wait would pass maxWaitMs it returns the
   * refusal at once, so the caller can reschedule its job instead of holding a worker slot.
   * Rejects with the signal's AbortError when aborted.
   */
  acquire(keys: readonly RateKey[], opts?: AcquireOptions): Promise<AcquireResult>;
  /** The provider answered 429 with Retry-After: nobody calls the key before then. */
  block(key: string, retryAfterMs: number, problem: string): Promise<void>;
  usage(key: string): Promise<RateUsage>;
  /**
   * How long a caller that could wait for company should hold its next call so the minute's
   * budget is not spent in a burst and then waited out: 0 while less than half of any key's
   * per-minute limit is spent; beyond that, what is left of it is spread evenly until the oldest
   * call in the window leaves it. Advisory (nothing is granted or counted).
   */
  paceDelayMs(keys: readonly RateKey[]): Promise<number>;
}

export interface RateGovernorOptions {
  /** Budget clock for acquire(); decisions always use the database clock. */
  readonly now?: () => Date;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** How soon to retry a concurrency refusal (default 200 ms). */
  readonly pollMs?: number;
  readonly defaultLeaseMs?: number;
  readonly defaultMaxWaitMs?: number;
  /** Told of each refusal in acquire(): slept on (about waitMs, then asks again) or not (longer than maxWaitMs: returned to the caller). */
  readonly onWait?: (wait: { readonly key: string; readonly reason: RefusalReason; readonly waitMs: number; readonly slept: boolean }) => void;
}

/** Xero: per organisation, plus the app-wide minute limit shared by every organisation. */
export const XERO_ORG_LIMITS: RateLimits = { concurrent: 5, perMinute: 60, perDay: 5_000 };
export const XERO_APP_LIMITS: RateLimits = { perMinute: 10_000 };
/** QuickBooks Online: per company (realm). */
// 495, not 500: the company check while connecting (companyinfo) is made before there is a
// session to govern, so a little room is kept for it.
export const QUICKBOOKS_COMPANY_LIMITS: RateLimits = { concurrent: 10, perMinute: 495 };

export function xeroRateKeys(tenantId: string): RateKey[] {
  return [
    { key: `xero:org:${tenantId}`, limits: XERO_ORG_LIMITS },
    { key: 'xero:app', limits: XERO_APP_LIMITS },
  ];
}

export function quickbooksRateKeys(realmId: string): RateKey[] {
  return [{ key: `quickbooks:company:${realmId}`, limits: QUICKBOOKS_COMPANY_LIMITS }];
}

const DEFAULT_LEASE_MS = 120_000;
/** paceDelayMs: the share of a per-minute limit that may be spent at once before calls are spread. */
const PACE_FROM_SHARE = 0.5;
const DEFAULT_MAX_WAIT_MS = 30_000;
const DEFAULT_POLL_MS = 200;
// Spreads waiters that were told the same instant, so they do not all retry in one burst.
const MAX_JITTER_MS = 25;

// Tables are declared in sql/0003_rate_governor.sql; every query is raw SQL, so any Kysely works.
export function createRateGovernor<DB>(db: Kysely<DB>, opts: RateGovernorOptions = {}): RateGovernor {
  const now = opts.now ?? (() => new Date());
  const sleep = opts.sleep ?? ((ms: number, signal?: AbortSignal) => delay(ms, undefined, { signal }));
  const pollMs = positiveInt(opts.pollMs ?? DEFAULT_POLL_MS, 'pollMs');
  const defaultLeaseMs = positiveInt(opts.defaultLeaseMs ?? DEFAULT_LEASE_MS, 'defaultLeaseMs');
  const defaultMaxWaitMs = opts.defaultMaxWaitMs ?? DEFAULT_MAX_WAIT_MS;

  const lease = (id: string): RateLease => ({
    id,
    async release() {
      await sql`delete from rate_leases where id = ${id}::uuid`.execute(db);
    },
  });

  const tryAcquire: RateGovernor['tryAcquire'] = async (keys, tryOpts = {}) => {
    const weight = positiveInt(tryOpts.weight ?? 1, 'weight');
    const leaseMs = positiveInt(tryOpts.leaseMs ?? defaultLeaseMs, 'leaseMs');
    checkKeys(keys, weight);
    const id = randomUUID();
    const limit = (pick: (l: RateLimits) => number | undefined) => keys.map((k) => pick(k.limits) ?? null);
    const { rows } = await sql<{ granted: boolean; wait_ms: string; reason: RefusalReason | null }>`
      select granted, wait_ms, reason from rate_try_acquire(
        ${keys.map((k) => k.key)}::text[], ${limit((l) => l.concurrent)}::integer[],
        ${limit((l) => l.perMinute)}::integer[], ${limit((l) => l.perDay)}::integer[],
        ${weight}::integer, ${id}::uuid, ${leaseMs}::integer, ${pollMs}::integer)`.execute(db);
    const row = rows[0];
    if (!row) throw new Error('rate_try_acquire returned no row');
    if (row.granted) return { granted: true, lease: lease(id) };
    return { granted: false, waitMs: Number(row.wait_ms), reason: row.reason ?? 'blocked' };
  };

  return {
    tryAcquire,

    async acquire(keys, acquireOpts = {}) {
      const { signal } = acquireOpts;
      const deadline = now().getTime() + (acquireOpts.maxWaitMs ?? defaultMaxWaitMs);
      for (;;) {
        signal?.throwIfAborted();
        const result = await tryAcquire(keys, acquireOpts);
        if (result.granted) return result;
        const left = deadline - now().getTime();
        opts.onWait?.({ key: keys[0]!.key, reason: result.reason, waitMs: result.waitMs, slept: result.waitMs <= left });
        if (result.waitMs > left) return result;
        await sleep(Math.min(result.waitMs + Math.floor(Math.random() * MAX_JITTER_MS), left), signal);
      }
    },

    async block(key, retryAfterMs, problem) {
      const ms = Math.max(0, Math.ceil(retryAfterMs));
      if (!Number.isFinite(ms)) throw new RangeError(`retryAfterMs must be finite, got ${retryAfterMs}`);
      // Never shorten a block another process has already recorded.
      await sql`
        insert into rate_blocks (key, blocked_until, problem)
        values (${key}, clock_timestamp() + ${ms}::bigint * interval '1 millisecond', ${problem})
        on conflict (key) do update set
          problem = case when excluded.blocked_until >= rate_blocks.blocked_until
                         then excluded.problem else rate_blocks.problem end,
          blocked_until = greatest(rate_blocks.blocked_until, excluded.blocked_until),
          updated_at = now()`.execute(db);
    },

    async paceDelayMs(keys) {
      let delay = 0;
      for (const { key, limits } of keys) {
        const perMinute = limits.perMinute;
        if (perMinute === undefined) continue;
        const { rows } = await sql<{ used: string; oldest_ms: number | null; latest_ms: number | null; now_ms: number }>`
          select coalesce(sum(weight), 0) as used,
                 (extract(epoch from min(at)) * 1000)::float8 as oldest_ms,
                 (extract(epoch from max(at)) * 1000)::float8 as latest_ms,
                 (extract(epoch from statement_timestamp()) * 1000)::float8 as now_ms
            from rate_calls where key = ${key} and at > statement_timestamp() - interval '61 seconds'`.execute(db);
        const row = rows[0];
        const used = Number(row?.used ?? 0);
        if (!row || row.oldest_ms === null || row.latest_ms === null || used < perMinute * PACE_FROM_SHARE) continue;
        // The same 61 s window as rate_try_acquire (sql/0003).
        const spacing = (row.oldest_ms + 61_000 - row.now_ms) / Math.max(1, perMinute - used);
        delay = Math.max(delay, row.latest_ms + spacing - row.now_ms);
      }
      return Math.max(0, Math.ceil(delay));
    },

    async usage(key) {
      // statement_timestamp(), unlike the volatile clock_timestamp(), lets the time bound use the index.
      const { rows } = await sql<{ last_minute: string; last_day: string; in_flight: string; blocked_until: Date | null }>`
        select
          (select coalesce(sum(weight), 0) from rate_calls
            where key = ${key} and at > statement_timestamp() - interval '1 minute') as last_minute,
          (select coalesce(sum(weight), 0) from rate_calls
            where key = ${key} and at > statement_timestamp() - interval '1 day') as last_day,
          (select count(*) from rate_leases where key = ${key} and expires_at > statement_timestamp()) as in_flight,
          (select blocked_until from rate_blocks
            where key = ${key} and blocked_until > statement_timestamp()) as blocked_until`.execute(db);
      const row = rows[0];
      return {
        lastMinute: Number(row?.last_minute ?? 0),
        lastDay: Number(row?.last_day ?? 0),
        inFlight: Number(row?.in_flight ?? 0),
        blockedUntil: row?.blocked_until ?? null,
      };
    },
  };
}

function positiveInt(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

// A request that can never fit would otherwise be told to wait forever.
function checkKeys(keys: readonly RateKey[], weight: number): void {
  if (keys.length === 0) throw new RangeError('tryAcquire needs at least one key');
  const seen = new Set<string>();
  for (const { key, limits } of keys) {
    if (seen.has(key)) throw new RangeError(`rate key ${key} given twice`);
    seen.add(key);
    for (const name of ['concurrent', 'perMinute', 'perDay'] as const) {
      const value = limits[name];
      if (value !== undefined) positiveInt(value, `${key} ${name}`);
    }
    if (weight > (limits.perMinute ?? Infinity) || weight > (limits.perDay ?? Infinity)) {
      throw new RangeError(`weight ${weight} exceeds the limits of ${key}`);
    }
  }
}
