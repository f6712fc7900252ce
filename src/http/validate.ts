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

/** What PostgreSQL's text and jsonb cannot store in a string or key: NUL, or half a surrogate pair. */
function badCharacters(value: unknown): 'nul' | 'surrogate' | undefined {
  const check = (s: string) => (s.includes('\u0000') ? 'nul' : s.isWellFormed() ? undefined : 'surrogate');
  if (typeof value === 'string') return check(value);
  if (Array.isArray(value)) {
    for (const item of value) {
      const bad = badCharacters(item);
      if (bad) return bad;
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const bad = check(k) ?? badCharacters(v);
      if (bad) return bad;
    }
  }
  return undefined;
}

/**
 * Arrays and objects nest at most this deep. PostgreSQL's jsonb parser runs out of stack a few
 * thousand levels down, and so would any recursive walk of the value; no document nests deeper
 * than a handful.
 */
export const MAX_JSON_DEPTH = 64;
/** A number has at most this many characters and an exponent within ±this: PostgreSQL's numeric (jsonb) overflows far beyond doubles. */
const MAX_NUMBER_TEXT = 1000;

/** 0-9 . e E + - */
const isNumberChar = (c: number) => (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;

/**
 * One pass over valid JSON text, outside strings: how deep it nests and the first number
 * PostgreSQL could not store as jsonb.
 */
function scanJson(text: string): { depth: number; hugeNumber: string | undefined } {
  let depth = 0;
  let max = 0;
  let hugeNumber: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Skip the string: to the next quote not escaped by an odd number of backslashes.
      let end = text.indexOf('"', i + 1);
      for (;;) {
        let backslashes = 0;
        while (text.charCodeAt(end - 1 - backslashes) === 0x5c) backslashes++;
        if (backslashes % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      i = end;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) max = depth;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    } else if (hugeNumber === undefined && (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39))) {
      let end = i + 1;
      while (end < text.length && isNumberChar(text.charCodeAt(end))) end++;
      const token = text.slice(i, end);
      const exponent = /[eE]([+-]?\d+)$/.exec(token)?.[1];
      if (token.length > MAX_NUMBER_TEXT || (exponent !== undefined && Math.abs(Number(exponent)) > MAX_NUMBER_TEXT)) hugeNumber = token;
      i = end - 1;
    }
  }
  return { depth: max, hugeNumber };
}

const invalidJson = (message: string) => badRequest('validation_failed', 'the body cannot be accepted', [{ path: '', message }]);

/**
 * Decodes a JSON body: not UTF-8 or not JSON is the client's mistake (400), never a 500; so is
 * what PostgreSQL's text and jsonb cannot store: NUL or a lone surrogate (an unpaired \ud800
 * escape) in a string, nesting deeper than MAX_JSON_DEPTH, or a number beyond numeric's range.
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
  const { depth, hugeNumber } = scanJson(text);
  if (depth > MAX_JSON_DEPTH) throw invalidJson(`arrays and objects must not nest more than ${MAX_JSON_DEPTH} levels deep`);
  if (hugeNumber !== undefined) throw invalidJson(`numbers must have at most ${MAX_NUMBER_TEXT} characters and an exponent within ±${MAX_NUMBER_TEXT}`);
  // JSON text can carry either only as an escape (valid UTF-8 has no lone surrogate, and JSON
  // allows no raw control character in a string), so the walk runs only when it holds one.
  if (text.includes('\\u0000') || /\\u[dD][89a-fA-F]/.test(text)) {
    const bad = badCharacters(value);
    if (bad === 'nul') throw badRequest('invalid_characters', 'strings must not contain NUL (\\u0000)');
    if (bad === 'surrogate') throw badRequest('invalid_characters', 'strings must not contain a lone surrogate (an unpaired \\ud800-\\udfff escape)');
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
