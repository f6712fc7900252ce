// Injected faults: failures, delays, dropped responses and forced 429s, counted down per matching request.
// A rule can target a path regex and/or query parameters (e.g. `{ path: /Contacts$/, query: { page: '3' } }`).
// What a forced 429 carries is provider-specific: the caller maps force429's options to a value.
import type { Context, MiddlewareHandler } from 'hono';
import { sleep } from './clock.ts';

/** Query-parameter predicate: every listed parameter must be present and equal the string (or match the regex). */
export type QueryMatch = Record<string, string | RegExp>;

export interface FaultTarget { path?: RegExp; query?: QueryMatch }

/** The request a fault is matched against; `query` holds its search parameters. */
export type FaultQuery = Record<string, string>;

interface Rule<T> extends FaultTarget { remaining: number; value: T }

/**
 * `Fail` is the provider's failNext options (which statuses it can inject), `Force` its force429 options
 * and `Forced` what take429 hands the API pipeline.
 */
export interface FaultInjector<Fail extends FaultTarget & { status?: number }, Force extends FaultTarget, Forced> {
  failNext(n: number, opts?: Fail): void;
  delayNext(n: number, ms: number, opts?: FaultTarget): void;
  dropAfterWrite(n: number, opts?: FaultTarget): void;
  force429(n: number, opts?: Force): void;
  takeFailure(path: string, query?: FaultQuery): number | undefined;
  takeDelay(path: string, query?: FaultQuery): number | undefined;
  takeDrop(path: string, query?: FaultQuery): boolean;
  take429(path: string, query?: FaultQuery): Forced | undefined;
  reset(): void;
}

function queryMatches(want: QueryMatch | undefined, got: FaultQuery): boolean {
  if (!want) return true;
  // Parameter names match case-insensitively (Xero treats `Page` and `page` alike); values exactly.
  const lower = new Map(Object.entries(got).map(([k, v]) => [k.toLowerCase(), v]));
  return Object.entries(want).every(([k, expected]) => {
    const v = lower.get(k.toLowerCase());
    if (v === undefined) return false;
    return typeof expected === 'string' ? v === expected : expected.test(v);
  });
}

function take<T>(rules: Rule<T>[], path: string, query: FaultQuery = {}): T | undefined {
  const rule = rules.find((r) => r.remaining > 0 && (!r.path || r.path.test(path)) && queryMatches(r.query, query));
  if (!rule) return undefined;
  rule.remaining--;
  if (rule.remaining === 0) rules.splice(rules.indexOf(rule), 1);
  return rule.value;
}

function add<T>(rules: Rule<T>[], n: number, value: T, target: FaultTarget): void {
  if (!Number.isInteger(n) || n < 0) throw new Error('fault count must be a non-negative integer');
  if (n > 0) {
    rules.push({ remaining: n, value, ...(target.path ? { path: target.path } : {}), ...(target.query ? { query: target.query } : {}) });
  }
}

export function createFaultInjector<Fail extends FaultTarget & { status?: number }, Force extends FaultTarget, Forced>(
  forcedValue: (opts: Force) => Forced,
): FaultInjector<Fail, Force, Forced> {
  let fails: Rule<number>[] = [];
  let delays: Rule<number>[] = [];
  let drops: Rule<true>[] = [];
  let forced: Rule<Forced>[] = [];
  return {
    failNext: (n, o) => add(fails, n, o?.status ?? 500, o ?? {}),
    delayNext: (n, ms, o = {}) => add(delays, n, ms, o),
    dropAfterWrite: (n, o = {}) => add(drops, n, true, o),
    force429: (n, o) => add(forced, n, forcedValue(o ?? ({} as Force)), o ?? {}),
    takeFailure: (p, q) => take(fails, p, q),
    takeDelay: (p, q) => take(delays, p, q),
    takeDrop: (p, q) => take(drops, p, q) === true,
    take429: (p, q) => take(forced, p, q),
    reset() {
      fails = [];
      delays = [];
      drops = [];
      forced = [];
    },
  };
}

/** The test-facing fault controls of a sandbox handle, bound to its injector. */
export function faultControls<Fail extends FaultTarget & { status?: number }, Force extends FaultTarget>(
  f: Pick<FaultInjector<Fail, Force, unknown>, 'failNext' | 'delayNext' | 'dropAfterWrite' | 'force429'>,
): Pick<FaultInjector<Fail, Force, unknown>, 'failNext' | 'delayNext' | 'dropAfterWrite' | 'force429'> {
  return {
    failNext: (n, o) => f.failNext(n, o),
    delayNext: (n, ms, o) => f.delayNext(n, ms, o),
    dropAfterWrite: (n, o) => f.dropAfterWrite(n, o),
    force429: (n, o) => f.force429(n, o),
  };
}

/**
 * Middleware applying injected delays and failures to the OAuth/consent hosts (API routes take theirs
 * inside their own pipeline). `relPath` maps a request path to the path faults are matched against,
 * or undefined to skip; `failure` renders the provider's error response for an injected status.
 */
export function oauthHostFaults(
  faults: Pick<FaultInjector<FaultTarget, FaultTarget, unknown>, 'takeDelay' | 'takeFailure'>,
  relPath: (path: string) => string | undefined,
  failure: (c: Context, status: number) => Response,
): MiddlewareHandler {
  return async (c, next) => {
    const url = new URL(c.req.url);
    const rel = relPath(url.pathname);
    if (rel !== undefined) {
      const query = Object.fromEntries(url.searchParams);
      const delay = faults.takeDelay(rel, query);
      if (delay !== undefined) await sleep(delay);
      const status = faults.takeFailure(rel, query);
      if (status !== undefined) return failure(c, status);
    }
    await next();
  };
}
