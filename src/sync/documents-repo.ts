import type { Database } from '../db/database.ts';
import { tenantNotFound } from '../errors.ts';
import type { DocumentKind, DocumentStatus } from '../db/schema.ts';

export async function tenantExists(db: Database, tenantId: string): Promise<boolean> {
  return (await db.selectFrom('tenants').select('id').where('id', '=', tenantId).executeTakeFirst()) !== undefined;
}

/** Reads of a tenant Ledgerport has never heard of answer 404 tenant_not_found. */
export async function requireTenant(db: Database, tenantId: string): Promise<void> {
  if (!(await tenantExists(db, tenantId))) throw tenantNotFound();
}

const SUMMARY_COLUMNS = [
  'id', 'seq', 'tenant_id', 'kind', 'source_id', 'source_version', 'source_event_type', 'status',
  'status_reason', 'bill_status', 'provider_id', 'provider_number', 'defaults_version', 'last_error',
  'created_at', 'updated_at', 'synced_version', 'provider_status', 'amount_paid', 'amount_due',
] as const;

/** Newest first; `beforeSeq` continues after the last row of the previous page. */
export async function listDocuments(
  db: Database,
  opts: { tenantId: string; status?: DocumentStatus; kind?: DocumentKind; beforeSeq?: string; limit: number },
) {
  let query = db.selectFrom('documents').select(SUMMARY_COLUMNS).where('tenant_id', '=', opts.tenantId);
  if (opts.status) query = query.where('status', '=', opts.status);
  if (opts.kind) query = query.where('kind', '=', opts.kind);
  if (opts.beforeSeq) query = query.where('seq', '<', opts.beforeSeq);
  return query.orderBy('seq', 'desc').limit(opts.limit).execute();
}

export async function getDocumentWithHistory(db: Database, tenantId: string, documentId: string) {
  const doc = await db
    .selectFrom('documents')
    .select([...SUMMARY_COLUMNS, 'source', 'defaults_snapshot'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', documentId)
    .executeTakeFirst();
  if (!doc) return undefined;
  const [history, attempts] = await Promise.all([
    db
      .selectFrom('document_events')
      .select(['at', 'from_status', 'to_status', 'reason', 'source_version'])
      .where('document_id', '=', documentId)
      .orderBy('id')
      .execute(),
    db
      .selectFrom('sync_attempts')
      .select(['id', 'source_version', 'started_at', 'finished_at', 'outcome', 'provider_request_id', 'provider_errors'])
      .where('document_id', '=', documentId)
      .orderBy('id')
      .execute(),
  ]);
  return { doc, history, attempts };
}

export type DocumentSummaryRow = Awaited<ReturnType<typeof listDocuments>>[number];
