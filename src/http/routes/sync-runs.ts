import { Hono } from 'hono';
import type { SyncRunKind } from '../../db/schema-records.ts';
import * as v from 'valibot';
import type { AppContext } from '../../context.ts';
import { notFound } from '../../errors.ts';
import { requireTenant } from '../../sync/documents-repo.ts';
import { getRun, listRunItems, listRuns, type RunRow } from '../../sync/runs.ts';
import type { AppEnv } from '../env.ts';
import { decodeCursor, limitParam, pageOf, parseInput } from '../validate.ts';

const KINDS = ['contact_import', 'purchase_order_import', 'push', 'contact_refresh', 'purchase_order_refresh', 'payment_refresh', 'reconciliation'] as const satisfies readonly SyncRunKind[];
const ListQuery = v.object({ kind: v.optional(v.picklist(KINDS)), cursor: v.optional(v.string()), limit: limitParam });
const ItemsQuery = v.object({ items_cursor: v.optional(v.string()), items_limit: limitParam });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function runBody(r: RunRow) {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    kind: r.kind,
    trigger: r.trigger,
    status: r.status,
    dry_run: r.dry_run,
    created_at: r.created_at.toISOString(),
    started_at: r.started_at?.toISOString() ?? null,
    finished_at: r.finished_at?.toISOString() ?? null,
    counts: { total: r.total, succeeded: r.succeeded, failed: r.failed, skipped: r.skipped },
    progress: r.progress,
    error: r.error,
    summary: r.summary,
  };
}

export function syncRunRoutes(ctx: AppContext) {
  return new Hono<AppEnv>()
    .get('/sync-runs', async (c) => {
      const tenantId = c.req.param('tenant_id')!;
      const query = parseInput(ListQuery, c.req.query(), 'query parameters');
      const beforeSeq = decodeCursor(query.cursor);
      await requireTenant(ctx.db, tenantId);
      const rows = await listRuns(ctx.db, { tenantId, kind: query.kind, beforeSeq, limit: query.limit + 1 });
      const { page, nextCursor } = pageOf(rows, query.limit, (row) => row.seq);
      return c.json({ data: page.map(runBody), next_cursor: nextCursor });
    })
    .get('/sync-runs/:run_id', async (c) => {
      const tenantId = c.req.param('tenant_id')!;
      const runId = c.req.param('run_id');
      const query = parseInput(ItemsQuery, c.req.query(), 'query parameters');
      const afterId = decodeCursor(query.items_cursor);
      await requireTenant(ctx.db, tenantId);
      const run = UUID.test(runId) ? await getRun(ctx.db, tenantId, runId) : undefined;
      if (!run) throw notFound('sync run');
      const items = await listRunItems(ctx.db, { runId, afterId, limit: query.items_limit + 1 });
      const { page, nextCursor } = pageOf(items, query.items_limit, (item) => item.id);
      return c.json({
        ...runBody(run),
        items: page.map((i) => ({ id: i.id, item_type: i.item_type, item_id: i.item_id, outcome: i.outcome, message: i.message, errors: i.errors ?? null, at: i.at.toISOString() })),
        items_next_cursor: nextCursor,
      });
    });
}
