import { sql } from 'kysely';
import type { Database, Tx } from '../db/database.ts';
import type { SyncRunKind, SyncRunStatus, SyncTrigger } from '../db/schema-records.ts';

/**
 * Sync history: every import, push batch and webhook-driven refresh is a run with its trigger,
 * status, times, counts and per-item outcomes in the provider's words.
 */

export interface RunItem {
  readonly itemType: string;
  readonly itemId: string;
  readonly outcome: 'succeeded' | 'failed' | 'skipped';
  readonly message?: string | null;
  readonly errors?: unknown;
}

export async function createRun(
  db: Database | Tx,
  run: { tenantId: string; kind: SyncRunKind; trigger: SyncTrigger; dryRun?: boolean; status?: SyncRunStatus },
): Promise<string> {
  const row = await db
    .insertInto('sync_runs')
    .values({
      tenant_id: run.tenantId,
      kind: run.kind,
      trigger: run.trigger,
      dry_run: run.dryRun ?? false,
      status: run.status ?? 'queued',
      started_at: run.status === 'running' ? new Date() : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function markRunning(db: Database | Tx, runId: string): Promise<void> {
  await db.updateTable('sync_runs').set({ status: 'running', started_at: sql`coalesce(started_at, now())`, error: null }).where('id', '=', runId).execute();
}

/** Records items and adds them to the run's counts, in the caller's transaction. */
export async function recordItems(tx: Database | Tx, runId: string, items: readonly RunItem[]): Promise<void> {
  if (items.length === 0) return;
  await tx
    .insertInto('sync_run_items')
    .values(items.map((i) => ({ run_id: runId, item_type: i.itemType, item_id: i.itemId, outcome: i.outcome, message: i.message ?? null, errors: i.errors === undefined ? null : JSON.stringify(i.errors) })))
    .execute();
  const count = (outcome: RunItem['outcome']) => items.filter((i) => i.outcome === outcome).length;
  await tx
    .updateTable('sync_runs')
    .set((eb) => ({
      total: eb('total', '+', items.length),
      succeeded: eb('succeeded', '+', count('succeeded')),
      failed: eb('failed', '+', count('failed')),
      skipped: eb('skipped', '+', count('skipped')),
    }))
    .where('id', '=', runId)
    .execute();
}

export async function setProgress(db: Database | Tx, runId: string, progress: Record<string, unknown>): Promise<void> {
  await db.updateTable('sync_runs').set({ progress: JSON.stringify(progress) }).where('id', '=', runId).execute();
}

export async function finishRun(
  tx: Database | Tx,
  runId: string,
  outcome: { status: 'succeeded' | 'failed'; error?: string | null; summary?: Record<string, unknown> },
): Promise<void> {
  await tx
    .updateTable('sync_runs')
    .set({
      status: outcome.status,
      finished_at: new Date(),
      error: outcome.error ?? null,
      ...(outcome.summary ? { summary: JSON.stringify(outcome.summary) } : {}),
    })
    .where('id', '=', runId)
    .execute();
}

const RUN_COLUMNS = ['id', 'seq', 'tenant_id', 'kind', 'trigger', 'status', 'dry_run', 'started_at', 'finished_at', 'total', 'succeeded', 'failed', 'skipped', 'progress', 'error', 'summary', 'created_at'] as const;

export async function listRuns(db: Database, opts: { tenantId: string; kind?: SyncRunKind; beforeSeq?: string; limit: number }) {
  let query = db.selectFrom('sync_runs').select(RUN_COLUMNS).where('tenant_id', '=', opts.tenantId);
  if (opts.kind) query = query.where('kind', '=', opts.kind);
  if (opts.beforeSeq) query = query.where('seq', '<', opts.beforeSeq);
  return query.orderBy('seq', 'desc').limit(opts.limit).execute();
}

export async function getRun(db: Database | Tx, tenantId: string, runId: string) {
  return db.selectFrom('sync_runs').select(RUN_COLUMNS).where('tenant_id', '=', tenantId).where('id', '=', runId).executeTakeFirst();
}

export async function listRunItems(db: Database, opts: { runId: string; afterId?: string; limit: number }) {
  let query = db.selectFrom('sync_run_items').select(['id', 'item_type', 'item_id', 'outcome', 'message', 'errors', 'at']).where('run_id', '=', opts.runId);
  if (opts.afterId) query = query.where('id', '>', opts.afterId);
  return query.orderBy('id').limit(opts.limit).execute();
}

/**
 * A queued or running run of this kind for the tenant, if any (one import of a kind at a time).
 * A run untouched for an hour is not counted: its worker died (graphile-worker frees such a
 * job only after hours); a new run starts over, and its upserts make the repeat harmless.
 */
export async function activeRun(db: Database | Tx, tenantId: string, kind: SyncRunKind, dryRun: boolean) {
  return db
    .selectFrom('sync_runs')
    .select(['id'])
    .where('tenant_id', '=', tenantId)
    .where('kind', '=', kind)
    .where('dry_run', '=', dryRun)
    .where('status', 'in', ['queued', 'running'])
    .where(sql<boolean>`coalesce(started_at, created_at) > now() - interval '1 hour'`)
    .executeTakeFirst();
}

export type RunRow = NonNullable<Awaited<ReturnType<typeof getRun>>>;
