// Request logging for a sandbox's API host: every call is recorded (authorization redacted) with
// the status it was answered with. Provider-specific extras (body parsing, tracing headers) go in `before`.
import type { Context, Env, MiddlewareHandler } from 'hono';

export interface BaseRequestLogEntry {
  method: string;
  /** Path under apiUrl. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  status: number;
  /** Sandbox time (ms) when the request arrived. */
  time: number;
  /** True when the write was applied but the socket was destroyed without a response. */
  dropped?: boolean;
}

export interface BaseTokenRequestLogEntry {
  grant_type: string;
  client_id?: string;
  status: number;
  error?: string;
  time: number;
}

export function redactedHeaders(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((v, k) => {
    const name = k.toLowerCase();
    out[name] = name === 'authorization' ? `${v.split(' ')[0] ?? ''} [redacted]` : v;
  });
  return out;
}

/** Logs each call under `prefix` into `requests`; `before` runs after the entry is recorded, before the route. */
export function logRequests<E extends Env>(
  requests: BaseRequestLogEntry[],
  now: () => number,
  prefix: string,
  before: (c: Context<E>, entry: BaseRequestLogEntry) => Promise<void>,
): MiddlewareHandler<E> {
  return async (c, next) => {
    const url = new URL(c.req.url);
    const entry: BaseRequestLogEntry = {
      method: c.req.method, path: url.pathname.slice(prefix.length) || '/',
      query: Object.fromEntries(url.searchParams), headers: redactedHeaders(c.req.raw.headers),
      body: undefined, status: 0, time: now(),
    };
    requests.push(entry);
    await before(c, entry);
    try {
      await next();
    } finally {
      entry.status = c.res.status;
    }
  };
}

/** Simulates a lost response: the write was applied, but the socket is destroyed before the answer. */
export function dropResponse(c: { env?: { incoming?: { socket?: { destroy(): void } } } }, entry: { dropped?: boolean }): void {
  entry.dropped = true;
  c.env?.incoming?.socket?.destroy();
}
