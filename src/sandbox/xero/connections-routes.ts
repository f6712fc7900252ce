// api.xero.com/connections: the tenants the token's user has connected to this app.
import { Hono } from 'hono';
import type { ApiEnv, SandboxContext } from './context.ts';
import { problem } from './xero-format.ts';

const isoNoZone = (ms: number): string => new Date(ms).toISOString().replace('Z', '').padEnd(27, '0');

export function connectionsRoutes(ctx: SandboxContext): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get('/connections', (c) => {
    const authEventId = c.req.query('authEventId')?.toLowerCase();
    const list = ctx.oauth.connectionsFor(c.get('grant'))
      .filter((x) => !authEventId || x.authEventId === authEventId)
      .sort((a, b) => a.createdMs - b.createdMs)
      .map((x) => ({
        id: x.id,
        authEventId: x.authEventId,
        tenantId: x.tenantId,
        tenantType: 'ORGANISATION',
        tenantName: ctx.store.get(x.tenantId)?.org.Name ?? null,
        createdDateUtc: isoNoZone(x.createdMs),
        updatedDateUtc: isoNoZone(x.updatedMs),
      }));
    return c.json(list);
  });
  app.delete('/connections/:id', (c) => {
    if (!ctx.oauth.deleteConnection(c.get('grant'), c.req.param('id'))) {
      return c.json(problem(404, 'Resource Not Found', "The resource you're looking for cannot be found"), 404);
    }
    return c.body(null, 204);
  });
  return app;
}
