// Injected faults: failures, delays, dropped responses and forced 429s.
import type { RateLimitProblem } from './types.ts';

interface Rule<T> { remaining: number; path?: RegExp; value: T }

export interface FailOptions { status?: 500 | 502 | 503; path?: RegExp }
export interface Force429Options { retryAfterSeconds?: number; problem?: RateLimitProblem; path?: RegExp }

export interface Faults {
  failNext(n: number, opts?: FailOptions): void;
  delayNext(n: number, ms: number, opts?: { path?: RegExp }): void;
  dropAfterWrite(n: number, opts?: { path?: RegExp }): void;
  force429(n: number, opts?: Force429Options): void;
  takeFailure(path: string): number | undefined;
  takeDelay(path: string): number | undefined;
  takeDrop(path: string): boolean;
  take429(path: string): { problem: RateLimitProblem; retryAfterS: number } | undefined;
  reset(): void;
}

function take<T>(rules: Rule<T>[], path: string): T | undefined {
  const rule = rules.find((r) => r.remaining > 0 && (!r.path || r.path.test(path)));
  if (!rule) return undefined;
  rule.remaining--;
  if (rule.remaining === 0) rules.splice(rules.indexOf(rule), 1);
  return rule.value;
}

function add<T>(rules: Rule<T>[], n: number, value: T, path?: RegExp): void {
  if (!Number.isInteger(n) || n < 0) throw new Error('fault count must be a non-negative integer');
  if (n > 0) rules.push({ remaining: n, value, ...(path ? { path } : {}) });
}

export function createFaults(): Faults {
  let fails: Rule<number>[] = [];
  let delays: Rule<number>[] = [];
  let drops: Rule<true>[] = [];
  let forced: Rule<{ problem: RateLimitProblem; retryAfterS: number }>[] = [];
  return {
    failNext: (n, o = {}) => add(fails, n, o.status ?? 500, o.path),
    delayNext: (n, ms, o = {}) => add(delays, n, ms, o.path),
    dropAfterWrite: (n, o = {}) => add(drops, n, true, o.path),
    force429: (n, o = {}) =>
      add(forced, n, { problem: o.problem ?? 'minute', retryAfterS: o.retryAfterSeconds ?? 60 }, o.path),
    takeFailure: (p) => take(fails, p),
    takeDelay: (p) => take(delays, p),
    takeDrop: (p) => take(drops, p) === true,
    take429: (p) => take(forced, p),
    reset() {
      fails = [];
      delays = [];
      drops = [];
      forced = [];
    },
  };
}
