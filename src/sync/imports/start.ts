import type { Database } from '../../db/database.ts';
import type { SyncTrigger } from '../../db/schema-records.ts';
import { conflict } from '../../errors.ts';
import { addJobs } from '../../jobs.ts';
import { activeRun, createRun } from '../runs.ts';
import type { ImportKind } from './run-import.ts';

const RUN_KIND = { contacts: 'contact_import', purchase_orders: 'purchase_order_import' } as const;

/**
 * Creates a queued import run and its job in one transaction. One import of a kind at a time
 * per tenant: asking again while one is queued or running returns that run.
 */
export async function startImport(
  db: Database,
  opts: { tenantId: string; kind: ImportKind; trigger: SyncTrigger; dryRun: boolean },
): Promise<{ runId: string; existing: boolean }> {
  return db.transaction().execute(async (tx) => {
    const connection = await tx.selectFrom('connections').select('status').where('tenant_id', '=', opts.tenantId).forUpdate().executeTakeFirst();
    if (connection?.status !== 'connected') {
      throw conflict('not_connected', `the tenant's accounting connection is ${connection?.status ?? 'missing'}; connect it first`);
    }
    const running = await activeRun(tx, opts.tenantId, RUN_KIND[opts.kind], opts.dryRun);
    if (running) return { runId: running.id, existing: true };
    const runId = await createRun(tx, { tenantId: opts.tenantId, kind: RUN_KIND[opts.kind], trigger: opts.trigger, dryRun: opts.dryRun });
    await addJobs(tx, [{ task: 'import_records', payload: { tenant_id: opts.tenantId, run_id: runId, kind: opts.kind, dry_run: opts.dryRun } }]);
    return { runId, existing: false };
  });
}
