import type { MiddlewareHandler } from 'hono';
import type { AppContext } from '../context.ts';
import { tenantNotFound } from '../errors.ts';
import { canAccessTenant } from '../security/jwt-auth.ts';
import type { AppEnv } from './env.ts';

/** Bearer JWT for every /v1/tenants/:tenant_id route; another tenant's resources look absent. */
export function requireTenantAccess(ctx: AppContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = await ctx.verifyToken(c.req.header('authorization'));
    const tenantId = c.req.param('tenant_id');
    // Tenant ids are at most 200 characters (tenants.id) of text PostgreSQL can store: a longer
    // one, or one with a NUL (%00 in the path), cannot exist.
    if (!tenantId || tenantId.length > 200 || tenantId.includes('\u0000') || !canAccessTenant(principal, tenantId)) {
      throw tenantNotFound();
    }
    c.set('principal', principal);
    await next();
  };
}
