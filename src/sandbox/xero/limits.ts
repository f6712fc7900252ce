// Xero API rate limits: per tenant concurrent / minute / day, per app minute.
import type { RateLimitProblem, RateLimits, SandboxClock } from './types.ts';

export const DEFAULT_LIMITS: RateLimits = { concurrent: 5, perMinute: 60, perDay: 5000, appPerMinute: 10000 };
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export type Acquired =
  | { ok: true; release: () => void; headers: Record<string, string> }
  | { ok: false; problem: RateLimitProblem; retryAfterS: number; headers: Record<string, string> };

export interface Limiter {
  readonly limits: RateLimits;
  acquire(tenantId: string): Acquired;
  /** Remaining-count headers without consuming a call. */
  headers(tenantId: string): Record<string, string>;
  inFlight(tenantId: string): number;
  reset(): void;
}

function prune(log: number[], cutoff: number): void {
  let i = 0;
  while (i < log.length && (log[i] ?? 0) <= cutoff) i++;
  if (i > 0) log.splice(0, i);
}

export function createLimiter(clock: SandboxClock, overrides: Partial<RateLimits> = {}): Limiter {
  const limits: RateLimits = { ...DEFAULT_LIMITS, ...overrides };
  let minuteLog = new Map<string, number[]>();
  let dayLog = new Map<string, number[]>();
  let appLog: number[] = [];
  let inFlight = new Map<string, number>();

  const logOf = (m: Map<string, number[]>, t: string): number[] => {
    let l = m.get(t);
    if (!l) m.set(t, (l = []));
    return l;
  };
  /** Real seconds until `oldest` leaves a window of `span` sandbox ms. */
  const retryAfter = (oldest: number | undefined, span: number, now: number): number => {
    const sandboxMs = (oldest ?? now) + span - now;
    return Math.max(1, Math.ceil(clock.toRealMs(sandboxMs) / 1000));
  };

  const headers = (t: string): Record<string, string> => {
    const now = clock.now();
    const min = logOf(minuteLog, t);
    const day = logOf(dayLog, t);
    prune(min, now - MINUTE);
    prune(day, now - DAY);
    prune(appLog, now - MINUTE);
    return {
      'X-DayLimit-Remaining': String(Math.max(0, limits.perDay - day.length)),
      'X-MinLimit-Remaining': String(Math.max(0, limits.perMinute - min.length)),
      'X-AppMinLimit-Remaining': String(Math.max(0, limits.appPerMinute - appLog.length)),
    };
  };

  return {
    limits,
    headers,
    inFlight: (t) => inFlight.get(t) ?? 0,
    acquire(t) {
      const now = clock.now();
      const h = headers(t);
      const min = logOf(minuteLog, t);
      const day = logOf(dayLog, t);
      if (day.length >= limits.perDay) return { ok: false, problem: 'day', retryAfterS: retryAfter(day[0], DAY, now), headers: h };
      if (appLog.length >= limits.appPerMinute) {
        return { ok: false, problem: 'appminute', retryAfterS: retryAfter(appLog[0], MINUTE, now), headers: h };
      }
      if (min.length >= limits.perMinute) return { ok: false, problem: 'minute', retryAfterS: retryAfter(min[0], MINUTE, now), headers: h };
      const busy = inFlight.get(t) ?? 0;
      if (busy >= limits.concurrent) return { ok: false, problem: 'concurrent', retryAfterS: 1, headers: h };
      min.push(now);
      day.push(now);
      appLog.push(now);
      inFlight.set(t, busy + 1);
      let released = false;
      return {
        ok: true,
        headers: headers(t),
        release: () => {
          if (released) return;
          released = true;
          inFlight.set(t, Math.max(0, (inFlight.get(t) ?? 1) - 1));
        },
      };
    },
    reset() {
      minuteLog = new Map();
      dayLog = new Map();
      appLog = [];
      inFlight = new Map();
    },
  };
}
