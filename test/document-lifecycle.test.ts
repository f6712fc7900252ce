import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimBatch } from '../src/sync/push/batches.ts';
import { applyOutcomes } from '../src/sync/push/outcomes.ts';
import { creditNoteEvent, invoiceEvent, paymentEvent, refundEvent, voidedInvoice } from './helpers/events.ts';
import { startHarness, type Harness } from './helpers/harness.ts';

/**
 * What happens to documents after their first sync, up to the provider's door: versions, voids,
 * references between documents and lanes. Provider answers are applied through the same
 * applyOutcomes the pusher uses; the providers' own side is in the provider contract suite.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

async function connect(tenantId: string, defaults: Record<string, unknown> = {}) {
  const token = await h.token(tenantId);
  await h.database.db.insertInto('tenants').values({ id: tenantId }).onConflict((oc) => oc.doNothing()).execute();
  await h.database.db
    .insertInto('connections')
    .values({ tenant_id: tenantId, provider: 'xero', status: 'connected', status_reason: null, provider_org_id: `org-${tenantId}`, provider_org_name: 'Demo Ltd', token_set: null, access_token_expires_at: null, connected_at: new Date() })
    .execute();
  const res = await h.request('PUT', `/v1/tenants/${tenantId}/defaults`, { token, body: { sales_invoice_account: '200', payments_bank_account: '090', ...defaults } });
  expect(res.status).toBe(200);
  return token;
}
const doc = (id: string) => h.database.db.selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const history = async (id: string) => (await h.database.db.selectFrom('document_events').select(['from_status', 'to_status', 'reason']).where('document_id', '=', id).orderBy('id').execute());
const batches = (tenantId: string) => h.database.db.selectFrom('push_batches').selectAll().where('tenant_id', '=', tenantId).execute();

/** The provider accepted every document of a claimed batch. */
async function pushAll(tenantId: string) {
  const batch = await claimBatch(h.database.db, tenantId, 'xero', 50);
  if (!batch) return undefined;
  await applyOutcomes(
    h.database.db,
    h.ctx.services.feed,
    batch.id,
    batch.documents.map((d) => ({ documentId: d.documentId, status: 'synced' as const, providerId: d.providerId ?? `x-${d.documentId.slice(0, 8)}`, providerNumber: null, providerStatus: d.operation === 'void' ? 'VOIDED' : 'AUTHORISED' })),
    { closeBatch: true },
  );
  return batch;
}

describe('documents after their first sync', () => {
  it('a void before the create was pushed cancels it: nothing is claimed, and a later version never revives it', async () => {
    await connect('t_cancel', { auto_push_invoices: false });
    const created = await h.sendOps(invoiceEvent('t_cancel', 'inv_c'));
    await h.runJobs();
    expect(await doc(created.body.document_id)).toMatchObject({ status: 'held' });
    const voided = await h.sendOps(voidedInvoice('t_cancel', 'inv_c', 2));
    expect(voided.status).toBe(202);
    await h.runJobs();
    expect(await doc(created.body.document_id)).toMatchObject({ status: 'voided', provider_id: null, status_reason: 'voided before it reached the provider; nothing was sent' });
    expect(await claimBatch(h.database.db, 't_cancel', 'xero', 50)).toBeUndefined();
    expect(await batches('t_cancel')).toHaveLength(0);

    await h.sendOps(invoiceEvent('t_cancel', 'inv_c', { version: 3 }));
    await h.runJobs();
    expect(await doc(created.body.document_id)).toMatchObject({ status: 'voided', source_version: 3 });
  });

  it('a void while the create is queued is never sent; one after the sync is claimed as a void', async () => {
    await connect('t_void');
    const queued = await h.sendOps(invoiceEvent('t_void', 'inv_q'));
    await h.runJobs();
    expect(await doc(queued.body.document_id)).toMatchObject({ status: 'queued' });
    await h.sendOps(voidedInvoice('t_void', 'inv_q', 2));
    await h.runJobs();
    expect(await claimBatch(h.database.db, 't_void', 'xero', 50)).toBeUndefined();
    expect(await doc(queued.body.document_id)).toMatchObject({ status: 'voided' });

    const synced = await h.sendOps(invoiceEvent('t_void', 'inv_s'));
    await h.runJobs();
    await pushAll('t_void');
    expect(await doc(synced.body.document_id)).toMatchObject({ status: 'synced', synced_version: 1 });
    await h.sendOps(voidedInvoice('t_void', 'inv_s', 2));
    await h.runJobs();
    const batch = await pushAll('t_void');
    expect(batch?.documents.map((d) => d.operation)).toEqual(['void']);
    expect(await doc(synced.body.document_id)).toMatchObject({ status: 'voided', provider_status: 'VOIDED', synced_version: 2 });
    const events = (await h.request('GET', '/v1/tenants/t_void/events', { token: await h.token('t_void') })).body.data.map((e: { type: string }) => e.type);
    expect(events).toContain('document.voided');
  });

  it('an edit of a synced invoice is claimed as an update, and its history says what changed', async () => {
    const token = await connect('t_edit');
    const res = await h.sendOps(invoiceEvent('t_edit', 'inv_e'));
    await h.runJobs();
    await pushAll('t_edit');
    await h.sendOps(invoiceEvent('t_edit', 'inv_e', { version: 2, patch: { due_date: '2027-01-15' } }));
    // An older version than the provider holds changes nothing.
    await h.sendOps(invoiceEvent('t_edit', 'inv_e', { version: 1, patch: { due_date: '2030-01-01' } }));
    await h.runJobs();
    expect(await doc(res.body.document_id)).toMatchObject({ status: 'queued', source_version: 2 });
    const batch = await pushAll('t_edit');
    expect(batch?.documents).toEqual([expect.objectContaining({ operation: 'update', version: 2, syncedVersion: 1, providerId: expect.any(String) })]);
    expect(await doc(res.body.document_id)).toMatchObject({ status: 'synced', synced_version: 2 });
    const detail = await h.request('GET', `/v1/tenants/t_edit/documents/${res.body.document_id}`, { token });
    expect(detail.status).toBe(200);
    expect(detail.body.synced_version).toBe(2);
    expect((await history(res.body.document_id)).map((e) => e.reason)).toEqual(expect.arrayContaining(['version 2: update (changed: due_date)', 'version 2 updated at the provider']));
  });

  it('an edit that arrives while the create is in flight is pushed after it, not lost', async () => {
    await connect('t_race');
    const res = await h.sendOps(invoiceEvent('t_race', 'inv_r'));
    await h.runJobs();
    const batch = await claimBatch(h.database.db, 't_race', 'xero', 50);
    await h.sendOps(invoiceEvent('t_race', 'inv_r', { version: 2, lines: [{ description: 'Widget', quantity: '3', unit_price: '10.00', tax_rate: '20' }] }));
    await h.runJobs();
    expect(await doc(res.body.document_id)).toMatchObject({ status: 'pushing', source_version: 2 });
    await applyOutcomes(h.database.db, h.ctx.services.feed, batch!.id, [{ documentId: res.body.document_id, status: 'synced', providerId: 'x-race', providerNumber: 'INV-R' }], { closeBatch: true });
    expect(await doc(res.body.document_id)).toMatchObject({ status: 'received', synced_version: 1, provider_id: 'x-race' });
    await h.runJobs();
    expect(await doc(res.body.document_id)).toMatchObject({ status: 'queued' });
    const update = await claimBatch(h.database.db, 't_race', 'xero', 50);
    expect(update?.documents).toEqual([expect.objectContaining({ operation: 'update', version: 2 })]);
  });

  it('a payment for an invoice not yet synced waits, visibly, and is released when the invoice syncs', async () => {
    const token = await connect('t_wait');
    const payment = await h.sendOps(paymentEvent('t_wait', 'pay_1', { amount: '30.00', allocations: [{ invoice_id: 'inv_w1', amount: '12.00' }, { invoice_id: 'inv_w2', amount: '12.00' }] }));
    await h.runJobs();
    expect(await doc(payment.body.document_id)).toMatchObject({
      kind: 'payment',
      status: 'held',
      status_reason: 'waiting for invoice inv_w1 (not received yet), invoice inv_w2 (not received yet) to be synced',
      waits_for: ['sales_invoice:inv_w1', 'sales_invoice:inv_w2'],
    });
    const list = await h.request('GET', '/v1/tenants/t_wait/documents?kind=payment&status=held', { token });
    expect(list.body.data).toHaveLength(1);

    await h.sendOps(invoiceEvent('t_wait', 'inv_w1'));
    await h.sendOps(invoiceEvent('t_wait', 'inv_w2'));
    await h.runJobs();
    // Invoices and payments go in different Xero requests: the invoices first.
    const invoices = await pushAll('t_wait');
    expect(invoices?.documents.map((d) => d.kind)).toEqual(['sales_invoice', 'sales_invoice']);
    expect(await doc(payment.body.document_id)).toMatchObject({ status: 'received', waits_for: null });
    await h.runJobs();
    expect(await doc(payment.body.document_id)).toMatchObject({ status: 'queued' });
    const payments = await claimBatch(h.database.db, 't_wait', 'xero', 50);
    expect(payments?.documents).toEqual([
      expect.objectContaining({
        kind: 'payment',
        operation: 'create',
        related: {
          inv_w1: expect.objectContaining({ kind: 'sales_invoice', providerId: expect.stringMatching(/^x-/), party: expect.objectContaining({ id: 'cus_9' }) }),
          inv_w2: expect.objectContaining({ kind: 'sales_invoice', providerId: expect.stringMatching(/^x-/) }),
        },
      }),
    ]);
  });

  it('payments and refunds are held while payment sync is off; credit notes follow the invoice setting', async () => {
    await connect('t_off', { sync_payments: false });
    await h.sendOps(invoiceEvent('t_off', 'inv_o'));
    await h.runJobs();
    await pushAll('t_off');
    const payment = await h.sendOps(paymentEvent('t_off', 'pay_o', { amount: '5.00', allocations: [{ invoice_id: 'inv_o', amount: '5.00' }] }));
    const credit = await h.sendOps(creditNoteEvent('t_off', 'cn_o', { invoiceId: 'inv_o' }));
    await h.runJobs();
    expect(await doc(payment.body.document_id)).toMatchObject({ status: 'held', status_reason: 'payment sync is off in the posting defaults (sync_payments)' });
    expect(await doc(credit.body.document_id)).toMatchObject({ kind: 'credit_note', status: 'queued' });
    await pushAll('t_off');
    const refund = await h.sendOps(refundEvent('t_off', 'ref_o', 'cn_o', { amount: '2.00' }));
    await h.runJobs();
    expect(await doc(refund.body.document_id)).toMatchObject({ kind: 'refund', status: 'held', status_reason: 'payment sync is off in the posting defaults (sync_payments)' });
  });
});

describe('new ops events are validated', () => {
  const cases: [string, unknown, string][] = [
    ['allocations over the amount', paymentEvent('t_bad', 'p', { amount: '10.00', allocations: [{ invoice_id: 'a', amount: '6.00' }, { invoice_id: 'b', amount: '4.01' }] }), 'the allocations add up to more than the payment'],
    ['no allocation and no customer', paymentEvent('t_bad', 'p', { amount: '10.00', allocations: [] }), 'a payment applied to no invoice needs a customer'],
    ['a zero amount', paymentEvent('t_bad', 'p', { amount: '0.00', allocations: [{ invoice_id: 'a', amount: '0.00' }] }), 'must be more than zero'],
    ['three decimal places', paymentEvent('t_bad', 'p', { amount: '1.005', allocations: [] , customer: true }), 'at most 2 decimal places'],
    ['a refund with no credit note', { ...refundEvent('t_bad', 'r', 'cn', { amount: '1.00' }), data: { refund: { id: 'r', version: 1, date: '2026-11-27', amount: '1.00', currency: 'GBP' } } }, 'credit_note_id'],
  ];
  it.each(cases)('refuses %s with 400 and stores nothing', async (_name, event, message) => {
    const res = await h.sendOps(event);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error.details)).toContain(message);
    expect(await h.database.db.selectFrom('documents').select('id').where('tenant_id', '=', 't_bad').execute()).toHaveLength(0);
  });

  it('accepts an overpayment with a customer and no allocations, and a payment of several invoices', async () => {
    const over = await h.sendOps(paymentEvent('t_ok', 'p_over', { amount: '50.00', allocations: [], customer: true }));
    expect(over.status).toBe(202);
    const split = await h.sendOps(paymentEvent('t_ok', 'p_split', { amount: '20.00', allocations: [{ invoice_id: 'a', amount: '10.00' }, { invoice_id: 'b', amount: '10.00' }] }));
    expect(split.status).toBe(202);
    expect(await doc(split.body.document_id)).toMatchObject({ kind: 'payment', source_id: 'p_split' });
  });
});
