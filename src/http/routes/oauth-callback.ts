import { Hono } from 'hono';
import { completeAuthorization } from '../../connections/service.ts';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import type { AppEnv } from '../env.ts';
import { connectionDeps } from './connection.ts';

/**
 * GET /oauth/{provider}/callback: where the provider sends the user's browser back. Answers
 * JSON, or redirects to the `return_url` given when the flow started (with `status`, or `error`).
 */
export function oauthCallbackRoutes(ctx: AppContext) {
  const deps = connectionDeps(ctx);
  return new Hono<AppEnv>().get('/oauth/:provider/callback', async (c) => {
    const provider = c.req.param('provider');
    if (provider !== 'xero' && provider !== 'quickbooks') throw new AppError(404, 'route_not_found', `no OAuth callback for ${provider}`);
    try {
      const result = await completeAuthorization(deps, provider, c.req.query());
      if (result.returnUrl) {
        const target = new URL(result.returnUrl);
        target.searchParams.set('status', result.status);
        target.searchParams.set('tenant_id', result.tenantId);
        return c.redirect(target.toString(), 302);
      }
      return c.json({ tenant_id: result.tenantId, provider: result.provider, status: result.status });
    } catch (error) {
      const returnUrl = error instanceof AppError ? (error.details as { return_url?: string | null } | undefined)?.return_url : undefined;
      if (error instanceof AppError && returnUrl) {
        const target = new URL(returnUrl);
        target.searchParams.set('error', error.code);
        return c.redirect(target.toString(), 302);
      }
      throw error;
    }
  });
}
