import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountingProvider, RelatedDocument } from '../src/providers/types.ts';
import type { XeroSandbox } from '../src/sandbox/xero/index.ts';
import { client } from '../src/sandbox/xero/testing.ts';
import type { Harness } from './helpers/harness.ts';
import { batchKey, connectXero, invoiceSource, pushDoc, pushThroughXero, relatedTo, startXeroHarness, synced } from './helpers/xero.ts';

// The Xero provider's payment lanes (Payments:create, Payments:change) and the payments-in reads.
let h: Harness;
let sb: XeroSandbox;
let close: () => Promise<void>;
let xero: AccountingProvider;
beforeAll(async () => {
  ({ h, sb, close } = await startXeroHarness());
  xero = h.ctx.services.providers.xero!;
});
afterAll(async () => {
  await close();
});


/** A connected organisation with two approved invoices of 240.00 (inv_a, inv_b), as `related` for payments. */
async function withInvoices(tenantId: string) {
  const { org } = await connectXero(h, sb, tenantId, `Org ${tenantId}`);
  const related: Record<string, RelatedDocument> = {};
  for (const id of ['inv_a', 'inv_b']) {
    const source = invoiceSource(id);
    const { outcomes } = await pushThroughXero(h, xero, tenantId, [pushDoc('sales_invoice', source)]);
    Object.assign(related, relatedTo('sales_invoice', source, synced(outcomes[0])));
  }
  const orgId = org.OrganisationID;
  const invoice = (id: string) => sb.invoices(orgId).find((i) => i.InvoiceID === related[id]!.providerId) as Record<string, any>;
  const writes = (path: RegExp) => sb.requests.filter((r) => r.tenantId === orgId && r.method !== 'GET' && path.test(r.path));
  return { orgId, related, invoice, writes };
}
const payment = (id: string, amount: string, allocations: { invoice_id: string; amount: string }[], extra: Record<string, unknown> = {}) =>
  ({ id, version: 1, date: '2026-11-25', amount, currency: 'GBP', reference: `R-${id}`, allocations, ...extra });

describe('Xero lanes: payments (Payments:create)', () => {
  it('one Xero payment per allocation, batched across documents, and an overpayment for the rest', async () => {
    const { orgId, related, invoice, writes } = await withInvoices('pay_create');
    const p1 = pushDoc('payment', payment('pay_1', '175.00', [{ invoice_id: 'inv_a', amount: '100.00' }, { invoice_id: 'inv_b', amount: '50.00' }]), { related });
    const p2 = pushDoc('payment', payment('pay_2', '40.00', [{ invoice_id: 'inv_a', amount: '40.00' }]), { related });
    const { outcomes, key } = await pushThroughXero(h, xero, 'pay_create', [p1, p2]);
    const [o1, o2] = outcomes.map(synced);
    const refs = o1!.providerRefs as { payments: { invoice_id: string; payment_id: string; amount: string }[]; overpayment_id: string; providerPaymentIds: string[] };
    expect(refs.payments.map((p) => [p.invoice_id, p.amount])).toEqual([['inv_a', '100.00'], ['inv_b', '50.00']]);
    expect(refs.providerPaymentIds).toEqual(refs.payments.map((p) => p.payment_id));
    expect(o1!.providerId).toBe(refs.payments[0]!.payment_id);
    expect(o2!.providerRefs).toMatchObject({ payments: [{ invoice_id: 'inv_a', amount: '40.00' }] });
    expect(invoice('inv_a')).toMatchObject({ AmountPaid: 140, AmountDue: 100 });
    expect(invoice('inv_b')).toMatchObject({ AmountPaid: 50, AmountDue: 190 });
    expect(sb.overpayments(orgId)).toEqual([expect.objectContaining({ OverpaymentID: refs.overpayment_id, Total: 25, RemainingCredit: 25, Contact: expect.objectContaining({ Name: 'Acme Ltd' }) })]);
    expect(writes(/\/Payments$/).map((r) => [r.headers['idempotency-key'], (r.body as { Payments: unknown[] }).Payments.length, r.query.summarizeErrors]))
      .toEqual([[`${key}-p1`, 3, 'false']]);
    expect(writes(/\/BankTransactions$/).map((r) => r.headers['idempotency-key'])).toEqual([`${key}-o1`]);
    expect(sb.payments(orgId).filter((p) => p.Account && (p.Account as { Code: string }).Code === '090')).toHaveLength(3);
    expect(sb.contractViolations).toEqual([]);
  });

  it('a document with a refused payment fails with Xero’s words and leaves nothing at Xero; the others go in', async () => {
    const { orgId, related } = await withInvoices('pay_partial');
    const bad = pushDoc('payment', payment('pay_bad', '300.00', [{ invoice_id: 'inv_a', amount: '50.00' }, { invoice_id: 'inv_b', amount: '250.00' }]), { related });
    const good = pushDoc('payment', payment('pay_good', '10.00', [{ invoice_id: 'inv_b', amount: '10.00' }]), { related });
    const { outcomes, key } = await pushThroughXero(h, xero, 'pay_partial', [bad, good]);
    expect(outcomes[0]).toEqual({ documentId: bad.documentId, status: 'failed', errors: [{ message: 'Payment amount exceeds the amount outstanding on this document' }] });
    synced(outcomes[1]);
    const live = sb.payments(orgId).filter((p) => p.Status === 'AUTHORISED');
    expect(live.map((p) => p.Amount)).toEqual([10]);
    const undo = sb.requests.filter((r) => r.tenantId === orgId && r.method === 'POST' && /\/Payments\//.test(r.path));
    expect(undo.map((r) => r.headers['idempotency-key'])).toEqual([`${key}-x1`]);
  });

  it('refuses before sending when there is no bank account', async () => {
    const { related, writes } = await withInvoices('pay_nobank');
    const doc = pushDoc('payment', payment('pay_nb', '10.00', [{ invoice_id: 'inv_a', amount: '10.00' }]), { related, defaults: { payments_bank_account: null } });
    const { refused, prepared } = await pushThroughXero(h, xero, 'pay_nobank', [doc]);
    expect(prepared.documentIds).toEqual([]);
    expect(refused).toEqual([{ documentId: doc.documentId, status: 'failed', errors: [expect.objectContaining({ field: 'bank_account' })] }]);
    expect(writes(/Payments/)).toEqual([]);
  });

  it('the same batch sent twice with its key applies once; a lost answer replayed leaves one payment', async () => {
    const { orgId, related } = await withInvoices('pay_idem');
    const doc = pushDoc('payment', payment('pay_i', '30.00', [{ invoice_id: 'inv_a', amount: '30.00' }]), { related });
    const { prepared, outcomes, key, session } = await pushThroughXero(h, xero, 'pay_idem', [doc]);
    const again = await xero.sendBatch(session, prepared, key);
    expect(again).toEqual(outcomes);
    expect(sb.payments(orgId)).toHaveLength(1);

    const doc2 = pushDoc('payment', payment('pay_j', '20.00', [{ invoice_id: 'inv_b', amount: '20.00' }], { allocations: [{ invoice_id: 'inv_b', amount: '15.00' }] }), { related });
    const key2 = batchKey();
    const prepared2 = await xero.prepareBatch(session, [doc2]);
    sb.dropAfterWrite(1, { path: /\/Payments$/ });
    await expect(xero.sendBatch(session, prepared2, key2)).rejects.toMatchObject({ kind: 'unreachable' });
    const replayed = await xero.sendBatch(session, prepared2, key2);
    expect(synced(replayed[0]).providerRefs).toMatchObject({ payments: [{ invoice_id: 'inv_b', amount: '15.00' }], overpayment_amount: '5.00' });
    expect(sb.payments(orgId).map((p) => p.Amount).sort()).toEqual([15, 30]);
    expect(sb.overpayments(orgId)).toHaveLength(1);
  });

  it('a refund is a payment on the credit note', async () => {
    const { orgId } = await withInvoices('pay_refund');
    const cnSource = invoiceSource('cn_r', { number: 'CN-R' });
    const cn = synced((await pushThroughXero(h, xero, 'pay_refund', [pushDoc('credit_note', cnSource)])).outcomes[0]);
    const refund = { id: 'ref_1', version: 1, credit_note_id: 'cn_r', date: '2026-11-26', amount: '50.00', currency: 'GBP' };
    const { outcomes } = await pushThroughXero(h, xero, 'pay_refund', [pushDoc('refund', refund, { related: relatedTo('credit_note', cnSource, cn) })]);
    expect(synced(outcomes[0]).providerRefs).toMatchObject({ payments: [{ credit_note_id: 'cn_r', amount: '50.00' }] });
    expect(sb.creditNotes(orgId)[0]).toMatchObject({ RemainingCredit: 190 });
    expect(sb.payments(orgId).at(-1)).toMatchObject({ PaymentType: 'ARCREDITPAYMENT', Amount: 50 });

    const refundRefs = synced(outcomes[0]);
    const { outcomes: voided } = await pushThroughXero(h, xero, 'pay_refund', [pushDoc('refund', { ...refund, version: 2, voided: true }, {
      operation: 'void', providerId: refundRefs.providerId, providerRefs: refundRefs.providerRefs ?? null, providerStatus: 'AUTHORISED',
    })]);
    expect(synced(voided[0]).providerStatus).toBe('DELETED');
    expect(sb.creditNotes(orgId)[0]).toMatchObject({ RemainingCredit: 240 });
  });
});

describe('Xero lanes: payment changes (Payments:change)', () => {
  it('a moved payment keeps what is unchanged, deletes the rest and makes the new; a void deletes them all', async () => {
    const { orgId, related, invoice } = await withInvoices('pay_move');
    const v1 = payment('pay_m', '150.00', [{ invoice_id: 'inv_a', amount: '100.00' }, { invoice_id: 'inv_b', amount: '50.00' }]);
    const created = synced((await pushThroughXero(h, xero, 'pay_move', [pushDoc('payment', v1, { related })])).outcomes[0]);
    const before = (created.providerRefs as { payments: { invoice_id: string; payment_id: string }[] }).payments;

    const v2 = { ...v1, version: 2, allocations: [{ invoice_id: 'inv_a', amount: '100.00' }, { invoice_id: 'inv_b', amount: '20.00' }], amount: '120.00' };
    const { outcomes, key } = await pushThroughXero(h, xero, 'pay_move', [pushDoc('payment', v2, {
      operation: 'update', providerId: created.providerId, providerRefs: created.providerRefs ?? null, providerStatus: 'AUTHORISED', related,
    })]);
    const moved = synced(outcomes[0]);
    const after = (moved.providerRefs as { payments: { invoice_id: string; payment_id: string; amount: string }[] }).payments;
    expect(after[0]).toEqual({ invoice_id: 'inv_a', payment_id: before[0]!.payment_id, amount: '100.00' });
    expect(after[1]).toMatchObject({ invoice_id: 'inv_b', amount: '20.00' });
    expect(after[1]!.payment_id).not.toBe(before[1]!.payment_id);
    expect(sb.payments(orgId).find((p) => p.PaymentID === before[1]!.payment_id)).toMatchObject({ Status: 'DELETED' });
    expect(invoice('inv_b')).toMatchObject({ AmountPaid: 20, AmountDue: 220 });
    expect(sb.requests.filter((r) => r.tenantId === orgId && r.method === 'POST' && /\/Payments\//.test(r.path)).map((r) => r.headers['idempotency-key'])).toEqual([`${key}-d1`]);

    const { outcomes: voided } = await pushThroughXero(h, xero, 'pay_move', [pushDoc('payment', { ...v2, version: 3, voided: true }, {
      operation: 'void', providerId: moved.providerId, providerRefs: moved.providerRefs ?? null, providerStatus: 'AUTHORISED', related,
    })]);
    expect(synced(voided[0])).toMatchObject({ providerStatus: 'DELETED', providerRefs: { payments: [] } });
    expect(sb.payments(orgId).filter((p) => p.Status === 'AUTHORISED')).toEqual([]);
    expect([invoice('inv_a'), invoice('inv_b')].map((i) => [i.Status, i.AmountDue])).toEqual([['AUTHORISED', 240], ['AUTHORISED', 240]]);
    expect(sb.contractViolations).toEqual([]);
  });

  it('a paid invoice goes back to AUTHORISED when its payment is voided; the overpayment stays, as Xero allows no other', async () => {
    const { orgId, related, invoice } = await withInvoices('pay_void');
    const v1 = payment('pay_v', '250.00', [{ invoice_id: 'inv_a', amount: '240.00' }]);
    const created = synced((await pushThroughXero(h, xero, 'pay_void', [pushDoc('payment', v1, { related })])).outcomes[0]);
    expect(invoice('inv_a').Status).toBe('PAID');
    const { outcomes } = await pushThroughXero(h, xero, 'pay_void', [pushDoc('payment', { ...v1, version: 2, voided: true }, {
      operation: 'void', providerId: created.providerId, providerRefs: created.providerRefs ?? null, providerStatus: 'AUTHORISED', related,
    })]);
    expect(synced(outcomes[0]).providerRefs).toMatchObject({ payments: [], overpayment_kept: true, overpayment_amount: '10.00' });
    expect(invoice('inv_a')).toMatchObject({ Status: 'AUTHORISED', AmountDue: 240 });
    expect(sb.overpayments(orgId)).toHaveLength(1);
  });

  it('a retry after a half-done change plans from what Xero holds now', async () => {
    const { orgId, related, invoice } = await withInvoices('pay_retry');
    const v1 = payment('pay_r', '60.00', [{ invoice_id: 'inv_a', amount: '30.00' }, { invoice_id: 'inv_b', amount: '30.00' }]);
    const created = synced((await pushThroughXero(h, xero, 'pay_retry', [pushDoc('payment', v1, { related })])).outcomes[0]);
    const refs = created.providerRefs as { payments: { payment_id: string }[] };
    // An earlier attempt (or a user at Xero) already deleted the first payment.
    const { session } = await pushThroughXero(h, xero, 'pay_retry', []);
    const api = client(sb, await session.accessToken(), orgId);
    expect((await api('POST', `/Payments/${refs.payments[0]!.payment_id}`, { Status: 'DELETED' })).status).toBe(200);
    const { outcomes } = await pushThroughXero(h, xero, 'pay_retry', [pushDoc('payment', { ...v1, version: 2, voided: true }, {
      operation: 'void', providerId: created.providerId, providerRefs: created.providerRefs ?? null, providerStatus: 'AUTHORISED', related,
    })]);
    synced(outcomes[0]);
    // Only the payment still live was deleted (one call), and both invoices owe everything again.
    expect(sb.requests.filter((r) => r.tenantId === orgId && r.method === 'POST' && /\/Payments\//.test(r.path) && r.headers['idempotency-key'] !== undefined)).toHaveLength(1);
    expect([invoice('inv_a').AmountDue, invoice('inv_b').AmountDue]).toEqual([240, 240]);
  });
});

describe('payments in: records.invoiceStates and records.payment', () => {
  it('reads invoices’ amounts and every payment on them, including those made at Xero', async () => {
    const { orgId, related } = await withInvoices('pay_in');
    const { session } = await pushThroughXero(h, xero, 'pay_in', []);
    const atXero = sb.addPaymentAtXero(orgId, { invoiceId: related.inv_a!.providerId, amount: 40, date: '2026-11-27', reference: 'bank feed' });
    const states = await xero.records.invoiceStates(session, [related.inv_a!.providerId, related.inv_b!.providerId, '00000000-0000-0000-0000-000000000000']);
    expect(states).toHaveLength(2);
    expect(states.find((s) => s.providerId === related.inv_a!.providerId)).toMatchObject({
      providerStatus: 'AUTHORISED', total: '240.00', amountPaid: '40.00', amountDue: '200.00',
      payments: [{ providerId: atXero.PaymentID, date: '2026-11-27', amount: '40.00', currency: 'GBP', reference: 'bank feed', allocations: [{ providerInvoiceId: related.inv_a!.providerId, amount: '40.00' }], unapplied: '0.00' }],
    });
    expect(await xero.records.payment(session, String(atXero.PaymentID))).toMatchObject({ providerId: atXero.PaymentID, amount: '40.00', allocations: [{ providerInvoiceId: related.inv_a!.providerId }] });
    expect(await xero.records.payment(session, '00000000-0000-0000-0000-000000000000')).toBeNull();
  });
});
