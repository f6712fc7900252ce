import type { Database, Tx } from '../../db/database.ts';
import { enqueueOnce } from '../../jobs.ts';

/** Invoices asked for within this long are read together, in as few calls as the provider allows. */
export const INVOICE_REFRESH_DEBOUNCE_MS = 2_000;

/**
 * Asks for Ledgerport's invoices to be read again at the provider (payments in), by the
 * platform's ids or by provider ids (a provider webhook); returns how many were asked for. They gather in
 * invoice_refreshes, and one keyed job reads them, so a burst of webhooks costs few calls.
 */
export async function requestInvoiceRefresh(
  db: Database | Tx,
  tenantId: string,
  ids: { sourceIds?: readonly string[]; providerIds?: readonly string[] },
  opts: { now?: Date } = {},
): Promise<number> {
  // Only invoices Ledgerport pushed: payments on the provider's other invoices are not the platform's.
  const providerIds = new Set<string>();
  for (const [column, values] of [['source_id', ids.sourceIds], ['provider_id', ids.providerIds]] as const) {
    if (!values?.length) continue;
    const rows = await db
      .selectFrom('documents')
      .select('provider_id')
      .where('tenant_id', '=', tenantId)
      .where('kind', '=', 'sales_invoice')
      .where(column, 'in', [...values])
      .where('provider_id', 'is not', null)
      .execute();
    for (const r of rows) providerIds.add(r.provider_id!);
  }
  if (providerIds.size === 0) return 0;
  await db
    .insertInto('invoice_refreshes')
    .values([...providerIds].map((id) => ({ tenant_id: tenantId, provider_invoice_id: id })))
    .onConflict((oc) => oc.columns(['tenant_id', 'provider_invoice_id']).doNothing())
    .execute();
  const runAt = new Date((opts.now ?? new Date()).getTime() + INVOICE_REFRESH_DEBOUNCE_MS);
  await enqueueOnce(db, { task: 'refresh_invoices', payload: { tenant_id: tenantId }, jobKey: `refresh_invoices:${tenantId}`, runAt });
  return providerIds.size;
}
