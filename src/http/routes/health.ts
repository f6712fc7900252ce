import { Hono } from 'hono';
import type { AppContext } from '../../context.ts';
import { migrationsApplied } from '../../db/migrate.ts';
import type { AppEnv } from '../env.ts';
import { errorBody } from '../errors.ts';

export function healthRoutes(ctx: AppContext) {
  return new Hono<AppEnv>()
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .get('/readyz', async (c) => {
      try {
        if (!(await migrationsApplied(ctx.pool, ctx.migrationCount))) {
          return c.json(errorBody(c, 'not_ready', 'database migrations are not applied'), 503);
        }
        return c.json({ status: 'ready' });
      } catch (error) {
        ctx.logger.warn({ err: error }, 'readiness check failed');
        return c.json(errorBody(c, 'not_ready', 'database is not reachable'), 503);
      }
    });
}
