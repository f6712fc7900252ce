import pg from 'pg';

export interface PhaseBatches {
  readonly phase: string;
  readonly rows: number;
  readonly transactions: number;
  /** Mean batch size as a request sees it: sum(n²) / sum(n). */
  readonly perRequestMean: number;
  readonly max: number;
}

export interface DatabaseTally {
  readonly inboundEvents: number;
  readonly documents: number;
  readonly queuedRouteJobs: number | undefined;
  readonly batches: PhaseBatches[];
}

/**
 * Counts what the gateway committed. Rows written by one group commit share a transaction id
 * (xmin), so batch sizes come from the data itself, with no instrumentation in src/.
 */
export async function inspectDatabase(url: string): Promise<DatabaseTally> {
  const client = new pg.Client({ connectionString: url, application_name: 'ledgerport-bench' });
  await client.connect();
  try {
    const count = async (sql: string) => Number((await client.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
    const inboundEvents = await count('select count(*)::text as n from inbound_events');
    const documents = await count('select count(*)::text as n from documents');
    let queuedRouteJobs: number | undefined;
    try {
      queuedRouteJobs = await count(`select count(*)::text as n from graphile_worker.jobs where task_identifier = 'route_document'`);
    } catch {
      queuedRouteJobs = undefined;
    }
    const { rows } = await client.query<{ phase: string; rows: string; transactions: string; weighted: string; max: string }>(`
      with tx as (
        select split_part(delivery_id, '_', 3) as phase, xmin::text as x, count(*) as n
        from inbound_events group by 1, 2
      )
      select phase, sum(n)::text as rows, count(*)::text as transactions,
             (sum(n * n)::numeric / sum(n))::text as weighted, max(n)::text as max
      from tx group by phase`);
    const batches = rows.map((r) => ({
      phase: r.phase,
      rows: Number(r.rows),
      transactions: Number(r.transactions),
      perRequestMean: Number(r.weighted),
      max: Number(r.max),
    }));
    return { inboundEvents, documents, queuedRouteJobs, batches };
  } finally {
    await client.end();
  }
}
