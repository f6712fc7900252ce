import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import type { ProviderAccount, ProviderRecords, ProviderSession, ProviderTaxRate } from './types.ts';

/** A day-old chart of accounts or tax rate list is fine; "refresh" asks the provider again. */
export const CATALOG_MAX_AGE_MS = 24 * 60 * 60 * 1000;

interface Catalogs {
  accounts: ProviderAccount[];
  tax_rates: ProviderTaxRate[];
}

/**
 * The organisation's accounts and tax rates, cached in provider_catalog: read by the platform's
 * pickers, by the posting defaults check and by the mapping of documents.
 */
export async function cachedCatalog<K extends keyof Catalogs>(
  db: Database,
  records: ProviderRecords,
  session: ProviderSession,
  kind: K,
  opts: { refresh?: boolean } = {},
): Promise<{ data: Catalogs[K]; fetchedAt: Date }> {
  if (!opts.refresh) {
    const cached = await db
      .selectFrom('provider_catalog')
      .select(['data', 'fetched_at'])
      .where('tenant_id', '=', session.tenantId)
      .where('kind', '=', kind)
      .executeTakeFirst();
    if (cached && Date.now() - cached.fetched_at.getTime() < CATALOG_MAX_AGE_MS) {
      return { data: cached.data as Catalogs[K], fetchedAt: cached.fetched_at };
    }
  }
  const data = (kind === 'accounts' ? await records.accounts(session) : await records.taxRates(session)) as Catalogs[K];
  const row = await db
    .insertInto('provider_catalog')
    .values({ tenant_id: session.tenantId, kind, data: JSON.stringify(data) })
    .onConflict((oc) => oc.columns(['tenant_id', 'kind']).doUpdateSet({ data: JSON.stringify(data), fetched_at: sql`now()` }))
    .returning('fetched_at')
    .executeTakeFirstOrThrow();
  return { data, fetchedAt: row.fetched_at };
}
