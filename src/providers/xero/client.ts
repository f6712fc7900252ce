import type { AccountingApi } from 'xero-node';
import type { Logger } from 'pino';
import { xeroRateKeys, type RateGovernor } from '../rate-governor.ts';
import { ProviderError, type ProviderMessage, type ProviderSession } from '../types.ts';
import type { Observability } from '../../observability/index.ts';
import { observeProviderCall } from '../../observability/providers.ts';

export interface XeroClientDeps {
  readonly apiUrl: string;
  readonly governor: RateGovernor;
  readonly logger: Logger;
  /** A call still unanswered after this is treated as an unknown outcome. */
  readonly timeoutMs: number;
  /** How long a call may wait for the governor before the job is rescheduled instead. */
  readonly maxGovernorWaitMs: number;
  /** Metrics and spans of each call (observability/providers.ts). */
  readonly observability?: Observability;
}

interface XeroResult<T> {
  body: T;
}

/**
 * Runs one xero-node AccountingApi call for a session: within the governor's limits, with a
 * timeout, a single refresh-and-retry on 401, and every failure classified as a ProviderError.
 */
export async function callXero<T>(
  deps: XeroClientDeps,
  session: ProviderSession,
  name: string,
  run: (api: AccountingApi, orgId: string) => Promise<XeroResult<T>>,
): Promise<T> {
  let token = await session.accessToken();
  for (let attempt = 0; ; attempt++) {
    const acquired = await deps.governor.acquire(xeroRateKeys(session.orgId), { maxWaitMs: deps.maxGovernorWaitMs });
    if (!acquired.granted) {
      throw new ProviderError('rate_limited', `Ledgerport's rate governor holds ${name} back (${acquired.reason})`, {
        retryAfterMs: acquired.waitMs,
        problem: acquired.reason,
      });
    }
    try {
      // xero-node is ~50 MB of generated code: loaded on the first Xero call, not at start.
      const { AccountingApi } = await import('xero-node');
      const api = new AccountingApi();
      api.basePath = `${deps.apiUrl}/api.xro/2.0`;
      api.accessToken = token;
      const result = await observeProviderCall(deps.observability, { provider: 'xero', operation: name, tenantId: session.tenantId }, () => withTimeout(run(api, session.orgId), deps.timeoutMs, name), XERO_STATUS);
      return result.body;
    } catch (raw) {
      const error = classify(raw, name);
      if (error.kind === 'unauthorized' && attempt === 0) {
        deps.logger.info({ call: name, tenantId: session.tenantId }, 'Xero refused the access token; refreshing once');
        token = await session.refreshedAccessToken();
        continue;
      }
      if (error.kind === 'rate_limited') {
        await deps.governor.block(xeroRateKeys(session.orgId)[0]!.key, error.retryAfterMs ?? 60_000, error.problem ?? 'unknown');
      }
      throw error;
    } finally {
      await acquired.lease.release();
    }
  }
}

/** The HTTP status of a xero-node answer (its `response`), or of a failure as classify() reads it (0: no answer). */
const XERO_STATUS = {
  ok: (result: unknown) => {
    const response = (result as { response?: { statusCode?: number; status?: number } }).response;
    return response?.statusCode ?? response?.status ?? 200;
  },
  error: (raw: unknown) => classify(raw, '').status,
};

function withTimeout<T>(promise: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProviderError('unreachable', `Xero did not answer ${name} within ${ms} ms`)), ms);
  });
  // The losing promise may still settle later; its outcome is resolved by idempotent replay.
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface RawXeroError {
  response?: { statusCode?: number; body?: unknown; headers?: Record<string, string> };
}

/** xero-node rejects with a JSON *string* (ApiError.generateError()), not an Error. */
export function classify(raw: unknown, name: string): ProviderError {
  if (raw instanceof ProviderError) return raw;
  let parsed: RawXeroError | undefined;
  if (typeof raw === 'string') {
    try {
      parsed = JSON.parse(raw) as RawXeroError;
    } catch {
      parsed = undefined;
    }
  } else if (raw && typeof raw === 'object' && 'response' in raw) {
    parsed = raw as RawXeroError;
  }
  const status = parsed?.response?.statusCode ?? 0;
  const headers = parsed?.response?.headers ?? {};
  const body = parsed?.response?.body;
  if (status === 0) {
    const reason = typeof body === 'string' ? body : raw instanceof Error ? raw.message : 'no response';
    return new ProviderError('unreachable', `Xero ${name}: no response (${reason})`);
  }
  const details = messagesOf(body);
  const summary = details[0]?.message ?? (typeof body === 'string' ? body : JSON.stringify(body ?? null).slice(0, 300));
  if (status === 401) return new ProviderError('unauthorized', `Xero ${name}: 401 ${summary}`, { status });
  if (status === 403) return new ProviderError('forbidden', `Xero ${name}: 403 ${summary}`, { status });
  if (status === 429) {
    const retryAfter = Number(headers['retry-after'] ?? headers['Retry-After'] ?? 60);
    return new ProviderError('rate_limited', `Xero ${name}: 429 rate limited`, {
      status,
      retryAfterMs: Math.max(1, retryAfter) * 1000,
      problem: headers['x-rate-limit-problem'] ?? headers['X-Rate-Limit-Problem'],
    });
  }
  if (status >= 500) return new ProviderError('transient', `Xero ${name}: ${status} ${summary}`, { status });
  return new ProviderError('validation', `Xero ${name}: ${status} ${summary}`, { status, details });
}

/** Xero's own words from an error body: ValidationException elements, or Message/Detail. */
export function messagesOf(body: unknown): ProviderMessage[] {
  if (!body || typeof body !== 'object') return [];
  const b = body as {
    Message?: string;
    Detail?: string;
    Elements?: { ValidationErrors?: { Message: string }[]; LineItems?: { ValidationErrors?: { Message: string }[] }[] }[];
  };
  const messages: ProviderMessage[] = [];
  for (const element of b.Elements ?? []) {
    for (const v of element.ValidationErrors ?? []) messages.push({ message: v.Message ?? 'validation error' });
    (element.LineItems ?? []).forEach((line, index) => {
      for (const v of line.ValidationErrors ?? []) messages.push({ message: v.Message ?? 'validation error', line: index });
    });
  }
  if (messages.length === 0 && (b.Message || b.Detail)) messages.push({ message: (b.Detail ?? b.Message)! });
  return messages;
}
