// Helpers for Xero's wire format: MS-JSON dates, envelopes, error bodies.
import { randomUUID } from 'node:crypto';
import type { JsonObject } from './types.ts';

export const PROVIDER_NAME = 'Ledgerport Sandbox';

/** `/Date(1700000000000+0000)/` as Xero emits for *DateUTC fields. */
export function msDate(ms: number): string {
  return `/Date(${Math.trunc(ms)}+0000)/`;
}

/** `2024-01-31T00:00:00` as Xero emits for DateString fields. */
export function dateString(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** Midnight UTC of the day containing `ms`. */
export function startOfDay(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

/**
 * Parse a date as Xero accepts it on input: `YYYY-MM-DD`, `YYYY-MM-DDTHH:mm:ss`
 * (taken as UTC) or `/Date(ms[+zzzz])/`. Returns epoch ms of the calendar day, or null.
 */
export function parseXeroDate(value: unknown): number | null {
  if (typeof value !== 'string' || value === '') return null;
  const ms = value.match(/^\/Date\((-?\d+)([+-]\d{4})?\)\/$/);
  if (ms?.[1] !== undefined) return startOfDay(Number(ms[1]));
  const iso = value.match(/^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/);
  if (!iso) return null;
  const [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  const t = Date.UTC(y, m - 1, d);
  const check = new Date(t);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d) return null;
  return t;
}

/** Parse an If-Modified-Since header (ISO without zone = UTC, or RFC 1123). */
export function parseModifiedSince(value: string | undefined): number | null {
  if (!value) return null;
  const isoNoZone = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value);
  const t = Date.parse(isoNoZone ? `${value}Z` : value);
  return Number.isNaN(t) ? null : t;
}

/** Round half away from zero to `dp` places, tolerant of binary float noise. */
export function roundTo(value: number, dp: number): number {
  const f = 10 ** dp;
  const sign = value < 0 ? -1 : 1;
  return (sign * Math.round(Math.abs(value) * f + 1e-9)) / f;
}

export const round2 = (v: number): number => roundTo(v, 2);

/** The envelope Xero wraps every accounting API response in. */
export function envelope(nowMs: number, body: JsonObject): JsonObject {
  return { Id: randomUUID(), Status: 'OK', ProviderName: PROVIDER_NAME, DateTimeUTC: msDate(nowMs), ...body };
}

/** RFC 7807-ish body Xero's gateway returns for 401/403/404/429/5xx. */
export function problem(status: number, title: string, detail: string): JsonObject {
  return { Type: null, Title: title, Status: status, Detail: detail, Instance: randomUUID(), Extensions: {} };
}

export function validationException(elements: JsonObject[]): JsonObject {
  return {
    ErrorNumber: 10,
    Type: 'ValidationException',
    Message: 'A validation exception occurred',
    Elements: elements,
  };
}

export function apiException(errorNumber: number, type: string, message: string): JsonObject {
  return { ErrorNumber: errorNumber, Type: type, Message: message };
}

export const notFound = (): JsonObject =>
  problem(404, 'Resource Not Found', "The resource you're looking for cannot be found");

/**
 * An instant given by a test helper: epoch ms, a Date, `/Date(ms+0000)/` or an ISO string
 * (no zone = UTC). Returns epoch ms, or null when it cannot be read.
 */
export function parseInstant(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.getTime();
  if (typeof value !== 'string') return null;
  const ms = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/.exec(value);
  if (ms?.[1] !== undefined) return Number(ms[1]);
  return parseModifiedSince(value);
}
