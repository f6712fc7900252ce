// QuickBooks throttling per realm: requests per rolling minute and requests in flight.
import type { RateLimits, SandboxClock } from './types.ts';

export const DEFAULT_LIMITS: RateLimits = { perMinute: 500, concurrent: 10 };
const MINUTE = 60_000;

export type Acquired = { ok: true; release: () => void } | { ok: false; problem: 'minute' | 'concurrent' };

export interface Limiter {
  readonly limits: RateLimits;
  acquire(realmId: string): Acquired;
  inFlight(realmId: string): number;
  /** Requests counted in the current minute window. */
  used(realmId: string): number;
  reset(): void;
}

export function createLimiter(clock: SandboxClock, overrides: Partial<RateLimits> = {}): Limiter {
  const limits: RateLimits = { ...DEFAULT_LIMITS, ...overrides };
  let minuteLog = new Map<string, number[]>();
  let inFlight = new Map<string, number>();

  const window = (realmId: string): number[] => {
    let log = minuteLog.get(realmId);
    if (!log) minuteLog.set(realmId, (log = []));
    const cutoff = clock.now() - MINUTE;
    let i = 0;
    while (i < log.length && (log[i] ?? 0) <= cutoff) i++;
    if (i > 0) log.splice(0, i);
    return log;
  };

  return {
    limits,
    inFlight: (r) => inFlight.get(r) ?? 0,
    used: (r) => window(r).length,
    acquire(realmId) {
      const log = window(realmId);
      if (log.length >= limits.perMinute) return { ok: false, problem: 'minute' };
      const busy = inFlight.get(realmId) ?? 0;
      if (busy >= limits.concurrent) return { ok: false, problem: 'concurrent' };
      log.push(clock.now());
      inFlight.set(realmId, busy + 1);
      let released = false;
      return {
        ok: true,
        release: () => {
          if (released) return;
          released = true;
          inFlight.set(realmId, Math.max(0, (inFlight.get(realmId) ?? 1) - 1));
        },
      };
    },
    reset() {
      minuteLog = new Map();
      inFlight = new Map();
    },
  };
}
