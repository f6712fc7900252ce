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

/** Reads a JSON body; malformed JSON is the client's mistake (400), never a 500. */
export async function readJson(req: { text(): Promise<string> }): Promise<unknown> {
  const text = await req.text();
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('malformed_json', 'the body is not valid JSON');
  }
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

export const limitParam = v.optional(
  v.pipe(v.string(), v.regex(/^\d+$/, 'must be a whole number'), v.transform(Number), v.minValue(1), v.maxValue(200)),
  '50',
);
