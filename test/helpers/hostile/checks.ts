/**
 * What every answer to a hostile request must be: below 500; a refusal is a 4xx in the JSON
 * error envelope whose request_id is the X-Request-Id header; no stack frame, file path or
 * internal error name anywhere; documented in openapi.yaml; and a refused request stores
 * nothing.
 */
import { sql } from 'kysely';
import type { Harness } from '../harness.ts';
import { conformsTo } from './spec.ts';

const CWD = process.cwd();
const LEAK_PATTERNS: readonly RegExp[] = [
  // a V8 stack frame: "at fn (/path/file.ts:12:34)", "at /path/file.js:1:2", "at async fn (node:internal/...)"
  /\bat (?:async )?(?:[\w$.<>[\]]+ )?\(?(?:file:\/\/|node:|\/|[A-Za-z]:\\)[^\s)]*:\d+(?::\d+)?\)?/,
  /\bat (?:async )?[\w$.<>[\]]+ \([^)]*:\d+:\d+\)/,
  /\b[\w./-]+\.(?:[cm]?[jt]s)x?:\d+(?::\d+)?\b/,
  /node_modules|node:internal|file:\/\//,
  /\b(?:TypeError|RangeError|SyntaxError|ReferenceError|AggregateError|DatabaseError)\b/,
  /Maximum call stack|invalid byte sequence|violates (?:foreign key|check|unique) constraint|stack depth limit|overflows numeric/,
];

/** Stack traces, file paths and internal error text in a response body (empty when clean). */
export function leaks(text: string): string[] {
  const found = LEAK_PATTERNS.filter((re) => re.test(text)).map((re) => `${re} → ${JSON.stringify(text.match(re)?.[0])}`);
  if (CWD.length > 1 && text.includes(CWD)) found.push(`the working directory ${CWD}`);
  return found;
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: unknown;
  /** The response does not match openapi.yaml (undocumented status, media type or schema). */
  readonly specError: string | undefined;
}

const ENVELOPE = { $ref: '#/components/schemas/ErrorEnvelope' };

/** Problems with a refusal: 4xx, the envelope, request_id = X-Request-Id. `bareUnauthorized`: a documented 401 with no body. */
export function refusalProblems(answer: Answer, opts: { bareUnauthorized?: boolean } = {}): string[] {
  const problems: string[] = [];
  if (answer.status < 400 || answer.status >= 500) problems.push(`status ${answer.status} is not a 4xx`);
  if (opts.bareUnauthorized && answer.status === 401 && answer.text === '') return problems;
  if (!/^application\/json\b/.test(answer.headers.get('content-type') ?? '')) problems.push(`content-type ${answer.headers.get('content-type')} is not JSON`);
  else if (!conformsTo('ErrorEnvelope', ENVELOPE, answer.body)) problems.push('the body is not the JSON error envelope');
  else {
    const requestId = (answer.body as { error: { request_id: string } }).error.request_id;
    if (requestId !== answer.headers.get('x-request-id')) problems.push(`error.request_id ${requestId} is not X-Request-Id ${answer.headers.get('x-request-id')}`);
  }
  return problems;
}

const TABLES = ['inbound_events', 'documents', 'document_events', 'posting_defaults', 'api_idempotency_keys', 'connections', 'console_sessions', 'tenants', 'sync_runs'] as const;

/**
 * Row counts of every table a request can write, plus what changes in place (document and
 * connection updates, revoked sessions) and the job queue: equal before and after means nothing
 * was stored.
 */
export async function storeFingerprint(h: Harness): Promise<Record<string, string>> {
  const { rows } = await sql<Record<string, string>>`
    select ${sql.join(TABLES.map((t) => sql`(select count(*) from ${sql.table(t)})::text as ${sql.ref(t)}`))},
      (select coalesce(max(updated_at)::text, '') from documents) as documents_updated,
      (select coalesce(max(updated_at)::text, '') || ':' || coalesce(sum(token_version), 0)::text from connections) as connections_updated,
      (select count(*) filter (where revoked_at is not null)::text from console_sessions) as console_sessions_revoked,
      (select count(*)::text from graphile_worker._private_jobs) as jobs`.execute(h.database.db);
  return rows[0]!;
}

export function fingerprintChanges(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys(after).filter((k) => before[k] !== after[k]).map((k) => `${k}: ${before[k]} → ${after[k]}`);
}
