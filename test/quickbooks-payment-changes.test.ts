import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addJobs } from '../src/jobs.ts';
import { invoiceEvent } from './helpers/events.ts';
import { quickBooksFixture, type ProviderFixture } from './helpers/providers.ts';
import type { QuickBooksSandbox } from '../src/sandbox/quickbooks/index.ts';

/**
 * Payments in without webhooks: QuickBooks' change data capture, polled on a schedule, finds
 * payments made and deleted in QuickBooks that no webhook told Ledgerport of.
 */
describe('QuickBooks payments in through change data capture', () => {
  let p: ProviderFixture & { sb: QuickBooksSandbox };
  beforeAll(async () => {
    p = await quickBooksFixture();
  });
  afterAll(async () => {
    await p.close();
  });

  const db = () => p.h.database.db;
  async function settle() {
    for (let i = 0; i < 8; i++) {
      await sql`update graphile_worker._private_jobs set run_at = now()`.execute(db());
      await p.h.runJobs();
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from graphile_worker._private_jobs where attempts < max_attempts`.execute(db());
      if (rows[0]!.n === 0) return;
    }
  }
  /** What the cron does every fifteen minutes, then every job that follows from it. */
  async function poll() {
    await addJobs(db(), [{ task: 'schedule_payment_polls', payload: {} }]);
    await settle();
  }
  const cdcCalls = (realmId: string) => p.sb.requests.filter((r) => r.path === `/v3/company/${realmId}/cdc`);
  const feed = async (tenantId: string, token: string) =>
    (await p.h.request('GET', `/v1/tenants/${tenantId}/events?limit=200`, { token })).body.data as { type: string; data: Record<string, unknown> }[];
  const doc = (tenantId: string, sourceId: string) => db().selectFrom('documents').selectAll().where('tenant_id', '=', tenantId).where('source_id', '=', sourceId).executeTakeFirstOrThrow();

  it('a payment made in QuickBooks with no webhook reaches the platform at the next poll; its deletion too', async () => {
    const { token, orgId } = await p.connect('t_cdc');
    expect((await p.h.request('PUT', '/v1/tenants/t_cdc/defaults', { token, body: { ...p.defaults, ...p.ops.paymentDefaults } })).status).toBe(200);
    for (const event of [invoiceEvent('t_cdc', 'inv_c1', { number: 'C-1' }), invoiceEvent('t_cdc', 'inv_c2', { number: 'C-2' })]) expect((await p.h.sendOps(event)).status).toBe(202);
    await settle();
    const ids = [p.ops.invoice(orgId, 'C-1')!.id, p.ops.invoice(orgId, 'C-2')!.id];

    const paymentId = p.ops.payAtProvider(orgId, [{ invoiceId: ids[0]!, amount: 5 }, { invoiceId: ids[1]!, amount: 9 }]);
    await poll();
    const received = (await feed('t_cdc', token)).filter((e) => e.type === 'payment.received');
    expect(received).toHaveLength(1);
    expect(received[0]!.data).toMatchObject({ provider_payment_id: paymentId, amount: '14.00' });
    expect((received[0]!.data.allocations as { invoice_id: string; amount: string }[]).map((a) => `${a.invoice_id}:${a.amount}`).sort()).toEqual(['inv_c1:5.00', 'inv_c2:9.00']);
    expect(await doc('t_cdc', 'inv_c1')).toMatchObject({ amount_paid: '5.00', amount_due: '19.00' });
    expect(await doc('t_cdc', 'inv_c2')).toMatchObject({ amount_paid: '9.00', amount_due: '15.00' });
    const cursor = await db().selectFrom('import_state').select('modified_since').where('tenant_id', '=', 't_cdc').where('kind', '=', 'payment_changes').executeTakeFirstOrThrow();
    expect(cursor.modified_since).toBeInstanceOf(Date);

    // Nothing changed: the next poll starts where the last one ended and the feed says nothing new.
    await poll();
    const calls = cdcCalls(orgId);
    expect(calls.at(-1)!.query).toMatchObject({ entities: 'Invoice,Payment', changedSince: cursor.modified_since!.toISOString() });
    expect((await feed('t_cdc', token)).filter((e) => e.type === 'payment.received')).toHaveLength(1);

    // Deleted in QuickBooks: CDC gives only a tombstone; the invoices Ledgerport recorded it on are read again.
    p.sb.deleteEntity(orgId, 'Payment', paymentId);
    await poll();
    const removed = (await feed('t_cdc', token)).filter((e) => e.type === 'payment.removed');
    expect(removed.map((e) => e.data.provider_payment_id)).toEqual([paymentId]);
    expect(await doc('t_cdc', 'inv_c1')).toMatchObject({ amount_paid: '0.00', amount_due: '24.00' });
    expect(await doc('t_cdc', 'inv_c2')).toMatchObject({ amount_paid: '0.00', amount_due: '24.00' });
  });

  it('a tenant with no invoice of ours at QuickBooks costs no call; a failed poll keeps its cursor', async () => {
    const { token, orgId } = await p.connect('t_cdc_idle');
    expect((await p.h.request('PUT', '/v1/tenants/t_cdc_idle/defaults', { token, body: p.defaults })).status).toBe(200);
    await poll();
    expect(cdcCalls(orgId)).toHaveLength(0);

    expect((await p.h.sendOps(invoiceEvent('t_cdc_idle', 'inv_ci', { number: 'CI-1' }))).status).toBe(202);
    await settle();
    await poll();
    const first = await db().selectFrom('import_state').select('modified_since').where('tenant_id', '=', 't_cdc_idle').where('kind', '=', 'payment_changes').executeTakeFirstOrThrow();
    p.sb.failNext(1, { status: 500, path: /\/cdc$/ });
    await addJobs(db(), [{ task: 'poll_payment_changes', payload: { tenant_id: 't_cdc_idle' } }]);
    await p.h.runJobs();
    const after = await db().selectFrom('import_state').select('modified_since').where('tenant_id', '=', 't_cdc_idle').where('kind', '=', 'payment_changes').executeTakeFirstOrThrow();
    expect(after.modified_since).toEqual(first.modified_since);
    expect(cdcCalls(orgId).at(-1)!.status).toBe(500);
  });
});
