import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { quickbooksRateKeys, type RateGovernor } from '../rate-governor.ts';
import { ProviderError, type ProviderMessage, type ProviderSession } from '../types.ts';
import type { Observability } from '../../observability/index.ts';
import { fetchStatus, observeProviderCall } from '../../observability/providers.ts';

export const MINOR_VERSION = '75';
/** QuickBooks' 429 carries no Retry-After: wait this long before the company's next call. */
export const THROTTLE_BACKOFF_MS = 5_000;

export interface QuickBooksClientDeps {
  readonly apiUrl: string;
  readonly governor: RateGovernor;
  readonly logger: Logger;
  readonly timeoutMs: number;
  readonly maxGovernorWaitMs: number;
  /** Metrics and spans of each call (observability/providers.ts). */
  readonly observability?: Observability;
}

interface QboFault {
  Fault?: { Error?: { Message?: string; Detail?: string; code?: string; element?: string }[]; type?: string };
}

/**
 * QuickBooks keeps a batch's `requestid` to at most 36 characters (50 elsewhere; Intuit, "Request
 * ID update for QuickBooks Online integration"). Ledgerport's keys are longer, so a batch's
 * requestid is derived from its key (and the call's suffix): the same key gives the same requestid,
 * so a replay is still recognised, and a different one a different requestid.
 */
export const BATCH_REQUEST_ID_MAX = 36;
export function batchRequestId(prefix: string, material: string): string {
  return `${prefix}${createHash('sha256').update(material).digest('base64url')}`.slice(0, BATCH_REQUEST_ID_MAX);
}

export interface QboRequest {
  readonly method: 'GET' | 'POST';
  /** Under /v3/company/{realmId}/, e.g. "query" or "batch". */
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly body?: unknown;
}

/** QuickBooks' own words from a Fault, one message per error, with the element it names. */
export function faultMessages(body: unknown): ProviderMessage[] {
  const errors = (body as QboFault | undefined)?.Fault?.Error ?? [];
  return errors.map((e) => ({
    message: [e.Message, e.Detail].filter(Boolean).join(': ') || `QuickBooks error ${e.code ?? ''}`.trim(),
    ...(e.element ? { field: e.element } : {}),
  }));
}

export const faultCode = (body: unknown): string | undefined => (body as QboFault | undefined)?.Fault?.Error?.[0]?.code;

/**
 * One QuickBooks API call for a session: within the governor's limits (500/min, 10 concurrent
 * per company), with a timeout, one refresh-and-retry on 401, failures classified.
 */
export async function callQuickBooks<T>(deps: QuickBooksClientDeps, session: ProviderSession, name: string, request: QboRequest): Promise<T> {
  let token = await session.accessToken();
  for (let attempt = 0; ; attempt++) {
    const acquired = await deps.governor.acquire(quickbooksRateKeys(session.orgId), { maxWaitMs: deps.maxGovernorWaitMs });
    if (!acquired.granted) {
      throw new ProviderError('rate_limited', `Ledgerport's rate governor holds ${name} back (${acquired.reason})`, { retryAfterMs: acquired.waitMs, problem: acquired.reason });
    }
    try {
      const url = new URL(`${deps.apiUrl}/v3/company/${encodeURIComponent(session.orgId)}/${request.path}`);
      for (const [k, v] of Object.entries({ ...request.query, minorversion: MINOR_VERSION })) url.searchParams.set(k, v);
      let res: Response;
      try {
        res = await observeProviderCall(deps.observability, { provider: 'quickbooks', operation: name, tenantId: session.tenantId }, () => fetch(url, {
          method: request.method,
          headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(request.body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: request.body === undefined ? undefined : JSON.stringify(request.body),
          signal: AbortSignal.timeout(deps.timeoutMs),
        }), fetchStatus);
      } catch (error) {
        throw new ProviderError('unreachable', `QuickBooks ${name}: no response (${(error as Error).message})`);
      }
      const text = await res.text().catch((error: Error) => {
        throw new ProviderError('unreachable', `QuickBooks ${name}: response cut off (${error.message})`);
      });
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      if (res.ok) return body as T;
      const details = faultMessages(body);
      const summary = details[0]?.message ?? `${res.status}`;
      if (res.status === 401 && attempt === 0) {
        deps.logger.info({ call: name, tenantId: session.tenantId }, 'QuickBooks refused the access token; refreshing once');
        token = await session.refreshedAccessToken();
        continue;
      }
      if (res.status === 401) throw new ProviderError('unauthorized', `QuickBooks ${name}: 401 ${summary}`, { status: 401 });
      if (res.status === 403) throw new ProviderError('forbidden', `QuickBooks ${name}: 403 ${summary}`, { status: 403 });
      if (res.status === 429) {
        const header = res.headers.get('retry-after');
        const retryAfterMs = header ? Math.max(1, Number(header)) * 1000 : THROTTLE_BACKOFF_MS;
        await deps.governor.block(quickbooksRateKeys(session.orgId)[0]!.key, retryAfterMs, 'throttled');
        throw new ProviderError('rate_limited', `QuickBooks ${name}: 429 throttled`, { status: 429, retryAfterMs, problem: 'throttled' });
      }
      if (res.status >= 500) throw new ProviderError('transient', `QuickBooks ${name}: ${res.status} ${summary}`, { status: res.status });
      throw new ProviderError('validation', `QuickBooks ${name}: ${res.status} ${summary}`, { status: res.status, details, code: faultCode(body) });
    } finally {
      await acquired.lease.release();
    }
  }
}

/** A value inside a QuickBooks query string literal. */
export const qboLiteral = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export async function query<T>(deps: QuickBooksClientDeps, session: ProviderSession, entity: string, statement: string): Promise<T[]> {
  const body = await callQuickBooks<{ QueryResponse?: Record<string, unknown> }>(deps, session, `query ${entity}`, { method: 'GET', path: 'query', query: { query: statement } });
  return ((body.QueryResponse?.[entity] as T[] | undefined) ?? []);
}

const STALE_OBJECT = '5010';

/**
 * A sparse update with the SyncToken QuickBooks requires. `current` is the record as last read;
 * when someone changed it since (error 5010, stale SyncToken) it is read again and the update
 * applied once more on the fresh version.
 */
export async function updateEntity<T extends { Id: string; SyncToken: string }>(
  deps: QuickBooksClientDeps,
  session: ProviderSession,
  entity: string,
  current: T,
  patch: Record<string, unknown>,
): Promise<T> {
  const path = entity.toLowerCase();
  const send = (syncToken: string) =>
    callQuickBooks<Record<string, T>>(deps, session, `update ${entity}`, { method: 'POST', path, body: { ...patch, Id: current.Id, SyncToken: syncToken, sparse: true } });
  try {
    return (await send(current.SyncToken))[entity]!;
  } catch (error) {
    if (!(error instanceof ProviderError) || error.code !== STALE_OBJECT) throw error;
    deps.logger.info({ entity, id: current.Id, tenantId: session.tenantId }, 'stale SyncToken; reading the record again and retrying the update');
    const fresh = await callQuickBooks<Record<string, T>>(deps, session, `get ${entity}`, { method: 'GET', path: `${path}/${encodeURIComponent(current.Id)}` });
    return (await send(fresh[entity]!.SyncToken))[entity]!;
  }
}
