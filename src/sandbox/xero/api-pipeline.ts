// Middleware for api.xero.com look-alike routes: request log, bearer auth, tenant check,
// rate limits, injected faults, contract checks, Idempotency-Key replay, dropped responses.
import type { Context, MiddlewareHandler } from 'hono';
import { sleep } from '../shared/clock.ts';
import { dropResponse, logRequests } from '../shared/request-log.ts';
import type { ApiEnv, SandboxContext } from './context.ts';
import { apiException, problem } from './xero-format.ts';

const WRITE = new Set(['PUT', 'POST', 'PATCH', 'DELETE']);
export const ACCOUNTING_PREFIX = '/api.xro/2.0';

export { sleep } from '../shared/clock.ts';

/** Logs the call and parses its JSON body (kept in `body`; a parse failure leaves the raw text). */
export function logAndParse(ctx: SandboxContext, prefix: string): MiddlewareHandler<ApiEnv> {
  return logRequests<ApiEnv>(ctx.requests, () => ctx.clock.now(), prefix, async (c, entry) => {
    c.set('logEntry', entry);
    if (WRITE.has(c.req.method)) {
      const text = await c.req.text();
      if (text !== '') {
        try { entry.body = JSON.parse(text); } catch { entry.body = text; }
      }
    }
    c.set('body', entry.body);
  });
}

export function unauthorized(c: Context, detail: string, expired = false): Response {
  c.header('WWW-Authenticate', expired ? 'Bearer error="invalid_token", error_description="The token is expired"' : 'Bearer error="invalid_token"');
  return c.json(problem(401, 'Unauthorized', detail), 401);
}

/** Bearer token check shared by /connections and the accounting API. */
export function requireToken(ctx: SandboxContext): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const r = ctx.oauth.authenticate(c.req.header('authorization'));
    if (!r.ok) {
      if (r.reason === 'expired') {
        return unauthorized(c, `TokenExpired: token expired at ${new Date(r.expiredAt ?? 0).toISOString()}`, true);
      }
      return unauthorized(c, 'AuthenticationUnsuccessful');
    }
    c.set('grant', r.grant);
    await next();
  };
}

function checkHeaders(ctx: SandboxContext, c: Context<ApiEnv>, apiPath: string): void {
  const now = ctx.clock.now();
  const accept = c.req.header('accept') ?? '';
  if (!accept.includes('application/json')) {
    ctx.contract.record({ method: c.req.method, path: apiPath, kind: 'header', time: now,
      message: `Accept header '${accept}' does not ask for application/json (Xero would answer in XML)` });
  }
  if (WRITE.has(c.req.method) && c.req.method !== 'DELETE') {
    const ct = c.req.header('content-type') ?? '';
    if (!ct.includes('application/json')) {
      ctx.contract.record({ method: c.req.method, path: apiPath, kind: 'header', time: now, message: `Content-Type '${ct}' is not application/json` });
    }
  }
  const key = c.req.header('idempotency-key');
  if (key !== undefined && key.length > 128) {
    ctx.contract.record({ method: c.req.method, path: apiPath, kind: 'header', time: now, message: 'Idempotency-Key longer than 128 characters' });
  }
}

/** Tenant check, limits, faults, contract check, idempotency and drop for /api.xro/2.0/*. */
export function accountingPipeline(ctx: SandboxContext): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const grant = c.get('grant');
    const entry = c.get('logEntry');
    const fullPath = entry.path;
    const apiPath = fullPath.slice(ACCOUNTING_PREFIX.length) || '/';
    const tenantId = (c.req.header('xero-tenant-id') ?? '').trim().toLowerCase();
    const org = tenantId ? ctx.store.get(tenantId) : undefined;
    const connected = ctx.oauth.connectionsFor(grant).some((x) => x.tenantId === tenantId);
    if (!org || !connected) return c.json(problem(403, 'Forbidden', 'AuthenticationUnsuccessful'), 403);
    entry.tenantId = org.org.OrganisationID;
    c.set('org', org);
    org.stats.calls++;

    const forced = ctx.faults.take429(fullPath, entry.query);
    const acquired = forced ? undefined : ctx.limiter.acquire(tenantId);
    if (forced || (acquired && !acquired.ok)) {
      const p = forced ?? (acquired && !acquired.ok ? acquired : { problem: 'minute' as const, retryAfterS: 60 });
      org.stats.rateLimited++;
      org.stats.byProblem[p.problem]++;
      for (const [k, v] of Object.entries(ctx.limiter.headers(tenantId))) c.header(k, v);
      c.header('Retry-After', String(p.retryAfterS));
      c.header('X-Rate-Limit-Problem', p.problem);
      return c.json(problem(429, 'Too Many Requests', `Rate limit exceeded: ${p.problem}`), 429);
    }
    if (!acquired?.ok) return c.json(problem(500, 'An error occurred', 'limiter'), 500);
    try {
      for (const [k, v] of Object.entries(acquired.headers)) c.header(k, v);
      const delay = ctx.faults.takeDelay(fullPath, entry.query);
      if (delay !== undefined) await sleep(delay);
      const failure = ctx.faults.takeFailure(fullPath, entry.query);
      if (failure !== undefined) {
        const title = failure === 503 ? 'Service Unavailable' : failure === 502 ? 'Bad Gateway' : 'An error occurred';
        return c.json(problem(failure, title, 'An error occurred in Xero. Check the API Status page for current service status.'), failure as 500);
      }
      checkHeaders(ctx, c, apiPath);
      const isWrite = WRITE.has(c.req.method);
      const body = c.get('body');
      if (isWrite && body !== undefined) {
        if (typeof body === 'string') {
          ctx.contract.record({ method: c.req.method, path: apiPath, kind: 'json', message: 'Body is not valid JSON', time: ctx.clock.now() });
          return c.json(apiException(14, 'PostDataInvalidException', 'Invalid Json data'), 400);
        }
        await ctx.contract.checkBody(c.req.method, apiPath, body, ctx.clock.now());
      }
      const key = c.req.header('idempotency-key');
      if (isWrite && key) {
        const { response, replayed } = await ctx.idempotency.run(tenantId, key, async () => {
          await next();
          return { status: c.res.status, body: await c.res.clone().text(), contentType: c.res.headers.get('content-type') ?? 'application/json' };
        });
        if (replayed) {
          c.res = c.body(response.body, response.status as 200, { 'Content-Type': response.contentType });
        }
      } else {
        await next();
      }
      if (isWrite && ctx.faults.takeDrop(fullPath, entry.query)) dropResponse(c, entry);
    } finally {
      acquired.release();
    }
  };
}
