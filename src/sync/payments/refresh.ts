import { sql } from 'kysely';
import { ConnectionUnavailableError, openSession } from '../../connections/session.ts';
import { ProviderError, type AccountingProvider, type ProviderPayment, type ProviderSession } from '../../providers/types.ts';
import type { ImportDeps } from '../imports/run-import.ts';
import { createRun, finishRun, recordItems } from '../runs.ts';
import { applyProviderPayments } from './apply.ts';
import { requestInvoiceRefresh } from './refresh-queue.ts';

/** Invoices read in one run; the rest wait for the next, which follows at once. */
const REFRESH_BATCH = 200;
/** While a payment write of Ledgerport's is unsettled, its payment would look like one made at the provider. */
const IN_FLIGHT_WAIT_MS = 5_000;

export type RefreshResult = { readonly kind: 'done' } | { readonly kind: 'again'; readonly runAt: Date };

/** The tenant's provider and an open session with it. */
export async function sessionFor(deps: ImportDeps, tenantId: string): Promise<{ provider: AccountingProvider; session: ProviderSession }> {
  const connection = await deps.db.selectFrom('connections').select('provider').where('tenant_id', '=', tenantId).executeTakeFirst();
  const provider = connection ? deps.providers[connection.provider] : undefined;
  if (!provider) throw new ConnectionUnavailableError(tenantId, connection ? 'provider not configured' : 'none');
  return { provider, session: await openSession(deps, provider, tenantId) };
}

/**
 * Payments in: reads the invoices waiting in invoice_refreshes (their provider webhook fired, or
 * Ledgerport pushed a payment or credit note for them) and applies their amounts and payments.
 * A payment that was on one of them and is not any more is read on its own: moved, or deleted.
 */
export async function refreshInvoices(deps: ImportDeps, tenantId: string): Promise<RefreshResult> {
  const log = deps.logger.child({ tenantId, subsystem: 'payments-in' });
  const inFlight = await deps.db
    .selectFrom('documents')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('status', 'in', ['pushing', 'uncertain'])
    .where('kind', 'in', ['payment', 'credit_note', 'refund'])
    .limit(1)
    .executeTakeFirst();
  if (inFlight) return { kind: 'again', runAt: new Date(deps.now().getTime() + IN_FLIGHT_WAIT_MS) };
  const pending = await deps.db.selectFrom('invoice_refreshes').select(['provider_invoice_id', 'requested_at']).where('tenant_id', '=', tenantId).orderBy('requested_at').limit(REFRESH_BATCH).execute();
  if (pending.length === 0) return { kind: 'done' };
  const ids = pending.map((p) => p.provider_invoice_id);
  const runId = await createRun(deps.db, { tenantId, kind: 'payment_refresh', trigger: 'webhook', status: 'running' });
  try {
    const { provider, session } = await sessionFor(deps, tenantId);
    const states = await provider.records.invoiceStates(session, ids);
    const seen = new Set(states.flatMap((s) => s.payments.map((p) => p.providerId)));
    const known = await deps.db
      .selectFrom('provider_payments')
      .select('provider_payment_id')
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'active')
      .where(sql<boolean>`exists (select 1 from jsonb_array_elements(allocations) a where a->>'provider_invoice_id' = any(${ids}::text[]))`)
      .execute();
    const payments: ProviderPayment[] = [];
    const gone: string[] = [];
    for (const { provider_payment_id: id } of known.filter((k) => !seen.has(k.provider_payment_id))) {
      const payment = await provider.records.payment(session, id);
      if (payment) payments.push(payment);
      else gone.push(id);
    }
    await deps.db.transaction().execute(async (tx) => {
      const { events, items } = await applyProviderPayments(tx, tenantId, provider.name, { states, payments, gone });
      await tx
        .deleteFrom('invoice_refreshes')
        .where('tenant_id', '=', tenantId)
        .where('provider_invoice_id', 'in', ids)
        .where('requested_at', '<=', pending[pending.length - 1]!.requested_at)
        .execute();
      const missing = ids.filter((id) => !states.some((s) => s.providerId === id));
      await recordItems(tx, runId, [...items, ...missing.map((id) => ({ itemType: 'invoice', itemId: id, outcome: 'skipped' as const, message: 'not found at the provider' }))]);
      await finishRun(tx, runId, { status: 'succeeded' });
      await deps.feed.appendEvents(tx, tenantId, [...events, { type: 'sync_run.finished', data: { run_id: runId, kind: 'payment_refresh', status: 'succeeded' } }]);
    });
    log.info({ invoices: ids.length, payments: seen.size + payments.length, gone: gone.length }, 'invoices read back');
    return pending.length === REFRESH_BATCH ? { kind: 'again', runAt: deps.now() } : { kind: 'done' };
  } catch (error) {
    const message = (error as Error).message;
    await deps.db.transaction().execute(async (tx) => {
      await finishRun(tx, runId, { status: 'failed', error: message });
      await deps.feed.appendEvent(tx, tenantId, 'sync_run.finished', { run_id: runId, kind: 'payment_refresh', status: 'failed', error: message });
    });
    if (error instanceof ProviderError && error.kind === 'rate_limited') return { kind: 'again', runAt: new Date(deps.now().getTime() + (error.retryAfterMs ?? 1_000)) };
    if (error instanceof ConnectionUnavailableError) {
      log.warn({ err: message }, 'payments not read: no usable connection');
      return { kind: 'done' };
    }
    throw error; // the job retries with graphile-worker's backoff; the invoices stay queued
  }
}

/** A provider webhook named a payment (QuickBooks): read it, apply it, and read its invoices' amounts. */
export async function refreshPayment(deps: ImportDeps, tenantId: string, providerPaymentId: string): Promise<void> {
  const { provider, session } = await sessionFor(deps, tenantId);
  const payment = await provider.records.payment(session, providerPaymentId);
  await deps.db.transaction().execute(async (tx) => {
    const before = await tx.selectFrom('provider_payments').select('allocations').where('tenant_id', '=', tenantId).where('provider_payment_id', '=', providerPaymentId).executeTakeFirst();
    const invoices = new Set([...(payment?.allocations.map((a) => a.providerInvoiceId) ?? []), ...((before?.allocations as { provider_invoice_id: string }[] | undefined) ?? []).map((a) => a.provider_invoice_id)]);
    const { events } = await applyProviderPayments(tx, tenantId, provider.name, { states: [], payments: payment ? [payment] : [], gone: payment ? [] : [providerPaymentId] });
    await deps.feed.appendEvents(tx, tenantId, events);
    await requestInvoiceRefresh(tx, tenantId, { providerIds: [...invoices] }, { now: deps.now() });
  });
}
