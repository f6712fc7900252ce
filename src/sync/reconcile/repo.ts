import { sql } from 'kysely';
import type { Database, Tx } from '../../db/database.ts';
import type { FindingType, ReconciledKind, SyncRunKind, SyncTrigger } from '../../db/schema-records.ts';
import { addJobs } from '../../jobs.ts';
import { createRun, getRun, type RunRow } from '../runs.ts';

/** A reconciliation is a sync run of kind 'reconciliation' (sql/0011). */
export const RECONCILIATION_RUN_KIND: SyncRunKind = 'reconciliation';

export const FINDING_TYPES: readonly FindingType[] = ['duplicate_at_provider', 'missing_at_provider', 'total_differs', 'status_differs', 'changed_at_provider'];

export interface ReconciliationScope {
  readonly kind: ReconciledKind | null;
  readonly from: string | null;
  readonly to: string | null;
}

export interface NewFinding {
  readonly type: FindingType;
  readonly documentId: string | null;
  readonly kind: string;
  readonly number: string | null;
  readonly reference: string | null;
  readonly providerIds: readonly string[];
  readonly expected: unknown;
  readonly actual: unknown;
  readonly message: string;
}

/** Records the reconciliation's run and scope and queues its job, in one transaction. */
export async function startReconciliation(db: Database, opts: { tenantId: string; trigger: SyncTrigger; scope: ReconciliationScope }): Promise<string> {
  return db.transaction().execute(async (tx) => {
    const runId = await createRun(tx, { tenantId: opts.tenantId, kind: RECONCILIATION_RUN_KIND, trigger: opts.trigger });
    await tx
      .insertInto('reconciliations')
      .values({ run_id: runId, tenant_id: opts.tenantId, kind: opts.scope.kind, date_from: opts.scope.from, date_to: opts.scope.to })
      .execute();
    await addJobs(tx, [{ task: 'run_reconciliation', payload: { tenant_id: opts.tenantId, run_id: runId }, jobKey: `run_reconciliation:${runId}`, maxAttempts: 3 }]);
    return runId;
  });
}

export type Reconciliation = RunRow & { scope: ReconciliationScope; findingCounts: Record<FindingType, number> };

async function withScopes(db: Database | Tx, runs: RunRow[]): Promise<Reconciliation[]> {
  if (runs.length === 0) return [];
  const ids = runs.map((r) => r.id);
  const scopes = await db.selectFrom('reconciliations').select(['run_id', 'kind', 'date_from', 'date_to']).where('run_id', 'in', ids).execute();
  const counts = await db
    .selectFrom('reconciliation_findings')
    .select(['run_id', 'type', sql<string>`count(*)`.as('n')])
    .where('run_id', 'in', ids)
    .groupBy(['run_id', 'type'])
    .execute();
  const scopeOf = new Map(scopes.map((s) => [s.run_id, { kind: s.kind, from: s.date_from, to: s.date_to }]));
  return runs.map((run) => {
    const findingCounts = Object.fromEntries(FINDING_TYPES.map((t) => [t, 0])) as Record<FindingType, number>;
    for (const c of counts) if (c.run_id === run.id) findingCounts[c.type] = Number(c.n);
    return { ...run, scope: scopeOf.get(run.id) ?? { kind: null, from: null, to: null }, findingCounts };
  });
}

export async function getReconciliation(db: Database | Tx, tenantId: string, runId: string): Promise<Reconciliation | undefined> {
  const run = await getRun(db, tenantId, runId);
  if (!run || run.kind !== RECONCILIATION_RUN_KIND) return undefined;
  return (await withScopes(db, [run]))[0];
}

/** Newest first, paged by the run's seq. */
export async function listReconciliations(db: Database, opts: { tenantId: string; beforeSeq?: string; limit: number }): Promise<Reconciliation[]> {
  let query = db
    .selectFrom('sync_runs')
    .select(['id', 'seq', 'tenant_id', 'kind', 'trigger', 'status', 'dry_run', 'started_at', 'finished_at', 'total', 'succeeded', 'failed', 'skipped', 'progress', 'error', 'summary', 'created_at'])
    .where('tenant_id', '=', opts.tenantId)
    .where('kind', '=', RECONCILIATION_RUN_KIND);
  if (opts.beforeSeq) query = query.where('seq', '<', opts.beforeSeq);
  return withScopes(db, await query.orderBy('seq', 'desc').limit(opts.limit).execute());
}

/** Oldest first, paged by id. */
export async function listFindings(db: Database, opts: { runId: string; afterId?: string; limit: number }) {
  let query = db
    .selectFrom('reconciliation_findings')
    .select(['id', 'type', 'document_id', 'kind', 'number', 'reference', 'provider_ids', 'expected', 'actual', 'message', 'created_at'])
    .where('run_id', '=', opts.runId);
  if (opts.afterId) query = query.where('id', '>', opts.afterId);
  return query.orderBy('id').limit(opts.limit).execute();
}

export async function insertFindings(tx: Database | Tx, tenantId: string, runId: string, findings: readonly NewFinding[]): Promise<void> {
  if (findings.length === 0) return;
  await tx
    .insertInto('reconciliation_findings')
    .values(findings.map((f) => ({
      run_id: runId,
      tenant_id: tenantId,
      type: f.type,
      document_id: f.documentId,
      kind: f.kind,
      number: f.number,
      reference: f.reference,
      provider_ids: [...f.providerIds],
      expected: f.expected === undefined ? null : JSON.stringify(f.expected),
      actual: f.actual === undefined ? null : JSON.stringify(f.actual),
      message: f.message,
    })))
    .execute();
}
