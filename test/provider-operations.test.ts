import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { creditNoteEvent, invoiceEvent, paymentEvent, refundEvent, voidedInvoice } from './helpers/events.ts';
import { quickBooksFixture, xeroFixture, type ProviderFixture } from './helpers/providers.ts';

/**
 * The provider contract after the first sync: edits, voids, credit notes, payments out and in,
 * end to end through signed webhooks, the worker and each provider's sandbox. Both providers
 * pass the same cases; where their rules differ (editing a paid invoice) the fixture says how.
 */
describe.each([
  ['xero', xeroFixture],
  ['quickbooks', quickBooksFixture],
] as const)('provider contract after the first sync: %s', (_name, start) => {
  let p: ProviderFixture;
  let server: { url: string; close: () => Promise<void> };
  beforeAll(async () => {
    p = await start();
    server = await p.h.listen();
  });
  afterAll(async () => {
    await server.close();
    await p.close();
  });

  const db = () => p.h.database.db;
  const doc = (id: string) => db().selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  async function setup(tenantId: string) {
    const { token, orgId } = await p.connect(tenantId);
    const res = await p.h.request('PUT', `/v1/tenants/${tenantId}/defaults`, { token, body: { ...p.defaults, ...p.ops.paymentDefaults, send_as: 'approved' } });
    if (res.status !== 200) throw new Error(`defaults refused: ${res.text}`);
    return { token, orgId };
  }
  /** Runs every job of the tenant now, again until none is left (pushes wait for a debounce). */
  async function settle(tenantId: string) {
    for (let i = 0; i < 8; i++) {
      await sql`update graphile_worker._private_jobs set run_at = now() where payload->>'tenant_id' = ${tenantId} or payload::jsonb ? 'document_id'`.execute(db());
      await p.h.runJobs();
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from graphile_worker._private_jobs where (payload->>'tenant_id' = ${tenantId} or payload::jsonb ? 'document_id') and attempts < max_attempts`.execute(db());
      if (rows[0]!.n === 0) return;
    }
  }
  async function sync(tenantId: string, ...events: unknown[]) {
    const ids: string[] = [];
    for (const event of events) {
      const res = await p.h.sendOps(event);
      expect(res.status).toBe(202);
      ids.push(res.body.document_id);
    }
    await settle(tenantId);
    return ids;
  }
  const feed = async (tenantId: string, token: string) => (await p.h.request('GET', `/v1/tenants/${tenantId}/events?limit=200`, { token })).body.data as { type: string; data: Record<string, unknown> }[];

  it('an edit of a synced invoice is pushed as an update; an older version changes nothing', async () => {
    const { orgId, token } = await setup('t_edit');
    const [id] = await sync('t_edit', invoiceEvent('t_edit', 'inv_e', { number: 'E-1' }));
    const before = p.ops.invoice(orgId, 'E-1')!;
    await sync('t_edit', invoiceEvent('t_edit', 'inv_e', { number: 'E-1', version: 2, lines: [{ description: 'Widget', quantity: '3', unit_price: '10.00', tax_rate: '20', category: 'sales' }] }));
    await sync('t_edit', invoiceEvent('t_edit', 'inv_e', { number: 'E-1', version: 1 }));
    const after = p.ops.invoice(orgId, 'E-1')!;
    expect(after.id).toBe(before.id);
    expect(before.total).toBe(24);
    expect(after.total).toBe(36);
    expect(await doc(id!)).toMatchObject({ status: 'synced', synced_version: 2, source_version: 2 });
    const detail = await p.h.request('GET', `/v1/tenants/t_edit/documents/${id}`, { token });
    expect(detail.body.history.map((e: { reason: string | null }) => e.reason)).toEqual(expect.arrayContaining(['version 2: update (changed: lines)', 'version 2 updated at the provider']));
  });

  it('a void reaches the provider; a void racing its own create leaves nothing there', async () => {
    const { orgId, token } = await setup('t_void');
    const [id] = await sync('t_void', invoiceEvent('t_void', 'inv_v', { number: 'V-1' }));
    await sync('t_void', voidedInvoice('t_void', 'inv_v', 2, { number: 'V-1' }));
    expect(p.ops.invoice(orgId, 'V-1')).toMatchObject({ status: p.ops.voidedStatus });
    expect(await doc(id!)).toMatchObject({ status: 'voided' });
    expect((await feed('t_void', token)).map((e) => e.type)).toContain('document.voided');

    const created = await p.h.sendOps(invoiceEvent('t_void', 'inv_race', { number: 'RACE-1' }));
    await p.h.sendOps(voidedInvoice('t_void', 'inv_race', 2, { number: 'RACE-1' }));
    await settle('t_void');
    expect(await doc(created.body.document_id)).toMatchObject({ status: 'voided', provider_id: null });
    expect(p.ops.invoice(orgId, 'RACE-1')).toBeUndefined();
  });

  it('one payment over two invoices applies to both; the invoices show what the provider says is due', async () => {
    const { orgId, token } = await setup('t_pay');
    const [a, b] = await sync('t_pay', invoiceEvent('t_pay', 'inv_a', { number: 'PA-1' }), invoiceEvent('t_pay', 'inv_b', { number: 'PA-2' }));
    const [pay] = await sync('t_pay', paymentEvent('t_pay', 'pay_ab', { amount: '30.00', allocations: [{ invoice_id: 'inv_a', amount: '10.00' }, { invoice_id: 'inv_b', amount: '20.00' }] }));
    expect(await doc(pay!)).toMatchObject({ kind: 'payment', status: 'synced', provider_id: expect.any(String) });
    expect(p.ops.invoice(orgId, 'PA-1')).toMatchObject({ amountDue: 14 });
    expect(p.ops.invoice(orgId, 'PA-2')).toMatchObject({ amountDue: 4 });
    const applied = p.ops.payments(orgId).flatMap((x) => x.on).sort((x, y) => x.number.localeCompare(y.number));
    expect(applied).toEqual([{ number: 'PA-1', amount: 10 }, { number: 'PA-2', amount: 20 }]);
    expect(await doc(a!)).toMatchObject({ amount_paid: '10.00', amount_due: '14.00' });
    expect(await doc(b!)).toMatchObject({ amount_paid: '20.00', amount_due: '4.00' });
    // Ledgerport's own payment is listed as its own, and never handed back as received.
    const payments = await p.h.request('GET', '/v1/tenants/t_pay/payments', { token });
    expect(payments.status).toBe(200);
    expect(payments.body.data.every((x: { origin: string }) => x.origin === 'ledgerport')).toBe(true);
    expect((await feed('t_pay', token)).map((e) => e.type)).not.toContain('payment.received');
  });

  it('a payment for an invoice still queued waits, visibly, and posts once the invoice is synced', async () => {
    const { orgId } = await setup('t_wait');
    const inv = await p.h.sendOps(invoiceEvent('t_wait', 'inv_w', { number: 'W-1' }));
    const pay = await p.h.sendOps(paymentEvent('t_wait', 'pay_w', { amount: '5.00', allocations: [{ invoice_id: 'inv_w', amount: '5.00' }] }));
    await settle('t_wait');
    // It waited, and said what for, until the invoice was at the provider.
    const history = await db().selectFrom('document_events').select(['to_status', 'reason']).where('document_id', '=', pay.body.document_id).orderBy('id').execute();
    expect(history).toContainEqual({ to_status: 'held', reason: 'waiting for invoice inv_w (queued) to be synced' });
    await settle('t_wait');
    expect(await doc(pay.body.document_id)).toMatchObject({ status: 'synced' });
    expect(p.ops.invoice(orgId, 'W-1')).toMatchObject({ amountDue: 19 });
  });

  it('a payment recorded while an edit of its invoice is on its way waits for the edit, then pays the new total', async () => {
    const { orgId } = await setup('t_edpay');
    await sync('t_edpay', invoiceEvent('t_edpay', 'inv_ep', { number: 'EP-1' }));
    // Version 2 raises the total from 24.00 to 36.00; the payment pays the new total in full.
    await p.h.sendOps(invoiceEvent('t_edpay', 'inv_ep', { number: 'EP-1', version: 2, lines: [{ description: 'Widget', quantity: '3', unit_price: '10.00', tax_rate: '20', category: 'sales' }] }));
    const pay = await p.h.sendOps(paymentEvent('t_edpay', 'pay_ep', { amount: '36.00', allocations: [{ invoice_id: 'inv_ep', amount: '36.00' }] }));
    await settle('t_edpay');
    await settle('t_edpay');
    const history = await db().selectFrom('document_events').select(['to_status', 'reason']).where('document_id', '=', pay.body.document_id).orderBy('id').execute();
    expect(history).toContainEqual({ to_status: 'held', reason: expect.stringMatching(/^waiting for invoice inv_ep version 2 \((received|queued)\) to be synced$/) });
    expect(await doc(pay.body.document_id)).toMatchObject({ status: 'synced' });
    expect(p.ops.invoice(orgId, 'EP-1')).toMatchObject({ total: 36, amountDue: 0 });
    expect(p.ops.payments(orgId).flatMap((x) => x.on)).toEqual([{ number: 'EP-1', amount: 36 }]);
  });

  it('a lost response on a payment leaves exactly one payment', async () => {
    const { orgId } = await setup('t_lost');
    await sync('t_lost', invoiceEvent('t_lost', 'inv_l', { number: 'L-1' }));
    p.ops.dropNextPaymentWrite();
    const [pay] = await sync('t_lost', paymentEvent('t_lost', 'pay_l', { amount: '7.00', allocations: [{ invoice_id: 'inv_l', amount: '7.00' }] }));
    expect(await doc(pay!)).toMatchObject({ status: 'synced' });
    expect(p.ops.payments(orgId)).toHaveLength(1);
    expect(p.ops.invoice(orgId, 'L-1')).toMatchObject({ amountDue: 17 });
    const attempts = await db().selectFrom('sync_attempts').select('outcome').where('document_id', '=', pay!).orderBy('id').execute();
    expect(attempts.map((x) => x.outcome)).toEqual(['uncertain', 'synced']);
  });

  it('a payment moved to another invoice is reversed and re-applied; a deleted one is reversed', async () => {
    const { orgId } = await setup('t_move');
    await sync('t_move', invoiceEvent('t_move', 'inv_m1', { number: 'M-1' }), invoiceEvent('t_move', 'inv_m2', { number: 'M-2' }));
    const [pay] = await sync('t_move', paymentEvent('t_move', 'pay_m', { amount: '12.00', allocations: [{ invoice_id: 'inv_m1', amount: '12.00' }] }));
    expect(p.ops.invoice(orgId, 'M-1')).toMatchObject({ amountDue: 12 });
    await sync('t_move', paymentEvent('t_move', 'pay_m', { version: 2, amount: '12.00', allocations: [{ invoice_id: 'inv_m2', amount: '12.00' }] }));
    expect(p.ops.invoice(orgId, 'M-1')).toMatchObject({ amountDue: 24 });
    expect(p.ops.invoice(orgId, 'M-2')).toMatchObject({ amountDue: 12 });
    expect(p.ops.payments(orgId).flatMap((x) => x.on)).toEqual([{ number: 'M-2', amount: 12 }]);
    await sync('t_move', paymentEvent('t_move', 'pay_m', { version: 3, type: 'payment.deleted', amount: '12.00', allocations: [{ invoice_id: 'inv_m2', amount: '12.00' }] }));
    expect(p.ops.payments(orgId)).toEqual([]);
    expect(p.ops.invoice(orgId, 'M-2')).toMatchObject({ amountDue: 24 });
    expect(await doc(pay!)).toMatchObject({ status: 'voided' });
  });

  it('an overpayment leaves the rest as the customer’s credit', async () => {
    const { orgId } = await setup('t_over');
    await sync('t_over', invoiceEvent('t_over', 'inv_o', { number: 'O-1' }));
    const [pay] = await sync('t_over', paymentEvent('t_over', 'pay_o', { amount: '30.00', allocations: [{ invoice_id: 'inv_o', amount: '24.00' }] }));
    expect(await doc(pay!)).toMatchObject({ status: 'synced' });
    expect(p.ops.invoice(orgId, 'O-1')).toMatchObject({ amountDue: 0 });
    expect(p.ops.unappliedCredit(orgId)).toBe(6);
  });

  it('a credit note credits its invoice, and a refund pays it back out', async () => {
    const { orgId } = await setup('t_credit');
    await sync('t_credit', invoiceEvent('t_credit', 'inv_c', { number: 'C-1' }));
    const [credit] = await sync('t_credit', creditNoteEvent('t_credit', 'cn_1', { invoiceId: 'inv_c', unitPrice: '5.00' }));
    expect(await doc(credit!)).toMatchObject({ kind: 'credit_note', status: 'synced' });
    expect(p.ops.invoice(orgId, 'C-1')).toMatchObject({ amountDue: 18 });
    const [other] = await sync('t_credit', creditNoteEvent('t_credit', 'cn_2', { unitPrice: '10.00' }));
    expect(await doc(other!)).toMatchObject({ status: 'synced' });
    const [refund] = await sync('t_credit', refundEvent('t_credit', 'ref_1', 'cn_2', { amount: '12.00' }));
    expect(await doc(refund!)).toMatchObject({ kind: 'refund', status: 'synced' });
    expect(p.ops.refunds(orgId)).toEqual([{ amount: 12 }]);
    // Xero pays a refund out of the credit note itself; a QuickBooks RefundReceipt stands on its own.
    if (p.name === 'xero') expect(p.ops.creditNotes(orgId).find((c) => c.number === 'CN_2')).toMatchObject({ remaining: 0 });
  });

  it('an edit after a payment at the provider follows the provider’s rule, with its reason', async () => {
    const { orgId } = await setup('t_paid_edit');
    const [id] = await sync('t_paid_edit', invoiceEvent('t_paid_edit', 'inv_pe', { number: 'PE-1' }));
    p.ops.payAtProvider(orgId, [{ invoiceId: p.ops.invoice(orgId, 'PE-1')!.id, amount: 5 }]);
    await sync('t_paid_edit', invoiceEvent('t_paid_edit', 'inv_pe', { number: 'PE-1', version: 2, patch: { due_date: '2027-02-01' } }));
    const row = await doc(id!);
    if (p.ops.editOfPaidInvoice === 'refused') {
      expect(row).toMatchObject({ status: 'failed', synced_version: 1 });
      expect(row.status_reason).toMatch(/payment/i);
    } else {
      expect(row).toMatchObject({ status: 'synced', synced_version: 2 });
    }
  });

  it('payments made at the provider reach the platform with every allocation, once', async () => {
    const { orgId, token } = await setup('t_in');
    const [a, b] = await sync('t_in', invoiceEvent('t_in', 'inv_i1', { number: 'I-1' }), invoiceEvent('t_in', 'inv_i2', { number: 'I-2' }));
    const ids = [p.ops.invoice(orgId, 'I-1')!.id, p.ops.invoice(orgId, 'I-2')!.id];
    const paymentId = p.ops.payAtProvider(orgId, [{ invoiceId: ids[0]!, amount: 4 }, { invoiceId: ids[1]!, amount: 6 }]);
    await p.ops.notifyChanged(server.url, orgId, { invoiceIds: ids, paymentId });
    await settle('t_in');
    const received = (await feed('t_in', token)).filter((e) => e.type === 'payment.received');
    const allocations = received.flatMap((e) => e.data.allocations as { invoice_id: string; amount: string }[]).map((x) => `${x.invoice_id}:${x.amount}`).sort();
    expect(allocations).toEqual(['inv_i1:4.00', 'inv_i2:6.00']);
    expect(await doc(a!)).toMatchObject({ amount_paid: '4.00', amount_due: '20.00' });
    expect(await doc(b!)).toMatchObject({ amount_paid: '6.00', amount_due: '18.00' });
    const listed = await p.h.request('GET', '/v1/tenants/t_in/payments?origin=provider', { token });
    expect(listed.body.data.flatMap((x: { allocations: unknown[] }) => x.allocations)).toHaveLength(2);
    // Read again with nothing changed: nothing new on the feed.
    await p.ops.notifyChanged(server.url, orgId, { invoiceIds: ids, paymentId });
    await settle('t_in');
    expect((await feed('t_in', token)).filter((e) => e.type === 'payment.received')).toHaveLength(received.length);
  });
});
