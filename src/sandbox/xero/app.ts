// Wires all routes into one Hono app; the three Xero hosts are path prefixes of one origin.
import type { HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import { accountingPipeline, logAndParse, requireToken, sleep } from './api-pipeline.ts';
import { connectionsRoutes } from './connections-routes.ts';
import { contactsRoutes } from './contacts-routes.ts';
import type { ApiEnv, SandboxContext } from './context.ts';
import { invoicesRoutes } from './invoices-routes.ts';
import { identityRoutes, loginRoutes } from './oauth-routes.ts';
import { purchaseOrdersRoutes } from './purchase-orders-routes.ts';
import { settingsRoutes } from './settings-routes.ts';
import { notFound, problem } from './xero-format.ts';

export const LOGIN_PREFIX = '/login';
export const IDENTITY_PREFIX = '/identity';
export const API_PREFIX = '/api';

export function createApp(ctx: SandboxContext): Hono<{ Bindings: HttpBindings }> {
  const app = new Hono<{ Bindings: HttpBindings }>();

  // Faults for login/identity routes (API routes take theirs inside the accounting pipeline).
  app.use('*', async (c, next) => {
    const url = new URL(c.req.url);
    const path = url.pathname;
    if (!path.startsWith(`${API_PREFIX}/`)) {
      const rel = path.replace(/^\/(login|identity)(?=\/)/, '');
      const query = Object.fromEntries(url.searchParams);
      const delay = ctx.faults.takeDelay(rel, query);
      if (delay !== undefined) await sleep(delay);
      const failure = ctx.faults.takeFailure(rel, query);
      if (failure !== undefined) return c.json(problem(failure, 'An error occurred', 'Injected failure'), failure as 500);
    }
    await next();
  });

  app.route(LOGIN_PREFIX, loginRoutes(ctx));
  app.route(IDENTITY_PREFIX, identityRoutes(ctx));

  const accounting = new Hono<ApiEnv>();
  accounting.use('*', accountingPipeline(ctx));
  accounting.route('/', settingsRoutes(ctx));
  accounting.route('/', contactsRoutes(ctx));
  accounting.route('/', invoicesRoutes(ctx));
  accounting.route('/', purchaseOrdersRoutes(ctx));
  accounting.all('*', (c) => c.json(notFound(), 404));

  const api = new Hono<ApiEnv>();
  api.use('*', logAndParse(ctx, API_PREFIX));
  api.use('*', requireToken(ctx));
  api.route('/', connectionsRoutes(ctx));
  api.route('/api.xro/2.0', accounting);
  app.route(API_PREFIX, api);

  app.notFound((c) => c.json(notFound(), 404));
  app.onError((err, c) => {
    ctx.logger?.error({ err }, 'xero sandbox: unhandled error');
    return c.json(problem(500, 'An error occurred', String(err instanceof Error ? err.message : err)), 500);
  });
  return app;
}
