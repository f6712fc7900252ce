import { ConnectionUnavailableError, openSession } from '../../connections/session.ts';
import { ProviderError } from '../../providers/types.ts';
import { createRun, finishRun, recordItems } from '../runs.ts';
import { importContactsPage } from './contacts.ts';
import { importPurchaseOrdersPage } from './purchase-orders.ts';
import type { ImportDeps } from './run-import.ts';

/**
 * A provider webhook said one record changed: read that record and apply it like an import
 * page, as a sync run of its own (trigger "webhook"). Provider errors fail the run visibly and
 * are not retried by the job (the next import picks the change up anyway).
 */
export async function refreshRecord(deps: ImportDeps, tenantId: string, kind: 'contact' | 'purchase_order', providerId: string): Promise<void> {
  const log = deps.logger.child({ tenantId, refresh: kind, providerId });
  const runId = await createRun(deps.db, { tenantId, kind: kind === 'contact' ? 'contact_refresh' : 'purchase_order_refresh', trigger: 'webhook', status: 'running' });
  const finish = (status: 'succeeded' | 'failed', error?: string) =>
    deps.db.transaction().execute(async (tx) => {
      await finishRun(tx, runId, { status, error: error ?? null });
      await deps.feed.appendEvent(tx, tenantId, 'sync_run.finished', { run_id: runId, kind: `${kind}_refresh`, status, ...(error ? { error } : {}) });
    });
  try {
    const connection = await deps.db.selectFrom('connections').select('provider').where('tenant_id', '=', tenantId).executeTakeFirst();
    const provider = connection ? deps.providers[connection.provider] : undefined;
    if (!provider) throw new ConnectionUnavailableError(tenantId, connection ? 'provider not configured' : 'none');
    const session = await openSession(deps, provider, tenantId);
    const record = kind === 'contact' ? await provider.records.contact(session, providerId) : await provider.records.purchaseOrder(session, providerId);
    await deps.db.transaction().execute(async (tx) => {
      if (!record) {
        await recordItems(tx, runId, [{ itemType: kind, itemId: providerId, outcome: 'skipped', message: 'not found at the provider' }]);
        return;
      }
      const page =
        kind === 'contact'
          ? await importContactsPage(tx, deps.feed, tenantId, provider.name, [record as never])
          : await importPurchaseOrdersPage(tx, deps.feed, tenantId, provider.name, [record as never]);
      await recordItems(tx, runId, page.items);
    });
    await finish('succeeded');
  } catch (error) {
    if (!(error instanceof ProviderError) && !(error instanceof ConnectionUnavailableError)) {
      await finish('failed', (error as Error).message);
      throw error;
    }
    log.warn({ err: error.message }, 'refresh failed');
    await finish('failed', error.message);
  }
}
