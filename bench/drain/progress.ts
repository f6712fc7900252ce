import pg from 'pg';

export type StatusCounts = Record<string, number>;

/** Reads the tenant's documents by status and its push batches straight from the database. */
export function createProbe(databaseUrl: string, tenantId: string) {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'ledgerport-bench-drain' });
  const connected = client.connect();
  return {
    async statuses(): Promise<StatusCounts> {
      await connected;
      const { rows } = await client.query<{ status: string; n: string }>(
        'select status, count(*) as n from documents where tenant_id = $1 group by status',
        [tenantId],
      );
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    },
    /** Documents not yet at the provider in their newest version (an edit still to push). */
    async behind(): Promise<number> {
      await connected;
      const { rows } = await client.query<{ n: string }>(
        "select count(*) as n from documents where tenant_id = $1 and status = 'synced' and synced_version < source_version",
        [tenantId],
      );
      return Number(rows[0]?.n ?? 0);
    },
    async byKind(): Promise<Record<string, StatusCounts>> {
      await connected;
      const { rows } = await client.query<{ kind: string; status: string; n: string }>(
        'select kind, status, count(*) as n from documents where tenant_id = $1 group by kind, status',
        [tenantId],
      );
      const out: Record<string, StatusCounts> = {};
      for (const r of rows) (out[r.kind] ??= {})[r.status] = Number(r.n);
      return out;
    },
    async batches(): Promise<{ total: number; deferred: number; rateLimited: number; sizes: number[] }> {
      await connected;
      const { rows } = await client.query<{ size: number; last_error: string | null }>(
        'select cardinality(document_ids) as size, last_error from push_batches where tenant_id = $1 order by created_at',
        [tenantId],
      );
      return {
        total: rows.length,
        deferred: rows.filter((r) => r.last_error !== null).length,
        rateLimited: rows.filter((r) => r.last_error?.startsWith('rate limited')).length,
        sizes: rows.map((r) => r.size),
      };
    },
    close: () => client.end(),
  };
}

export type Probe = ReturnType<typeof createProbe>;
