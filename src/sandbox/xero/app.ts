// Wires all routes into one Hono app; the three Xero hosts are path prefixes of one origin.
import type { HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import { oauthHostFaults } from '../shared/faults.ts';
import { accountingPipeline, logAndParse, requireToken } from './api-pipeline.ts';
import { connectionsRoutes } from './connections-routes.ts';
import { contactsRoutes } from './contacts-routes.ts';
import { creditNotesRoutes } from './credit-notes-routes.ts';
import type { ApiEnv, SandboxContext } from './context.ts';
import { invoicesRoutes } from './invoices-routes.ts';
import { identityRoutes, loginRoutes } from './oauth-routes.ts';
import { paymentsRoutes } from './payments-routes.ts';
import { purchaseOrdersRoutes } from './purchase-orders-routes.ts';
import { settingsRoutes } from './settings-routes.ts';
import { notFound, problem } from './xero-format.ts';

export const LOGIN_PREFIX = '/login';
export const IDENTITY_PREFIX = '/identity';
export const API_PREFIX = '/api';

export function createApp(ctx: SandboxContext): Hono<{ Bindings: HttpBindings }> {
  const app = new Hono<{ Bindings: HttpBindings }>();

  // Faults for login/identity routes (API routes take theirs inside the accounting pipeline).
  app.use('*', oauthHostFaults(
    ctx.faults,
    (path) => path.startsWith(`${API_PREFIX}/`) ? undefined : path.replace(/^\/(login|identity)(?=\/)/, ''),
    (c, status) => c.json(problem(status, 'An error occurred', 'Injected failure'), status as 500),
  ));

  app.route(LOGIN_PREFIX, loginRoutes(ctx));
  app.route(IDENTITY_PREFIX, identityRoutes(ctx));

  const accounting = new Hono<ApiEnv>();
  accounting.use('*', accountingPipeline(ctx));
  accounting.route('/', settingsRoutes(ctx));
  accounting.route('/', contactsRoutes(ctx));
  accounting.route('/', invoicesRoutes(ctx));
  accounting.route('/', creditNotesRoutes(ctx));
  accounting.route('/', paymentsRoutes(ctx));
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
