import { sql } from 'kysely';
import type pg from 'pg';
import type { Database, Tx } from './db/database.ts';
import { withTraceContext } from './observability/trace-context.ts';

/** Every graphile-worker task and its payload; tasks/ validates the same shapes at run time. */
export interface TaskPayloads {
  // traceparent: W3C trace context of what enqueued the job (added by addJobs and accept_ops_events).
  route_document: { document_id: string; traceparent?: string };
  push_documents: { tenant_id: string; traceparent?: string };
  sweep_pushes: Record<string, never>;
  import_records: { tenant_id: string; run_id: string; kind: 'contacts' | 'purchase_orders'; dry_run: boolean };
  schedule_imports: Record<string, never>;
  sweep_deliveries: Record<string, never>;
  refresh_record: { tenant_id: string; kind: 'contact' | 'purchase_order' | 'payment'; provider_id: string };
  /** Payments in: read the tenant's invoices waiting in invoice_refreshes, many per call. */
  refresh_invoices: { tenant_id: string };
  /** Payments in without webhooks: poll the tenant's provider for changed invoices and payments. */
  poll_payment_changes: { tenant_id: string };
  /** Cron: queue poll_payment_changes for each tenant whose provider has change data capture. */
  schedule_payment_polls: Record<string, never>;
  /** Change feed: deliver the tenant's undelivered events to PLATFORM_WEBHOOK_URL, in order. */
  deliver_events: { tenant_id: string };
  /** Compare what the provider holds with Ledgerport's records (a reconciliation's sync run). */
  run_reconciliation: { tenant_id: string; run_id: string };
  /** Cron: start the reconciliations due by the posting defaults' reconcile_schedule. */
  schedule_reconciliations: Record<string, never>;
}
export type TaskName = keyof TaskPayloads;

export interface JobSpec<T extends TaskName = TaskName> {
  readonly task: T;
  readonly payload: TaskPayloads[T];
  /** Replaces a pending job with the same key instead of adding a second one. */
  readonly jobKey?: string;
  readonly runAt?: Date;
  readonly maxAttempts?: number;
  readonly queueName?: string;
  readonly priority?: number;
}

/**
 * Enqueues jobs with graphile-worker's own SQL function inside the caller's transaction, so a job
 * exists exactly when the rows it is about were committed.
 */
export async function addJobs(
  db: Database | Tx,
  specs: readonly JobSpec[],
  opts: { preserveRunAt?: boolean } = {},
): Promise<void> {
  if (specs.length === 0) return;
  // add_jobs upserts by job_key, which must be unique within one call.
  const byKey = new Map<string, JobSpec>();
  const unkeyed: JobSpec[] = [];
  for (const spec of specs) (spec.jobKey ? byKey.set(spec.jobKey, spec) : unkeyed.push(spec));
  const rows = [...unkeyed, ...byKey.values()].map((spec) => ({
    identifier: spec.task,
    // The active trace context, if any, so the job's span continues this trace (observability/jobs.ts).
    payload: withTraceContext(spec.payload),
    job_key: spec.jobKey ?? null,
    run_at: spec.runAt?.toISOString() ?? null,
    max_attempts: spec.maxAttempts ?? null,
    queue_name: spec.queueName ?? null,
    priority: spec.priority ?? null,
  }));
  await sql`select 1 from graphile_worker.add_jobs(array(
      select json_populate_record(null::graphile_worker.job_spec, spec)
      from json_array_elements(${JSON.stringify(rows)}::json) spec), ${opts.preserveRunAt ?? false})`.execute(db);
}

/**
 * Schedules the tenant's push job; an already pending one keeps its (earlier) time. During a
 * burst every routed document asks for it: upserting the same keyed job row from each of those
 * transactions would serialise them on that row and keep it locked, so graphile-worker (which
 * fetches with SKIP LOCKED) would pass the push job over. A pending job is therefore looked up in
 * graphile-worker's `jobs` view first and left alone.
 */
export async function enqueuePush(db: Database | Tx, tenantId: string, runAt: Date): Promise<void> {
  await enqueueOnce(db, { task: 'push_documents', payload: { tenant_id: tenantId }, jobKey: pushJobKey(tenantId), runAt, priority: PUSH_JOB_PRIORITY });
}

export const pushJobKey = (tenantId: string) => `push_documents:${tenantId}`;

/**
 * Push jobs run at graphile-worker's default priority, after the routing jobs already due. Run
 * first (-1), a tenant's pusher worked beside seven routing jobs and both went slower: a
 * 10,000-document QuickBooks backlog drained in 1.33-1.36x its bound, against 0.99-1.06x with
 * routing first (npm run bench:drain -- --provider quickbooks --ingest-first). The pusher's
 * batches took 345 ms instead of 85 ms, while the cores were less than half busy.
 */
export const PUSH_JOB_PRIORITY = 0;

/**
 * Makes the tenant's pending push job run at `runAt` at the latest: brings a later one forward
 * (e.g. one that rescheduled itself because another pusher held the tenant) or adds one.
 * `running`, asked only when something would change: whether a pusher runs for the tenant now;
 * then a pending job is left where it is (that pusher takes what is queued itself, and a job
 * brought forward would only be turned away by its lock), and one is added only if none is.
 */
export async function pullPushForward(db: Database | Tx, tenantId: string, runAt: Date, opts: { running?: () => Promise<boolean> } = {}): Promise<void> {
  const jobKey = pushJobKey(tenantId);
  const pending = (await liveJobs(db, jobKey)).find((job) => job.locked_at === null);
  if (pending && pending.run_at.getTime() <= runAt.getTime()) return;
  if (pending && opts.running && (await opts.running())) return;
  // Without preserveRunAt, add_jobs replaces the pending job's run_at.
  await addJobs(db, [{ task: 'push_documents', payload: { tenant_id: tenantId }, jobKey, runAt, priority: PUSH_JOB_PRIORITY }]);
}

/** The tenant's push job waiting to run, if any (not one running now). */
export async function pendingPush(db: Database | Tx, tenantId: string): Promise<{ run_at: Date } | undefined> {
  return (await liveJobs(db, pushJobKey(tenantId))).find((job) => job.locked_at === null);
}

/**
 * The jobs holding a key that will still run: graphile-worker keeps a job that used up its
 * attempts (with its key), and taking that for a pending one would never schedule the key again.
 */
async function liveJobs(db: Database | Tx, jobKey: string): Promise<{ run_at: Date; locked_at: Date | null }[]> {
  const { rows } = await sql<{ run_at: Date; locked_at: Date | null }>`
    select run_at, locked_at from graphile_worker.jobs where key = ${jobKey} and attempts < max_attempts`.execute(db);
  return rows;
}

/**
 * graphile-worker fetches a job scheduled for later only when it next polls (pollInterval, 1 s)
 * or hears of another new job, so a push due in 50 ms ran up to a second late. This tells every
 * worker to look for jobs when `runAt` comes (a lost nudge leaves the poll, as before).
 */
export function nudgeWorkersAt(pool: pg.Pool, runAt: Date, now = Date.now()): void {
  const delay = runAt.getTime() - now;
  if (delay <= 0 || delay > 60_000) return;
  // One notification per pool and 25 ms slot, at its end: a burst of routed documents (each
  // asking for its tenant's push a debounce later) costs at most 40 a second, not one each.
  const slot = Math.ceil(runAt.getTime() / NUDGE_SLOT_MS);
  let slots = scheduledNudges.get(pool);
  if (!slots) scheduledNudges.set(pool, (slots = new Set()));
  if (slots.has(slot)) return;
  slots.add(slot);
  setTimeout(() => {
    slots.delete(slot);
    pool.query(`select pg_notify('jobs:insert', '{"count":1}')`).catch(() => undefined);
  }, slot * NUDGE_SLOT_MS - now + 2).unref();
}

const NUDGE_SLOT_MS = 25;
const scheduledNudges = new WeakMap<pg.Pool, Set<number>>();

/** The same for any keyed job that many transactions ask for at once (see enqueuePush). */
export async function enqueueOnce(db: Database | Tx, spec: JobSpec & { jobKey: string }): Promise<void> {
  if ((await liveJobs(db, spec.jobKey)).some((job) => job.locked_at === null)) return;
  await addJobs(db, [spec], { preserveRunAt: true });
}
