import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import { BUILT_IN_DEFAULTS, type PostingDefaults } from '../documents/posting-defaults.ts';
import { currentDefaults } from '../sync/defaults.ts';
import { encodeXeroInvoiceRow, XERO_INVOICE_HEADER, xeroInvoiceRows, type ExportKind } from './xero-invoice-template.ts';

export interface DocumentExportFilter {
  readonly tenantId: string;
  readonly kind: ExportKind;
  /** Issue dates from and to, inclusive (YYYY-MM-DD). */
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

/** Documents read per query: a page of CSV is all the export holds in memory at once. */
export const EXPORT_PAGE_SIZE = 1000;

/** One page in `seq` order after `afterSeq` (keyset, on the tenant-kind-seq index); voided documents are left out. */
function readPage(db: Database, filter: DocumentExportFilter, afterSeq: string, limit: number) {
  let query = db
    .selectFrom('documents')
    .select(['seq', 'source_id', 'source', 'defaults_snapshot'])
    .where('tenant_id', '=', filter.tenantId)
    .where('kind', '=', filter.kind)
    .where('seq', '>', afterSeq)
    .where('status', '<>', 'voided')
    .where(sql<boolean>`source->>'voided' is null`);
  if (filter.from) query = query.where((eb) => eb(sql<string>`source->>'issue_date'`, '>=', filter.from!));
  if (filter.to) query = query.where((eb) => eb(sql<string>`source->>'issue_date'`, '<=', filter.to!));
  return query.orderBy('seq').limit(limit).execute();
}

/**
 * The tenant's documents as CSV in Xero's invoice-import layout, a header then one chunk per
 * page of documents, each read when the previous chunk has been taken. Each document appears
 * once, at the version current when its page was read; a document without a posting-defaults
 * snapshot yet (never queued, e.g. held for want of a connection) uses the tenant's current ones.
 */
export async function* documentsCsv(db: Database, filter: DocumentExportFilter, opts: { pageSize?: number } = {}): AsyncGenerator<string> {
  const pageSize = opts.pageSize ?? EXPORT_PAGE_SIZE;
  const tenantDefaults = (await currentDefaults(db, filter.tenantId)).settings;
  yield XERO_INVOICE_HEADER;
  let afterSeq = '0';
  for (;;) {
    const rows = await readPage(db, filter, afterSeq, pageSize);
    let chunk = '';
    for (const row of rows) {
      const defaults: PostingDefaults = row.defaults_snapshot
        ? { ...BUILT_IN_DEFAULTS, ...(row.defaults_snapshot as Partial<PostingDefaults>) }
        : tenantDefaults;
      for (const line of xeroInvoiceRows({ kind: filter.kind, sourceId: row.source_id, source: row.source, defaults })) {
        chunk += encodeXeroInvoiceRow(line);
      }
    }
    if (chunk) yield chunk;
    if (rows.length < pageSize) return;
    afterSeq = rows.at(-1)!.seq;
  }
}
