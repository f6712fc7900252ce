// QuickBooks wire format helpers: Pacific-time timestamps and Fault bodies.
import type { FaultError, JsonObject } from './types.ts';

const HOUR = 3_600_000;

/** Day-of-month of the n-th Sunday of a month (UTC calendar). */
function nthSunday(year: number, month: number, n: number): number {
  const first = new Date(Date.UTC(year, month, 1)).getUTCDay();
  return 1 + ((7 - first) % 7) + (n - 1) * 7;
}

/** Offset of America/Los_Angeles at instant `ms`, in hours (-8 or -7; US rules since 2007). */
export function pacificOffsetHours(ms: number): number {
  const y = new Date(ms).getUTCFullYear();
  const start = Date.UTC(y, 2, nthSunday(y, 2, 2), 10); // 02:00 PST
  const end = Date.UTC(y, 10, nthSunday(y, 10, 1), 9); // 02:00 PDT
  return ms >= start && ms < end ? -7 : -8;
}

/** `2026-03-01T10:15:00-08:00`: how QuickBooks writes MetaData times (company time zone, whole seconds). */
export function qboTime(ms: number): string {
  const off = pacificOffsetHours(ms);
  const local = new Date(ms + off * HOUR).toISOString().slice(0, 19);
  return `${local}-0${-off}:00`;
}

/** `2026-03-01` in Pacific time. */
export function qboDate(ms: number): string {
  return qboTime(ms).slice(0, 10);
}

/** Response `time` field: like qboTime with milliseconds. */
export function responseTime(ms: number): string {
  const off = pacificOffsetHours(ms);
  return `${new Date(ms + off * HOUR).toISOString().slice(0, 23)}-0${-off}:00`;
}

/**
 * Parse a timestamp as QuickBooks accepts it in queries and `changedSince`:
 * ISO 8601 with a zone, or without one (read as Pacific time), or a date (midnight Pacific).
 */
export function parseQboTime(value: string): number | null {
  const m = value.trim().match(/^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/);
  if (!m) return null;
  const base = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0),
    Math.round(Number(m[7] ?? 0) * 1000));
  if (Number.isNaN(base)) return null;
  const zone = m[8];
  if (zone === 'Z') return base;
  if (zone) {
    const z = zone.replace(':', '');
    const mins = Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5));
    return base - (z.startsWith('-') ? -mins : mins) * 60_000;
  }
  return base - pacificOffsetHours(base + 8 * HOUR) * HOUR;
}

/** Is `s` a calendar date `YYYY-MM-DD` that exists? */
export function isDate(s: unknown): s is string {
  if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

export type FaultType = 'ValidationFault' | 'AUTHENTICATION' | 'AuthorizationFault' | 'SERVICE' | 'SystemFault';

export function fault(type: FaultType, errors: FaultError[], now: number): JsonObject {
  return { Fault: { Error: errors.map((e) => ({ ...e })), type }, time: responseTime(now) };
}

/** A validation error, thrown by entity code and turned into a 400 `ValidationFault`. */
export class QboError extends Error {
  readonly errors: FaultError[];
  constructor(code: string, message: string, detail: string, element?: string) {
    super(`${code} ${message}: ${detail}`);
    this.errors = [{ Message: message, Detail: detail, code, ...(element ? { element } : {}) }];
  }
}

export const err = {
  required: (field: string): QboError =>
    new QboError('2020', 'Required param missing, need to supply the required value for the API',
      `Required parameter ${field} is missing in the request`, field),
  invalid: (field: string, why: string): QboError =>
    new QboError('2010', 'Request has invalid or unsupported property', `Property Name:${field} ${why}`, field),
  badRef: (field: string, id: string): QboError =>
    new QboError('2500', 'Invalid Reference Id', `Invalid Reference Id : ${field} ${id} does not exist or is inactive`, field),
  notFound: (entity: string, id: string): QboError =>
    new QboError('610', 'Object Not Found',
      `Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees. (${entity} ${id})`),
  stale: (entity: string, id: string): QboError =>
    new QboError('5010', 'Stale Object Error',
      `Stale Object Error : You and sandbox.user@example.com were working on this at the same time. sandbox.user@example.com finished before you did, so your work was not saved. (${entity} Id=${id})`),
  business: (detail: string, element?: string): QboError =>
    new QboError('6000', 'A business validation error has occurred while processing your request', `Business Validation Error: ${detail}`, element),
};

export const THROTTLE_ERROR: FaultError = {
  Message: 'message=ThrottleExceeded; errorCode=003001; statusCode=429',
  Detail: 'The request limit was reached.',
  code: '3001',
};

export const AUTH_ERROR: FaultError = {
  Message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401',
  Detail: 'Token expired or invalid. Supply a valid access token in the Authorization header.',
  code: '3200',
};

export const FORBIDDEN_ERROR: FaultError = {
  Message: 'message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403',
  Detail: 'The access token does not grant access to this company (realmId).',
  code: '3100',
};

export function round2(n: number): number {
  return Math.round((n + Number.EPSILON) * 100) / 100;
}
