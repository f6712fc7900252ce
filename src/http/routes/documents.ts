import { Hono } from 'hono';
import * as v from 'valibot';
import type { AppContext } from '../../context.ts';
import { notFound } from '../../errors.ts';
import { pushManually, retryAllFailed, retryFailed, setBillStatus } from '../../sync/document-actions.ts';
import { getDocumentWithHistory, listDocuments, requireTenant, type DocumentSummaryRow } from '../../sync/documents-repo.ts';
import type { AppEnv } from '../env.ts';
import type { DocumentKind, DocumentStatus } from '../../db/schema.ts';
import { DOCUMENT_KINDS } from '../../providers/capabilities.ts';
import { decodeCursor, decodeJson, limitParam, pageOf, parseInput, readJson } from '../validate.ts';

const STATUSES = ['received', 'held', 'queued', 'pushing', 'synced', 'uncertain', 'failed', 'voided'] as const satisfies readonly DocumentStatus[];
const KINDS = DOCUMENT_KINDS as readonly DocumentKind[];

const ListQuery = v.object({
  status: v.optional(v.picklist(STATUSES)),
  kind: v.optional(v.picklist(KINDS)),
  limit: limitParam,
  cursor: v.optional(v.string()),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BillStatusBody = v.strictObject({ bill_status: v.picklist(['not_billed', 'partly_billed', 'billed']) });
const IdempotencyKey = v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(255)));
const BulkRetryBody = v.pipe(
  // valibot's object schemas accept arrays; a body that is not a JSON object is refused here.
  v.custom<Record<string, unknown>>((x) => typeof x === 'object' && x !== null && !Array.isArray(x), 'must be a JSON object'),
  v.strictObject({
    kind: v.optional(v.picklist(KINDS)),
    ids: v.optional(
      v.pipe(
        v.array(v.pipe(v.string(), v.regex(UUID, 'must be a document id (a UUID)'), v.toLowerCase())),
        v.minLength(1, 'must name at least one document; leave ids out to retry every failed document'),
        v.maxLength(10_000),
      ),
    ),
  }),
);

/** An optional JSON body: none at all (zero bytes) is `{}`. */
async function readOptionalJson(req: { arrayBuffer(): Promise<ArrayBuffer> }): Promise<unknown> {
  const body = new Uint8Array(await req.arrayBuffer());
  return body.byteLength === 0 ? {} : decodeJson(body);
}

/** Anything that is not a UUID cannot name a document: 404, like an unknown one. */
function documentIdParam(value: string): string {
  if (!UUID.test(value)) throw notFound('document');
  return value;
}

export function documentSummary(row: Omit<DocumentSummaryRow, 'seq'>) {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    kind: row.kind,
    source_id: row.source_id,
    source_version: row.source_version,
    source_event_type: row.source_event_type,
    status: row.status,
    status_reason: row.status_reason,
    bill_status: row.bill_status,
    provider_id: row.provider_id,
    provider_number: row.provider_number,
    synced_version: row.synced_version,
    provider_status: row.provider_status,
    amount_paid: row.amount_paid,
    amount_due: row.amount_due,
    defaults_version: row.defaults_version,
    last_error: row.last_error ?? null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export function documentRoutes(ctx: AppContext) {
  return new Hono<AppEnv>()
    .get('/documents', async (c) => {
      const tenantId = c.req.param('tenant_id')!;
      const query = parseInput(ListQuery, c.req.query(), 'query parameters');
      const beforeSeq = decodeCursor(query.cursor);
      await requireTenant(ctx.db, tenantId);
      const rows = await listDocuments(ctx.db, { tenantId, status: query.status, kind: query.kind, beforeSeq, limit: query.limit + 1 });
      const { page, nextCursor } = pageOf(rows, query.limit, (row) => row.seq);
      return c.json({ data: page.map(documentSummary), next_cursor: nextCursor });
    })
    .get('/documents/:document_id', async (c) => {
      const tenantId = c.req.param('tenant_id')!;
      const documentId = c.req.param('document_id');
      await requireTenant(ctx.db, tenantId);
      const found = await getDocumentWithHistory(ctx.db, tenantId, documentIdParam(documentId));
      if (!found) throw notFound('document');
      const { doc, history, attempts } = found;
      return c.json({
        ...documentSummary(doc),
        source: doc.source,
        defaults_snapshot: doc.defaults_snapshot ?? null,
        history: history.map((h) => ({
          at: h.at.toISOString(),
          from_status: h.from_status,
          to_status: h.to_status,
          reason: h.reason,
          source_version: h.source_version,
        })),
        attempts: attempts.map((a) => ({
          id: a.id,
          source_version: a.source_version,
          started_at: a.started_at.toISOString(),
          finished_at: a.finished_at?.toISOString() ?? null,
          outcome: a.outcome,
          provider_request_id: a.provider_request_id,
          provider_errors: a.provider_errors ?? null,
        })),
      });
    })
    .post('/documents/retry', async (c) => {
      const tenantId = c.req.param('tenant_id')!;
      const key = parseInput(IdempotencyKey, c.req.header('idempotency-key'), 'Idempotency-Key header');
      const body = parseInput(BulkRetryBody, await readOptionalJson(c.req), 'bulk retry');
      await requireTenant(ctx.db, tenantId);
      const result = await retryAllFailed(ctx.db, ctx.logger, tenantId, { kind: body.kind, ids: body.ids }, key);
      return c.json(result, 202);
    })
    .post('/documents/:document_id/push', async (c) => {
      const tenantId = c.req.param('tenant_id')!;
      const documentId = documentIdParam(c.req.param('document_id'));
      const status = await pushManually(ctx.db, ctx.logger, tenantId, documentId);
      return c.json({ document_id: documentId, status }, 202);
    })
    .post('/documents/:document_id/retry', async (c) => {
      const tenantId = c.req.param('tenant_id')!;
      const documentId = documentIdParam(c.req.param('document_id'));
      const key = parseInput(IdempotencyKey, c.req.header('idempotency-key'), 'Idempotency-Key header');
      const status = await retryFailed(ctx.db, ctx.logger, tenantId, documentId, key);
      return c.json({ document_id: documentId, status }, 202);
    })
    .put('/documents/:document_id/bill-status', async (c) => {
      const tenantId = c.req.param('tenant_id')!;
      const documentId = documentIdParam(c.req.param('document_id'));
      const body = parseInput(BillStatusBody, await readJson(c.req), 'bill status');
      await setBillStatus(ctx.db, tenantId, documentId, body.bill_status);
      const found = await getDocumentWithHistory(ctx.db, tenantId, documentId);
      return c.json(documentSummary(found!.doc));
    });
}
