import { sql } from 'kysely';
import type { Database, Tx } from '../../db/database.ts';
import { ConnectionUnavailableError } from '../../connections/session.ts';
import { ProviderError } from '../../providers/types.ts';
import type { ImportDeps } from '../imports/run-import.ts';
import { requestInvoiceRefresh } from './refresh-queue.ts';
import { sessionFor, type RefreshResult } from './refresh.ts';

/** Each window starts this much before the last one ended: clocks differ, and a change read twice costs nothing. */
export const POLL_OVERLAP_MS = 2 * 60_000;
/** QuickBooks keeps changes for 30 days; a first poll looks back no further than this. */
const LOOK_BACK_MS = 29 * 86_400_000;

/**
 * Payments in without webhooks: asks the provider what changed since the last poll (QuickBooks
 * change data capture), and queues Ledgerport's invoices among them to be read back, exactly as
 * a webhook would. A webhook that never arrived is caught here; one that did costs a re-read.
 */
export async function pollPaymentChanges(deps: ImportDeps, tenantId: string): Promise<RefreshResult> {
  const log = deps.logger.child({ tenantId, subsystem: 'payments-in' });
  const pushed = await deps.db
    .selectFrom('documents')
    .select(sql<Date>`min(created_at)`.as('first'))
    .where('tenant_id', '=', tenantId)
    .where('kind', '=', 'sales_invoice')
    .where('provider_id', 'is not', null)
    .executeTakeFirst();
  // No invoice of ours at the provider: nothing there can be paid, so no call is spent.
  if (!pushed?.first) return { kind: 'done' };
  const now = deps.now();
  const state = await deps.db.selectFrom('import_state').select('modified_since').where('tenant_id', '=', tenantId).where('kind', '=', 'payment_changes').executeTakeFirst();
  const since = new Date(Math.max(state?.modified_since?.getTime() ?? pushed.first.getTime() - POLL_OVERLAP_MS, now.getTime() - LOOK_BACK_MS));
  try {
    const { provider, session } = await sessionFor(deps, tenantId);
    if (!provider.records.paymentChanges) return { kind: 'done' };
    const changes = await provider.records.paymentChanges(session, since);
    const queued = await deps.db.transaction().execute(async (tx) => {
      // A deleted payment's tombstone names no invoice: the ones it was on are those Ledgerport recorded.
      const deleted = changes.deletedPaymentIds.length
        ? await tx.selectFrom('provider_payments').select('allocations').where('tenant_id', '=', tenantId).where('provider_payment_id', 'in', [...changes.deletedPaymentIds]).execute()
        : [];
      const fromDeleted = deleted.flatMap((p) => (p.allocations as { provider_invoice_id: string }[]).map((a) => a.provider_invoice_id));
      const count = await requestInvoiceRefresh(tx, tenantId, { providerIds: [...changes.invoiceIds, ...fromDeleted] }, { now });
      const next = changes.more ? changes.next : new Date(changes.next.getTime() - POLL_OVERLAP_MS);
      await saveCursor(tx, tenantId, next);
      return count;
    });
    log.info({ since, invoicesChanged: changes.invoiceIds.length, paymentsDeleted: changes.deletedPaymentIds.length, queued, more: changes.more }, 'provider changes polled');
    return changes.more ? { kind: 'again', runAt: deps.now() } : { kind: 'done' };
  } catch (error) {
    if (error instanceof ProviderError && error.kind === 'rate_limited') return { kind: 'again', runAt: new Date(deps.now().getTime() + (error.retryAfterMs ?? 1_000)) };
    if (error instanceof ConnectionUnavailableError) {
      log.warn({ err: error.message }, 'provider changes not polled: no usable connection');
      return { kind: 'done' };
    }
    throw error; // graphile-worker retries with backoff; the cursor has not moved
  }
}

async function saveCursor(db: Database | Tx, tenantId: string, next: Date): Promise<void> {
  const values = { modified_since: next, last_run_at: new Date() };
  await db
    .insertInto('import_state')
    .values({ tenant_id: tenantId, kind: 'payment_changes', ...values })
    .onConflict((oc) => oc.columns(['tenant_id', 'kind']).doUpdateSet(values))
    .execute();
}

/** Tenants to poll: connected to a provider that has change data capture, with an invoice of ours there. */
export async function tenantsToPoll(db: Database, providers: readonly string[]): Promise<string[]> {
  if (providers.length === 0) return [];
  const rows = await db
    .selectFrom('connections as c')
    .select('c.tenant_id')
    .where('c.status', '=', 'connected')
    .where('c.provider', 'in', [...providers] as never[])
    .where((eb) => eb.exists(eb.selectFrom('documents as d').select(sql`1`.as('one')).whereRef('d.tenant_id', '=', 'c.tenant_id').where('d.kind', '=', 'sales_invoice').where('d.provider_id', 'is not', null)))
    .execute();
  return rows.map((r) => r.tenant_id);
}
