import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import type { DocumentStatus } from '../db/schema.ts';
import { STATUSES } from '../documents/lifecycle.ts';
import type { Metrics } from './metrics.ts';

/** Statuses a document stays in for good (until a newer version); every other one is "open". */
const TERMINAL: readonly DocumentStatus[] = ['synced', 'voided'];
const OPEN = STATUSES.filter((s) => !TERMINAL.includes(s));
/**
 * Below this size the terminal statuses are counted exactly (a sequential scan of at most this
 * much, a few milliseconds); above it they come from the planner statistics, which autovacuum's
 * ANALYZE keeps current, so a scrape never scans a large table.
 */
const EXACT_TERMINAL_BYTES = 16 * 1024 * 1024;
/** Every statement of a scrape; a slow or locked database leaves the gauges out instead of hanging the scrape. */
const STATEMENT_TIMEOUT_MS = 2_000;

interface Snapshot {
  readonly queue: readonly { task: string; ready: number; scheduled: number; running: number; failed: number; oldest_ready_s: number | null }[];
  readonly documents: ReadonlyMap<string, number>;
  readonly feed: { readonly backlog: number; readonly oldestS: number | null };
}

/**
 * The gauges read from PostgreSQL when /metrics is scraped: job queue depth and the age of the
 * oldest ready job (graphile_worker._private_jobs, which holds only pending and failed jobs: a
 * completed job is deleted), documents by status, and the change feed's undelivered backlog
 * (the partial index outbound_events_undelivered). One short read-only transaction per scrape;
 * concurrent scrapes share it.
 *
 * Documents by status without a table scan: open documents are counted exactly on the partial
 * index documents_open_status (sql/0012), whose size is the backlog, not the table; synced and
 * voided, which grow without bound, are exact only while the table is small.
 */
export function createDatabaseGauges(metrics: Metrics, db: Database, logger: Logger, opts: { feed: boolean }): { refresh(): Promise<void> } {
  let inFlight: Promise<void> | undefined;

  const read = (): Promise<Snapshot> =>
    db.transaction().setAccessMode('read only').execute(async (tx) => {
      await sql`select set_config('statement_timeout', ${String(STATEMENT_TIMEOUT_MS)}, true)`.execute(tx);
      const queue = await sql<Snapshot['queue'][number]>`
        select t.identifier as task,
               (count(*) filter (where j.is_available and j.run_at <= now()))::int as ready,
               (count(*) filter (where j.is_available and j.run_at > now()))::int as scheduled,
               (count(*) filter (where j.locked_at is not null))::int as running,
               (count(*) filter (where j.locked_at is null and j.attempts >= j.max_attempts))::int as failed,
               extract(epoch from now() - min(j.run_at) filter (where j.is_available and j.run_at <= now()))::float8 as oldest_ready_s
        from graphile_worker._private_jobs j
        join graphile_worker._private_tasks t on t.id = j.task_id
        group by t.identifier`.execute(tx);
      // The predicate matches the partial index's exactly, so this is an index-only scan of open documents.
      const open = await sql<{ status: string; n: number }>`
        select status, count(*)::int as n from documents
        where status not in ('synced', 'voided') group by status`.execute(tx);
      const size = await sql<{ bytes: string; reltuples: number }>`
        select pg_relation_size(c.oid)::text as bytes, c.reltuples::float8 as reltuples
        from pg_class c where c.oid = 'documents'::regclass`.execute(tx);
      const bytes = Number(size.rows[0]?.bytes ?? 0);
      const terminal =
        bytes < EXACT_TERMINAL_BYTES
          ? await sql<{ status: string; n: number }>`
              select status, count(*)::int as n from documents where status in ('synced', 'voided') group by status`.execute(tx)
          : // reltuples × the status's share among the most common values, as the planner sees them.
            await sql<{ status: string; n: number }>`
              select v.status, round(greatest(c.reltuples, 0) * v.freq)::int as n
              from pg_class c,
                   lateral (select unnest(s.most_common_vals::text::text[]) as status, unnest(s.most_common_freqs) as freq
                            from pg_stats s where s.schemaname = current_schema() and s.tablename = 'documents' and s.attname = 'status') v
              where c.oid = 'documents'::regclass and v.status in ('synced', 'voided')`.execute(tx);
      // Without PLATFORM_WEBHOOK_URL nothing is ever delivered (the feed is read over the API): no backlog to report.
      const feed = opts.feed
        ? await sql<{ backlog: number; oldest_s: number | null }>`
            select count(*)::int as backlog, extract(epoch from now() - min(created_at))::float8 as oldest_s
            from outbound_events where delivered_at is null`.execute(tx)
        : { rows: [] };
      const documents = new Map<string, number>([...OPEN, ...TERMINAL].map((s) => [s, 0]));
      for (const row of [...open.rows, ...terminal.rows]) documents.set(row.status, row.n);
      return {
        queue: queue.rows,
        documents,
        feed: { backlog: feed.rows[0]?.backlog ?? 0, oldestS: feed.rows[0]?.oldest_s ?? null },
      };
    });

  const apply = (s: Snapshot) => {
    metrics.jobQueue.reset();
    let oldest = 0;
    for (const row of s.queue) {
      for (const state of ['ready', 'scheduled', 'running', 'failed'] as const) metrics.jobQueue.set({ task: row.task, state }, row[state]);
      oldest = Math.max(oldest, row.oldest_ready_s ?? 0);
    }
    metrics.jobQueueOldestReadyAge.set(oldest);
    metrics.documents.reset();
    for (const [status, n] of s.documents) metrics.documents.set({ status }, n);
    metrics.feedBacklog.set(s.feed.backlog);
    metrics.feedBacklogOldestAge.set(Math.max(0, s.feed.oldestS ?? 0));
  };

  // Stale numbers would look like a healthy queue: labelled series are left out, the others are NaN.
  const clear = () => {
    metrics.jobQueue.reset();
    metrics.documents.reset();
    for (const gauge of [metrics.jobQueueOldestReadyAge, metrics.feedBacklog, metrics.feedBacklogOldestAge]) gauge.set(Number.NaN);
  };

  return {
    refresh() {
      inFlight ??= read()
        .then(apply, (error: unknown) => {
          clear();
          metrics.collectionFailures.inc({ source: 'database' });
          logger.warn({ err: error }, 'metrics: database gauges could not be read');
        })
        .finally(() => {
          inFlight = undefined;
        });
      return inFlight;
    },
  };
}
