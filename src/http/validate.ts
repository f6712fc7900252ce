import * as v from 'valibot';
import { badRequest } from '../errors.ts';

export function issueDetails(issues: readonly v.BaseIssue<unknown>[]) {
  return issues.map((issue) => ({ path: v.getDotPath(issue) ?? '', message: issue.message }));
}

/** Parses request input, turning every problem into one 400 with field paths. */
export function parseInput<S extends v.GenericSchema>(schema: S, input: unknown, what: string): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (!result.success) throw badRequest('validation_failed', `invalid ${what}`, issueDetails(result.issues));
  return result.output;
}

function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(containsNul);
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => k.includes('\u0000') || containsNul(v));
  return false;
}

/**
 * Decodes a JSON body: not UTF-8 or not JSON is the client's mistake (400), never a 500; so is
 * NUL in a string, which PostgreSQL's text and jsonb cannot store.
 */
export function decodeJson(body: Uint8Array): unknown {
  return decodeJsonText(body).value;
}

/** decodeJson, also returning the decoded text (valid JSON, so it can be stored as sent). */
export function decodeJsonText(body: Uint8Array): { text: string; value: unknown } {
  let text: string;
  let value: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    value = JSON.parse(text);
  } catch {
    throw badRequest('malformed_json', 'the body is not valid UTF-8 JSON');
  }
  // The escape is rare, so the walk only runs when the raw text could contain one.
  if (text.includes('\\u0000') && containsNul(value)) {
    throw badRequest('invalid_characters', 'strings must not contain NUL (\\u0000)');
  }
  return { text, value };
}

export async function readJson(req: { arrayBuffer(): Promise<ArrayBuffer> }): Promise<unknown> {
  return decodeJson(new Uint8Array(await req.arrayBuffer()));
}

const CURSOR = /^[A-Za-z0-9_-]{1,40}$/;

/** Opaque cursors: base64url of the last row's sequence number. */
export function encodeCursor(seq: string): string {
  return Buffer.from(`s:${seq}`).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const decoded = CURSOR.test(cursor) ? Buffer.from(cursor, 'base64url').toString() : '';
  const match = /^s:(\d{1,19})$/.exec(decoded);
  if (!match?.[1]) throw badRequest('invalid_cursor', 'cursor is not one this API returned');
  return match[1];
}

/**
 * One page of a list read with `limit + 1` rows: the rows to return, and the cursor of the
 * last one when more follow (else null).
 */
export function pageOf<T>(rows: readonly T[], limit: number, position: (row: T) => string): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { page, nextCursor: rows.length > limit && last ? encodeCursor(position(last)) : null };
}

export const limitParam = v.optional(
  v.pipe(v.string(), v.regex(/^\d+$/, 'must be a whole number'), v.transform(Number), v.minValue(1), v.maxValue(200)),
  '50',
);
