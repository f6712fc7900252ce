import { createHash, timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { matchedRoutes } from 'hono/route';
import type { Logger } from 'pino';
import { AppError } from '../errors.ts';
import type { AppEnv } from '../http/env.ts';
import { errorBody } from '../http/errors.ts';
import type { Observability } from './index.ts';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Probes and scrapes make no spans: they would drown the traces that matter. */
const UNTRACED = new Set(['/metrics', '/healthz', '/readyz']);
const WEBHOOK_SOURCES: Readonly<Record<string, string>> = { '/webhooks/ops': 'ops', '/webhooks/xero': 'xero', '/webhooks/quickbooks': 'quickbooks' };

/**
 * The route template that answered (Hono's matched route path, e.g.
 * "/v1/tenants/:tenant_id/documents/:id"), never the raw path, so the label stays bounded. A 404
 * that no route answered (only the `*` middlewares matched) is "unmatched".
 */
export function routeTemplate(c: Context): string {
  const route = matchedRoutes(c)[c.req.routeIndex];
  if (!route) return 'unmatched';
  if (c.res.status === 404 && !c.error && route.method === 'ALL' && route.path.endsWith('*')) return 'unmatched';
  return route.path;
}

/** Why a webhook was answered 4xx: the error code of the answer, bounded by the code base. */
function refusalReason(c: Context): string {
  if (c.error instanceof AppError) return c.error.code;
  if (c.error instanceof HTTPException) return 'bad_request';
  // The provider receivers answer a bad signature with a bare 401 (what Xero's intent-to-receive check expects).
  if (c.res.status === 401) return 'invalid_signature';
  return `status_${c.res.status}`;
}

/**
 * Outermost middleware: requests by route template and status with their latency, in-flight
 * requests, webhook refusals by reason, and (tracing on) a SERVER span per request, continuing a
 * `traceparent` the caller sent. Ops webhooks that passed verification are counted by their
 * outcome where they are committed (observability/ingest.ts).
 */
export function observeHttp(obs: Observability): MiddlewareHandler<AppEnv> {
  const { metrics, tracing } = obs;
  return async (c, next) => {
    const started = performance.now();
    metrics.httpInFlight.inc();
    try {
      if (tracing.enabled && !UNTRACED.has(c.req.path)) {
        const parent = tracing.extract({ traceparent: c.req.header('traceparent'), tracestate: c.req.header('tracestate') });
        await tracing.span(c.req.method, { kind: SpanKind.SERVER, parent, attributes: { 'http.request.method': c.req.method, 'url.path': c.req.path } }, async (span) => {
          await next();
          const route = routeTemplate(c);
          span.updateName(`${c.req.method} ${route}`);
          span.setAttributes({ 'http.route': route, 'http.response.status_code': c.res.status, 'ledgerport.request_id': String(c.get('requestId') ?? '') });
          if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        });
      } else {
        await next();
      }
    } finally {
      metrics.httpInFlight.dec();
    }
    const status = c.res.status;
    const labels = { method: METHODS.has(c.req.method) ? c.req.method : 'OTHER', route: routeTemplate(c), status: String(status) };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, (performance.now() - started) / 1000);

    const source = c.req.method === 'POST' ? WEBHOOK_SOURCES[c.req.path] : undefined;
    if (source) {
      if (status >= 500) metrics.webhooks.inc({ source, outcome: 'failed' });
      else if (status >= 400) {
        metrics.webhooks.inc({ source, outcome: 'refused' });
        metrics.webhooksRefused.inc({ source, reason: refusalReason(c) });
      } else if (source !== 'ops') metrics.webhooks.inc({ source, outcome: 'accepted' });
    }
  };
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * GET /metrics in the Prometheus text format. With a token (METRICS_TOKEN) the scraper must send
 * `Authorization: Bearer <token>`, compared in constant time (both sides hashed to 32 bytes
 * first, so neither the token's length nor its content shows in the timing); open otherwise.
 */
export function metricsRoutes(obs: Observability, token: string | undefined) {
  const expected = token === undefined ? undefined : digest(token);
  return new Hono<AppEnv>().get('/metrics', async (c) => {
    if (expected) {
      const header = c.req.header('authorization');
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
      if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
        const [code, message] = header ? ['invalid_token', 'that is not the metrics token'] : ['missing_token', 'GET /metrics needs the metrics bearer token (METRICS_TOKEN)'];
        return c.json(errorBody(c, code, message), 401, { 'www-authenticate': 'Bearer' });
      }
    }
    const { contentType, body } = await obs.render();
    return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' });
  });
}

/**
 * The worker role's own small listener (METRICS_PORT): GET /metrics (same token rule) and
 * GET /healthz for a liveness probe; nothing else.
 */
export async function startMetricsServer(obs: Observability, opts: { port: number; host: string; token: string | undefined; logger: Logger }): Promise<{ url: string; close(): Promise<void> }> {
  const app = new Hono<AppEnv>()
    .route('/', metricsRoutes(obs, opts.token))
    .get('/healthz', (c) => c.json({ status: 'ok' }));
  app.notFound((c) => c.json(errorBody(c, 'route_not_found', `no route for ${c.req.method} ${c.req.path}`), 404));
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: opts.port, hostname: opts.host }, () => resolve(s as Server));
    (s as Server).once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
  opts.logger.info({ url: `${url}/metrics` }, 'worker metrics listening');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
