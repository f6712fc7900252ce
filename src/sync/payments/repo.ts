import type { Database } from '../../db/database.ts';

/** Newest first; `beforeSeq` continues after the last row of the previous page. */
export async function listPayments(
  db: Database,
  opts: { tenantId: string; origin?: 'ledgerport' | 'provider'; status?: 'active' | 'deleted'; beforeSeq?: string; limit: number },
) {
  let query = db.selectFrom('provider_payments').selectAll().where('tenant_id', '=', opts.tenantId);
  if (opts.origin) query = query.where('origin', '=', opts.origin);
  if (opts.status) query = query.where('status', '=', opts.status);
  if (opts.beforeSeq) query = query.where('seq', '<', opts.beforeSeq);
  return query.orderBy('seq', 'desc').limit(opts.limit).execute();
}
