import { Hono } from 'hono';
import * as v from 'valibot';
import type { AppContext } from '../../context.ts';
import { listEvents } from '../../feed/repo.ts';
import { toFeedEvent } from '../../feed/types.ts';
import { requireTenant } from '../../sync/documents-repo.ts';
import type { AppEnv } from '../env.ts';
import { decodeCursor, encodeCursor, parseInput } from '../validate.ts';

const EventsQuery = v.object({
  after: v.optional(v.string()),
  limit: v.optional(
    v.pipe(v.string(), v.regex(/^\d+$/, 'must be a whole number'), v.transform(Number), v.minValue(1), v.maxValue(500)),
    '100',
  ),
});

/**
 * The tenant's change feed, oldest first. `next_cursor` is always a cursor to poll from next:
 * the last event's, or the `after` given when there is nothing new (the start of the feed when
 * neither), so a poller can store it and call again.
 */
export function eventRoutes(ctx: AppContext) {
  return new Hono<AppEnv>().get('/events', async (c) => {
    const tenantId = c.req.param('tenant_id')!;
    const query = parseInput(EventsQuery, c.req.query(), 'query parameters');
    const afterSeq = decodeCursor(query.after) ?? '0';
    await requireTenant(ctx.db, tenantId);
    const rows = await listEvents(ctx.db, { tenantId, afterSeq, limit: query.limit + 1 });
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return c.json({
      data: page.map(toFeedEvent),
      next_cursor: last ? encodeCursor(last.seq) : (query.after ?? encodeCursor('0')),
      has_more: rows.length > query.limit,
    });
  });
}
