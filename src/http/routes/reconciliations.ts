import { Hono } from 'hono';
import * as v from 'valibot';
import type { AppContext } from '../../context.ts';
import { badRequest, conflict, notFound } from '../../errors.ts';
import { isoDate } from '../../ingest/ops-envelope.ts';
import { requireTenant } from '../../sync/documents-repo.ts';
import { getReconciliation, listFindings, listReconciliations, startReconciliation, type Reconciliation } from '../../sync/reconcile/repo.ts';
import type { AppEnv } from '../env.ts';
import { decodeCursor, decodeJson, limitParam, pageOf, parseInput } from '../validate.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const StartBody = v.pipe(
  v.strictObject({
    kind: v.optional(v.nullable(v.picklist(['sales_invoice', 'supplier_bill', 'credit_note'])), null),
    from: v.optional(v.nullable(isoDate), null),
    to: v.optional(v.nullable(isoDate), null),
  }),
  v.forward(
    v.partialCheck([['from'], ['to']], (b) => !b.from || !b.to || b.to >= b.from, 'must be on or after from'),
    ['to'],
  ),
);
const ListQuery = v.object({ cursor: v.optional(v.string()), limit: limitParam });
const DetailQuery = v.object({ cursor: v.optional(v.string()), limit: limitParam });

function reconciliationBody(r: Reconciliation) {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    status: r.status,
    trigger: r.trigger,
    kind: r.scope.kind,
    from: r.scope.from,
    to: r.scope.to,
    created_at: r.created_at.toISOString(),
    started_at: r.started_at?.toISOString() ?? null,
    finished_at: r.finished_at?.toISOString() ?? null,
    counts: { documents: r.total, agreeing: r.succeeded, with_findings: r.failed },
    findings_by_type: r.findingCounts,
    error: r.error,
  };
}

/**
 * Reconciliations: compare what the provider holds for the documents Ledgerport pushed with
 * Ledgerport's own records (src/sync/reconcile/). Starting one queues a job; nothing is changed
 * at the provider.
 */
export function reconciliationRoutes(ctx: AppContext) {
  return new Hono<AppEnv>()
    .post('/reconciliations', async (c) => {
      const tenantId = c.req.param('tenant_id')!;
      const raw = new Uint8Array(await c.req.arrayBuffer());
      const json = raw.byteLength === 0 ? {} : decodeJson(raw);
      // valibot's object schemas take arrays for objects.
      if (Array.isArray(json)) throw badRequest('validation_failed', 'invalid reconciliation', [{ path: '', message: 'must be a JSON object' }]);
      const body = parseInput(StartBody, json, 'reconciliation');
      await requireTenant(ctx.db, tenantId);
      const connection = await ctx.db.selectFrom('connections').select(['status']).where('tenant_id', '=', tenantId).executeTakeFirst();
      if (connection?.status !== 'connected') {
        throw conflict('not_connected', `the tenant's accounting connection is ${connection?.status ?? 'missing'}; connect it first`);
      }
      const runId = await startReconciliation(ctx.db, { tenantId, trigger: 'manual', scope: { kind: body.kind, from: body.from, to: body.to } });
      const started = await getReconciliation(ctx.db, tenantId, runId);
      ctx.logger.info({ tenantId, runId }, 'reconciliation queued');
      return c.json(reconciliationBody(started!), 202);
    })
    .get('/reconciliations', async (c) => {
      const tenantId = c.req.param('tenant_id')!;
      const query = parseInput(ListQuery, c.req.query(), 'query parameters');
      const beforeSeq = decodeCursor(query.cursor);
      await requireTenant(ctx.db, tenantId);
      const rows = await listReconciliations(ctx.db, { tenantId, beforeSeq, limit: query.limit + 1 });
      const { page, nextCursor } = pageOf(rows, query.limit, (row) => row.seq);
      return c.json({ data: page.map(reconciliationBody), next_cursor: nextCursor });
    })
    .get('/reconciliations/:reconciliation_id', async (c) => {
      const tenantId = c.req.param('tenant_id')!;
      const id = c.req.param('reconciliation_id');
      const query = parseInput(DetailQuery, c.req.query(), 'query parameters');
      const afterId = decodeCursor(query.cursor);
      await requireTenant(ctx.db, tenantId);
      const found = UUID.test(id) ? await getReconciliation(ctx.db, tenantId, id) : undefined;
      if (!found) throw notFound('reconciliation');
      const rows = await listFindings(ctx.db, { runId: id, afterId, limit: query.limit + 1 });
      const { page, nextCursor } = pageOf(rows, query.limit, (row) => row.id);
      return c.json({
        ...reconciliationBody(found),
        findings: page.map((f) => ({
          id: f.id,
          type: f.type,
          document_id: f.document_id,
          kind: f.kind,
          number: f.number,
          reference: f.reference,
          provider_ids: f.provider_ids,
          expected: f.expected ?? null,
          actual: f.actual ?? null,
          message: f.message,
          created_at: f.created_at.toISOString(),
        })),
        next_cursor: nextCursor,
      });
    });
}
