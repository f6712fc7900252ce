import type { Database } from '../db/database.ts';
import type { ProviderName } from '../db/schema.ts';
import { addJobs, type JobSpec } from '../jobs.ts';
import { requestInvoiceRefresh } from '../sync/payments/refresh-queue.ts';

/** One provider webhook event, in provider-neutral form. */
export interface ProviderEvent {
  /** The provider's organisation (Xero tenantId, QuickBooks realmId). */
  readonly orgId: string;
  /** Stable per event, so a redelivery is recognised. */
  readonly deliveryId: string;
  readonly eventType: string;
  readonly payload: unknown;
  /** The record to read again, when the event is about one Ledgerport imports. */
  readonly refresh?: { readonly kind: 'contact' | 'purchase_order' | 'invoice' | 'payment'; readonly providerId: string };
}

export interface ProviderEventOutcome {
  recorded: number;
  duplicates: number;
  unknownOrganisation: number;
  refreshes: number;
}

/**
 * Records provider webhook events (deduplicated: providers redeliver) and queues a refresh for
 * each changed record Ledgerport imports, in one transaction, so the provider gets a fast answer
 * and nothing acknowledged is lost. A changed invoice of Ledgerport's is queued to be read back
 * for its payments (payments in). Other events are recorded;
 * events for an organisation no tenant is connected to are recorded as ignored.
 */
export async function recordProviderEvents(db: Database, provider: ProviderName, events: readonly ProviderEvent[]): Promise<ProviderEventOutcome> {
  const outcome: ProviderEventOutcome = { recorded: 0, duplicates: 0, unknownOrganisation: 0, refreshes: 0 };
  if (events.length === 0) return outcome;
  return db.transaction().execute(async (tx) => {
    const connections = await tx
      .selectFrom('connections')
      .select(['tenant_id', 'provider_org_id'])
      .where('provider', '=', provider)
      .where('status', 'in', ['connected', 'needs_reauth'])
      .where('provider_org_id', 'in', [...new Set(events.map((e) => e.orgId))])
      .execute();
    const tenantOf = new Map(connections.map((c) => [c.provider_org_id, c.tenant_id]));
    // Invoice events matter only for invoices Ledgerport pushed (their payments are read back).
    const invoiceIds = events.flatMap((e) => (e.refresh?.kind === 'invoice' && tenantOf.has(e.orgId) ? [e.refresh.providerId] : []));
    const ours = new Set(
      invoiceIds.length === 0
        ? []
        : (await tx.selectFrom('documents').select(['tenant_id', 'provider_id']).where('kind', '=', 'sales_invoice').where('provider_id', 'in', invoiceIds).where('tenant_id', 'in', [...tenantOf.values()]).execute()).map((d) => `${d.tenant_id}|${d.provider_id}`),
    );
    const jobs: JobSpec[] = [];
    for (const e of events) {
      const tenantId = tenantOf.get(e.orgId) ?? null;
      const refresh = e.refresh?.kind === 'invoice' && !ours.has(`${tenantId}|${e.refresh.providerId}`) ? undefined : e.refresh;
      const reason = !tenantId ? 'unknown_organisation' : refresh ? 'refresh_queued' : 'recorded';
      const inserted = await tx
        .insertInto('inbound_events')
        .values({ source: provider, delivery_id: e.deliveryId, tenant_id: tenantId, event_type: e.eventType, outcome: tenantId ? 'accepted' : 'ignored', outcome_reason: reason, payload: JSON.stringify(e.payload) })
        .onConflict((oc) => oc.columns(['source', 'delivery_id']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted) {
        outcome.duplicates++;
        continue;
      }
      outcome.recorded++;
      if (!tenantId) {
        outcome.unknownOrganisation++;
        continue;
      }
      if (refresh?.kind === 'invoice') {
        // Invoices gather and are read many per call (payments in), however many webhooks come.
        outcome.refreshes += await requestInvoiceRefresh(tx, tenantId, { providerIds: [refresh.providerId] });
      } else if (refresh) {
        outcome.refreshes++;
        jobs.push({
          task: 'refresh_record',
          payload: { tenant_id: tenantId, kind: refresh.kind, provider_id: refresh.providerId },
          jobKey: `refresh_record:${tenantId}:${refresh.kind}:${refresh.providerId}`,
        });
      }
    }
    await addJobs(tx, jobs);
    return outcome;
  });
}
