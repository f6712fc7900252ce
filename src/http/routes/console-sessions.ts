import { Hono, type Context } from 'hono';
import type { AppContext } from '../../context.ts';
import { AppError, notFound } from '../../errors.ts';
import { createConsoleLink, revokeConsoleSession, SESSION_TTL_MS } from '../../console/sessions.ts';
import type { AppEnv } from '../env.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Where links point: the configured public URL, else the origin the caller reached. */
export function consoleOrigin(ctx: AppContext, c: Context): string {
  return (ctx.config.publicUrl ?? new URL(c.req.url).origin).replace(/\/+$/, '');
}

async function linkAnswer(ctx: AppContext, c: Context<AppEnv>, tenantId: string | null) {
  const now = ctx.now();
  const principal = c.get('principal');
  const link = await createConsoleLink(ctx.db, { tenantId, subject: principal.subject, now });
  ctx.logger.child({ subsystem: 'console' }).info({ tenantId, sessionId: link.id, subject: principal.subject }, 'console link issued');
  return c.json(
    {
      id: link.id,
      tenant_id: tenantId,
      url: `${consoleOrigin(ctx, c)}/console/open?token=${link.token}`,
      expires_at: link.linkExpiresAt.toISOString(),
      session_expires_at: new Date(now.getTime() + SESSION_TTL_MS).toISOString(),
    },
    201,
  );
}

/** Under /v1/tenants/:tenant_id (bearer JWT already checked): a one-time console link, and revoking one. */
export function tenantConsoleSessionRoutes(ctx: AppContext) {
  return new Hono<AppEnv>()
    .post('/console-sessions', (c) => linkAnswer(ctx, c, c.req.param('tenant_id')!))
    .delete('/console-sessions/:session_id', async (c) => {
      const id = c.req.param('session_id');
      if (!UUID.test(id) || !(await revokeConsoleSession(ctx.db, { id, tenantId: c.req.param('tenant_id')!, now: ctx.now() }))) throw notFound('console session');
      return c.body(null, 204);
    });
}

/** POST /v1/console-sessions: the platform admin's console (every tenant); a tenant token is refused. */
export function adminConsoleSessionRoutes(ctx: AppContext) {
  return new Hono<AppEnv>()
    .use('*', async (c, next) => {
      const principal = await ctx.verifyToken(c.req.header('authorization'));
      if (!principal.isPlatformAdmin) throw new AppError(403, 'platform_admin_required', 'only a platform-admin token (tenant_id "*") can open the admin console');
      c.set('principal', principal);
      await next();
    })
    .post('/', (c) => linkAnswer(ctx, c, null))
    .delete('/:session_id', async (c) => {
      const id = c.req.param('session_id');
      if (!UUID.test(id) || !(await revokeConsoleSession(ctx.db, { id, tenantId: null, now: ctx.now() }))) throw notFound('console session');
      return c.body(null, 204);
    });
}
