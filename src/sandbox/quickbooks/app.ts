// Wires all routes into one Hono app; the three Intuit hosts are path prefixes of one origin.
import type { HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import { oauthHostFaults } from '../shared/faults.ts';
import { apiPipeline, logAndParse } from './api-pipeline.ts';
import { apiRoutes } from './api-routes.ts';
import type { ApiEnv, SandboxContext } from './context.ts';
import { authorizeRoutes, oauthRoutes } from './oauth-routes.ts';
import { fault } from './qbo-format.ts';

/** appcenter.intuit.com/connect/oauth2 */
export const AUTHORIZE_PREFIX = '/appcenter/connect/oauth2';
/** oauth.platform.intuit.com */
export const OAUTH_PREFIX = '/oauth';
/** quickbooks.api.intuit.com */
export const API_PREFIX = '/api';

export function createApp(ctx: SandboxContext): Hono<{ Bindings: HttpBindings }> {
  const app = new Hono<{ Bindings: HttpBindings }>();

  // Faults for the consent page and token endpoints (API routes take theirs inside the API pipeline).
  app.use('*', oauthHostFaults(
    ctx.faults,
    (path) => path.startsWith(OAUTH_PREFIX) ? path.slice(OAUTH_PREFIX.length)
      : path.startsWith(AUTHORIZE_PREFIX) ? '/connect/oauth2' : undefined,
    (c, status) => c.json({ error: 'server_error', error_description: 'Injected failure' }, status as 500),
  ));

  app.route(AUTHORIZE_PREFIX, authorizeRoutes(ctx));
  app.route(OAUTH_PREFIX, oauthRoutes(ctx));

  const api = new Hono<ApiEnv>();
  api.use('*', logAndParse(ctx, API_PREFIX));
  api.use('*', apiPipeline(ctx));
  api.route('/v3/company/:realmId', apiRoutes(ctx));
  api.all('*', (c) => c.json(fault('ValidationFault', [{
    Message: 'Unsupported Operation', code: '500',
    Detail: `Operation Could not find resource for relative : ${c.req.path.slice(API_PREFIX.length)} of full path: ${c.req.url}`,
  }], ctx.clock.now()), 400));
  app.route(API_PREFIX, api);

  app.notFound((c) => c.text('Not Found', 404));
  app.onError((e, c) => {
    ctx.logger?.error({ err: e }, 'quickbooks sandbox: unhandled error');
    return c.json(fault('SystemFault', [{ Message: 'An application error has occurred while processing your request', code: '10000',
      Detail: `System Failure Error: ${e instanceof Error ? e.message : String(e)}` }], ctx.clock.now()), 500);
  });
  return app;
}
