// Injected faults: failures, delays, dropped responses and forced 429s.
// A rule can target a path regex and/or query parameters (e.g. `{ path: /\/query$/, query: { query: /Invoice/ } }`).

/** Query-parameter predicate: every listed parameter must be present and equal the string (or match the regex). */
export type QueryMatch = Record<string, string | RegExp>;

export interface FaultTarget { path?: RegExp; query?: QueryMatch }
export interface FailOptions extends FaultTarget { status?: 500 | 502 | 503 | 504 }

interface Rule<T> extends FaultTarget { remaining: number; value: T }

/** The request a fault is matched against; `query` holds its search parameters. */
export type FaultQuery = Record<string, string>;

export interface Faults {
  failNext(n: number, opts?: FailOptions): void;
  delayNext(n: number, ms: number, opts?: FaultTarget): void;
  dropAfterWrite(n: number, opts?: FaultTarget): void;
  force429(n: number, opts?: FaultTarget): void;
  takeFailure(path: string, query?: FaultQuery): number | undefined;
  takeDelay(path: string, query?: FaultQuery): number | undefined;
  takeDrop(path: string, query?: FaultQuery): boolean;
  take429(path: string, query?: FaultQuery): boolean;
  reset(): void;
}

function queryMatches(want: QueryMatch | undefined, got: FaultQuery): boolean {
  if (!want) return true;
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

export function createFaults(): Faults {
  let fails: Rule<number>[] = [];
  let delays: Rule<number>[] = [];
  let drops: Rule<true>[] = [];
  let forced: Rule<true>[] = [];
  return {
    failNext: (n, o = {}) => add(fails, n, o.status ?? 500, o),
    delayNext: (n, ms, o = {}) => add(delays, n, ms, o),
    dropAfterWrite: (n, o = {}) => add(drops, n, true, o),
    force429: (n, o = {}) => add(forced, n, true, o),
    takeFailure: (p, q) => take(fails, p, q),
    takeDelay: (p, q) => take(delays, p, q),
    takeDrop: (p, q) => take(drops, p, q) === true,
    take429: (p, q) => take(forced, p, q) === true,
    reset() {
      fails = [];
      delays = [];
      drops = [];
      forced = [];
    },
  };
}
