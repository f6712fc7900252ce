import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import type { DocumentKind, DocumentStatus } from '../db/schema.ts';

/** The documents list of the console: filters, and a search over number, reference and platform id. */
export async function searchDocuments(
  db: Database,
  opts: { tenantId: string; kind?: DocumentKind; status?: DocumentStatus; q?: string; beforeSeq?: string; limit: number },
) {
  let query = db
    .selectFrom('documents')
    .select(['id', 'seq', 'kind', 'source_id', 'source_version', 'status', 'status_reason', 'provider_number', 'provider_id', 'last_error', 'updated_at', 'amount_due', 'source'])
    .where('tenant_id', '=', opts.tenantId);
  if (opts.kind) query = query.where('kind', '=', opts.kind);
  if (opts.status) query = query.where('status', '=', opts.status);
  if (opts.q) {
    const pattern = `%${opts.q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    query = query.where((eb) =>
      eb.or([
        eb('source_id', 'ilike', pattern),
        eb('provider_number', 'ilike', pattern),
        eb(sql<string>`source->>'number'`, 'ilike', pattern),
        eb(sql<string>`source->>'reference'`, 'ilike', pattern),
      ]),
    );
  }
  if (opts.beforeSeq) query = query.where('seq', '<', opts.beforeSeq);
  return query.orderBy('seq', 'desc').limit(opts.limit).execute();
}

/** How many documents of the tenant are in each status, for the filter's counts. */
export async function statusCounts(db: Database, tenantId: string): Promise<Map<DocumentStatus, number>> {
  const rows = await db.selectFrom('documents').select(['status', sql<number>`count(*)::int`.as('n')]).where('tenant_id', '=', tenantId).groupBy('status').execute();
  return new Map(rows.map((r) => [r.status, r.n]));
}
