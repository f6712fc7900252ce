import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import type { AppContext } from '../context.ts';
import { requireTenantAccess } from './auth.ts';
import { limitBody } from './body-limit.ts';
import type { AppEnv } from './env.ts';
import { errorBody, handleError } from './errors.ts';
import { requestLog } from './request-log.ts';
import { connectionRoutes } from './routes/connection.ts';
import { defaultsRoutes } from './routes/defaults.ts';
import { docsRoutes } from './routes/docs.ts';
import { documentRoutes } from './routes/documents.ts';
import { eventRoutes } from './routes/events.ts';
import { exportRoutes } from './routes/exports.ts';
import { healthRoutes } from './routes/health.ts';
import { oauthCallbackRoutes } from './routes/oauth-callback.ts';
import { openapiRoutes } from './routes/openapi.ts';
import { recordRoutes } from './routes/records.ts';
import { paymentRoutes } from './routes/payments.ts';
import { syncRunRoutes } from './routes/sync-runs.ts';
import { reconciliationRoutes } from './routes/reconciliations.ts';
import { providerWebhookRoutes } from './routes/provider-webhooks.ts';
import { opsWebhookRoutes } from './routes/ops-webhooks.ts';
import { adminConsoleSessionRoutes, tenantConsoleSessionRoutes } from './routes/console-sessions.ts';
import { consoleApp } from '../console/app.ts';
import { plainPage } from '../console/layout.ts';
import { metricsRoutes, observeHttp } from '../observability/http.ts';

export function createApp(ctx: AppContext) {
  const logger = ctx.logger.child({ subsystem: 'http' });
  const tenantApi = new Hono<AppEnv>()
    .use('*', requireTenantAccess(ctx))
    .route('/', documentRoutes(ctx))
    .route('/', defaultsRoutes(ctx))
    .route('/', connectionRoutes(ctx))
    .route('/', eventRoutes(ctx))
    .route('/', recordRoutes(ctx))
    .route('/', syncRunRoutes(ctx))
    .route('/', reconciliationRoutes(ctx))
    .route('/', paymentRoutes(ctx))
    .route('/', exportRoutes(ctx))
    .route('/', tenantConsoleSessionRoutes(ctx));

  const app = new Hono<AppEnv>()
    .use('*', observeHttp(ctx.observability))
    .use('*', requestId({ limitLength: 100 }))
    .use('*', requestLog(logger))
    .use('*', limitBody(ctx.config.http.bodyLimitBytes))
    .route('/', healthRoutes(ctx))
    .route('/', metricsRoutes(ctx.observability, ctx.config.metrics.token))
    .route('/', openapiRoutes())
    .route('/', docsRoutes())
    .route('/', opsWebhookRoutes(ctx))
    .route('/', oauthCallbackRoutes(ctx))
    .route('/', providerWebhookRoutes(ctx))
    .route('/v1/console-sessions', adminConsoleSessionRoutes(ctx))
    .route('/console', consoleApp(ctx))
    .route('/v1/tenants/:tenant_id', tenantApi);

  app.notFound((c) => c.req.path.startsWith('/console') ? c.html(plainPage('Not found', 'There is no such page.'), 404) : c.json(errorBody(c, 'route_not_found', `no route for ${c.req.method} ${c.req.path}`), 404));
  app.onError(handleError(logger));
  return app;
}

export type App = ReturnType<typeof createApp>;
