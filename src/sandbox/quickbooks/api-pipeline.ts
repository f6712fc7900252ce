// Middleware for the quickbooks.api.intuit.com look-alike: request log, bearer auth, realm check,
// throttling, injected faults, `requestid` replay and dropped responses.
import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { sleep } from '../shared/clock.ts';
import { dropResponse, logRequests } from '../shared/request-log.ts';
import type { ApiEnv, SandboxContext } from './context.ts';
import { ACCOUNTING_SCOPE } from './oauth-routes.ts';
import { AUTH_ERROR, fault, FORBIDDEN_ERROR, THROTTLE_ERROR } from './qbo-format.ts';

export const MAX_REQUEST_ID = 50;
/** A batch's requestid is shorter (Intuit: at most 36 characters for batch operations). */
export const MAX_BATCH_REQUEST_ID = 36;
/** Route-side marker for a POST body that claimed to be JSON but did not parse. */
export const INVALID_JSON = Symbol('invalid-json');
const COMPANY_PATH = /^\/v3\/company\/([^/]+)(?:\/|$)/;

export { sleep } from '../shared/clock.ts';

const SYSTEM_FAULT = {
  Message: 'An application error has occurred while processing your request',
  Detail: 'System Failure Error: An unexpected error occurred while accessing or saving your data. Please wait a few minutes and try again.',
  code: '10000',
};

/** Logs the call; POST bodies are parsed as JSON (or kept as text for `application/text` queries). */
export function logAndParse(ctx: SandboxContext, prefix: string): MiddlewareHandler<ApiEnv> {
  return logRequests<ApiEnv>(ctx.requests, () => ctx.clock.now(), prefix, async (c, entry) => {
    c.set('logEntry', entry);
    let body: unknown;
    if (c.req.method === 'POST') {
      const text = await c.req.text();
      const json = (c.req.header('content-type') ?? '').includes('json');
      if (text !== '') {
        try { body = json ? JSON.parse(text) : text; } catch { body = INVALID_JSON; }
        entry.body = body === INVALID_JSON ? text : body;
      }
    }
    c.set('body', body);
    c.header('intuit_tid', `1-${randomUUID().replace(/-/g, '').slice(0, 24)}`);
  });
}

export function unauthorized(c: Context, now: number): Response {
  c.header('WWW-Authenticate', 'Bearer realm="Intuit", error="invalid_token"');
  return c.json(fault('AUTHENTICATION', [AUTH_ERROR], now), 401);
}

/** Auth, realm, throttling, faults, requestid and drop for /v3/company/{realmId}/... */
export function apiPipeline(ctx: SandboxContext): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const entry = c.get('logEntry');
    const now = ctx.clock.now();
    const m = entry.path.match(COMPANY_PATH);
    if (!m?.[1]) return next();
    const auth = ctx.oauth.authenticate(c.req.header('authorization'));
    if (!auth.ok) return unauthorized(c, now);
    const realmId = decodeURIComponent(m[1]);
    const company = ctx.store.get(realmId);
    if (!company || auth.grant.realmId !== realmId || !auth.grant.scope.split(' ').includes(ACCOUNTING_SCOPE)) {
      return c.json(fault('AUTHENTICATION', [FORBIDDEN_ERROR], now), 403);
    }
    entry.realmId = realmId;
    c.set('grant', auth.grant);
    c.set('company', company);
    company.stats.calls++;

    const forced = ctx.faults.take429(entry.path, entry.query);
    const acquired = forced ? undefined : ctx.limiter.acquire(realmId);
    if (!acquired || !acquired.ok) {
      company.stats.throttled++;
      return c.json(fault('SERVICE', [THROTTLE_ERROR], now), 429);
    }
    try {
      const delay = ctx.faults.takeDelay(entry.path, entry.query);
      if (delay !== undefined) await sleep(delay);
      const failure = ctx.faults.takeFailure(entry.path, entry.query);
      if (failure !== undefined) return c.json(fault('SystemFault', [SYSTEM_FAULT], ctx.clock.now()), failure as 500);
      const isWrite = c.req.method === 'POST' && !/\/query$/.test(entry.path);
      const requestId = c.req.query('requestid');
      const maxRequestId = /\/batch$/.test(entry.path) ? MAX_BATCH_REQUEST_ID : MAX_REQUEST_ID;
      if (requestId !== undefined && requestId.length > maxRequestId) {
        return c.json(fault('ValidationFault', [{ Message: 'Request has invalid or unsupported property', code: '2010',
          Detail: `Property Name:requestid is ${requestId.length} characters long; at most ${maxRequestId} are allowed`, element: 'requestid' }], now), 400);
      }
      if (isWrite && requestId) {
        const { response, replayed } = await ctx.idempotency.run(realmId, requestId, async () => {
          await next();
          return { status: c.res.status, body: await c.res.clone().text(), contentType: c.res.headers.get('content-type') ?? 'application/json' };
        });
        if (replayed) {
          entry.replayed = true;
          c.res = c.body(response.body, response.status as 200, { 'Content-Type': response.contentType });
        }
      } else {
        await next();
      }
      if (isWrite && ctx.faults.takeDrop(entry.path, entry.query)) dropResponse(c, entry);
    } finally {
      acquired.release();
    }
  };
}
