import type { Database, Tx } from '../db/database.ts';
import { BUILT_IN_DEFAULTS, type PostingDefaults } from '../documents/posting-defaults.ts';

/**
 * Posting defaults, versioned per tenant. A document stores the snapshot it was first queued
 * with, so changing defaults affects new exports only.
 */
export interface VersionedDefaults {
  readonly version: number;
  readonly settings: PostingDefaults;
  readonly updatedAt: Date | null;
}

export async function currentDefaults(db: Database | Tx, tenantId: string): Promise<VersionedDefaults> {
  const row = await db
    .selectFrom('posting_defaults')
    .select(['version', 'settings', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) return { version: 0, settings: BUILT_IN_DEFAULTS, updatedAt: null };
  // Stored settings are completed with today's defaults for fields added since they were saved.
  return { version: row.version, settings: { ...BUILT_IN_DEFAULTS, ...(row.settings as Partial<PostingDefaults>) }, updatedAt: row.created_at };
}

/** Stores a new version; the tenant row is locked so concurrent writes number versions in turn. */
export async function saveDefaults(tx: Tx, tenantId: string, settings: PostingDefaults): Promise<VersionedDefaults> {
  await tx.insertInto('tenants').values({ id: tenantId }).onConflict((oc) => oc.column('id').doNothing()).execute();
  await tx.selectFrom('tenants').select('id').where('id', '=', tenantId).forUpdate().execute();
  const previous = await currentDefaults(tx, tenantId);
  const row = await tx
    .insertInto('posting_defaults')
    .values({ tenant_id: tenantId, version: previous.version + 1, settings: JSON.stringify(settings) })
    .returning(['version', 'created_at'])
    .executeTakeFirstOrThrow();
  return { version: row.version, settings, updatedAt: row.created_at };
}
