import { sql } from 'kysely';
import type { Tx } from '../../db/database.ts';
import type { PaymentAllocation, ProviderName } from '../../db/schema.ts';
import type { NewFeedEvent } from '../../feed/types.ts';
import type { ProviderInvoiceState, ProviderPayment } from '../../providers/types.ts';
import { cents } from '../../ingest/ops-envelope.ts';
import type { RunItem } from '../runs.ts';

const money = (c: number) => (c / 100).toFixed(2);

/** What changed between two allocation lists, per invoice: applied (new or more) and un-applied (gone or less). */
export function allocationChanges(before: readonly PaymentAllocation[], after: readonly PaymentAllocation[]) {
  const sum = (list: readonly PaymentAllocation[]) => {
    const m = new Map<string, { a: PaymentAllocation; c: number }>();
    for (const a of list) m.set(a.provider_invoice_id, { a, c: (m.get(a.provider_invoice_id)?.c ?? 0) + cents(a.amount) });
    return m;
  };
  const b = sum(before);
  const a = sum(after);
  const applied: PaymentAllocation[] = [];
  const unapplied: PaymentAllocation[] = [];
  for (const [id, now] of a) {
    const was = b.get(id)?.c ?? 0;
    if (now.c > was) applied.push({ ...now.a, amount: money(now.c - was) });
  }
  for (const [id, was] of b) {
    const now = a.get(id)?.c ?? 0;
    if (was.c > now) unapplied.push({ ...was.a, amount: money(was.c - now) });
  }
  return { applied, unapplied };
}

/**
 * Applies what the provider says about invoices and payments: each invoice document's amount
 * paid and due, and each payment's allocations. Payments made at the provider (not by a
 * document Ledgerport pushed) that are new or moved are handed to the platform as
 * `payment.received`, with what was applied and un-applied; one that is gone as `payment.removed`.
 */
export async function applyProviderPayments(
  tx: Tx,
  tenantId: string,
  provider: ProviderName,
  input: { states: readonly ProviderInvoiceState[]; payments: readonly ProviderPayment[]; gone: readonly string[] },
): Promise<{ events: NewFeedEvent[]; items: RunItem[] }> {
  const events: NewFeedEvent[] = [];
  const items: RunItem[] = [];
  for (const state of input.states) {
    await tx
      .updateTable('documents')
      .set({ amount_paid: state.amountPaid, amount_due: state.amountDue, provider_status: state.providerStatus, updated_at: new Date() })
      .where('tenant_id', '=', tenantId)
      .where('kind', '=', 'sales_invoice')
      .where('provider_id', '=', state.providerId)
      .execute();
    items.push({ itemType: 'invoice', itemId: state.providerId, outcome: 'succeeded', message: `paid ${state.amountPaid}, due ${state.amountDue} (${state.providerStatus})` });
  }
  const payments = new Map<string, ProviderPayment>();
  for (const p of [...input.states.flatMap((s) => s.payments), ...input.payments]) payments.set(p.providerId, p);

  const invoiceIds = [...new Set([...payments.values()].flatMap((p) => p.allocations.map((a) => a.providerInvoiceId)))];
  const invoices = invoiceIds.length
    ? await tx.selectFrom('documents').select(['id', 'source_id', 'provider_id']).where('tenant_id', '=', tenantId).where('kind', '=', 'sales_invoice').where('provider_id', 'in', invoiceIds).execute()
    : [];
  const invoiceByProviderId = new Map(invoices.map((d) => [d.provider_id!, d]));

  for (const payment of payments.values()) {
    const own = await ownerOf(tx, tenantId, payment.providerId);
    const allocations: PaymentAllocation[] = payment.allocations.map((a) => {
      const doc = invoiceByProviderId.get(a.providerInvoiceId);
      return { provider_invoice_id: a.providerInvoiceId, document_id: doc?.id ?? null, invoice_id: doc?.source_id ?? null, amount: a.amount };
    });
    const previous = await tx.selectFrom('provider_payments').select(['allocations', 'status']).where('tenant_id', '=', tenantId).where('provider_payment_id', '=', payment.providerId).forUpdate().executeTakeFirst();
    const before = previous && previous.status === 'active' ? (previous.allocations as PaymentAllocation[]) : [];
    const changes = allocationChanges(before, allocations);
    const row = {
      origin: own ? ('ledgerport' as const) : ('provider' as const),
      document_id: own,
      date: payment.date,
      amount: payment.amount,
      currency: payment.currency,
      reference: payment.reference,
      unapplied: payment.unapplied,
      allocations: JSON.stringify(allocations),
      status: 'active' as const,
      updated_at: new Date(),
    };
    await tx
      .insertInto('provider_payments')
      .values({ tenant_id: tenantId, provider, provider_payment_id: payment.providerId, ...row })
      .onConflict((oc) => oc.columns(['tenant_id', 'provider_payment_id']).doUpdateSet(row))
      .execute();
    const changed = !previous || previous.status !== 'active' || changes.applied.length > 0 || changes.unapplied.length > 0;
    if (!own && changed) {
      events.push({
        type: 'payment.received',
        data: {
          provider_payment_id: payment.providerId,
          date: payment.date,
          amount: payment.amount,
          currency: payment.currency,
          reference: payment.reference,
          unapplied_amount: payment.unapplied,
          allocations,
          applied: changes.applied,
          unapplied: changes.unapplied,
          first_seen: !previous,
        },
      });
      items.push({ itemType: 'payment', itemId: payment.providerId, outcome: 'succeeded', message: `received ${payment.amount} over ${allocations.length} invoice(s)` });
    }
  }
  for (const id of input.gone) {
    const removed = await tx
      .updateTable('provider_payments')
      .set({ status: 'deleted', updated_at: new Date() })
      .where('tenant_id', '=', tenantId)
      .where('provider_payment_id', '=', id)
      .where('status', '=', 'active')
      .returning(['origin', 'allocations', 'amount'])
      .executeTakeFirst();
    if (removed && removed.origin === 'provider') {
      events.push({ type: 'payment.removed', data: { provider_payment_id: id, amount: removed.amount, unapplied: removed.allocations } });
      items.push({ itemType: 'payment', itemId: id, outcome: 'succeeded', message: 'removed at the provider' });
    }
  }
  return { events, items };
}

/** The document (payment, credit note or refund) that made this provider payment, if Ledgerport did. */
async function ownerOf(tx: Tx, tenantId: string, providerPaymentId: string): Promise<string | null> {
  const row = await tx
    .selectFrom('documents')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('kind', 'in', ['payment', 'credit_note', 'refund'])
    .where((eb) => eb.or([eb('provider_id', '=', providerPaymentId), sql<boolean>`provider_refs->'providerPaymentIds' ? ${providerPaymentId}`]))
    .limit(1)
    .executeTakeFirst();
  return row?.id ?? null;
}
