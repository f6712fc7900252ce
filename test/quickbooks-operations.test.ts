import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession } from '../src/connections/session.ts';
import type { DocumentKind } from '../src/db/schema.ts';
import type { AccountingProvider, DocumentOutcome, DocumentToPush, ProviderSession } from '../src/providers/types.ts';
import { ProviderError } from '../src/providers/types.ts';
import type { QuickBooksSandbox } from '../src/sandbox/quickbooks/index.ts';
import { BUILT_IN_DEFAULTS } from '../src/documents/posting-defaults.ts';
import { quickBooksFixture, type ProviderFixture } from './helpers/providers.ts';
import { batchRequestId } from '../src/providers/quickbooks/client.ts';

let p: ProviderFixture & { sb: QuickBooksSandbox };
let provider: AccountingProvider;
let session: ProviderSession;
let realmId: string;
beforeAll(async () => {
  p = await quickBooksFixture();
  ({ orgId: realmId } = await p.connect('q_ops'));
  provider = p.h.ctx.services.providers.quickbooks!;
  session = await openSession(p.h.ctx.providerDeps, provider, 'q_ops');
});
afterAll(async () => {
  await p.close();
});

const defaults = { ...BUILT_IN_DEFAULTS, sales_invoice_account: '79', purchase_bill_account: '78', tax_code_mappings: { '20': '2', '0': '4' }, payments_bank_account: '35' };
const customer = { id: 'cust_ops', name: 'Ops Customer Ltd', email: 'ap@ops.test' };
let seq = 0;
/** Base keys are 43 characters, as the core makes them. */
const key = () => `lp-${String(++seq).padStart(4, '0')}${'k'.repeat(36)}`;

function doc(kind: DocumentKind, source: Record<string, unknown>, over: Partial<DocumentToPush> = {}): DocumentToPush {
  return { documentId: `doc_${++seq}`, kind, version: 1, source, defaults, operation: 'create', providerId: null, providerRefs: null, providerStatus: null, syncedVersion: null, related: {}, ...over };
}
const invoiceSource = (id: string, unitPrice = '100.00') => ({
  id, version: 1, number: id.toUpperCase(), issue_date: '2026-03-01', currency: 'GBP', amounts_are: 'exclusive', customer,
  lines: [{ description: 'Widget', quantity: '1', unit_price: unitPrice, tax_rate: '20' }],
});
const related = (d: DocumentToPush, outcome: DocumentOutcome) => ({
  [String(d.source.id)]: { documentId: d.documentId, kind: d.kind, sourceId: String(d.source.id), providerId: (outcome as { providerId: string }).providerId, party: customer, currency: 'GBP' },
});
async function push(docs: DocumentToPush[], k = key()) {
  const prepared = await provider.prepareBatch(session, docs);
  const outcomes = await provider.sendBatch(session, prepared, k);
  return { prepared, outcomes, key: k };
}
const synced = (o: DocumentOutcome | undefined) => {
  if (o?.status !== 'synced') throw new Error(`not synced: ${JSON.stringify(o)}`);
  return o;
};
const invoice = (id: string) => p.sb.invoices(realmId).find((i) => i.Id === id) as { Balance: number; TotalAmt: number; SyncToken: string; PrivateNote?: string; Line: { Amount: number }[] };
/** The requestid a batch call carries for a key (and the call's suffix): 36 characters at most, derived from the key. */
const rid = (k: string, suffix = '') => batchRequestId('lp-', `${k}${suffix}`);
const batchKeys = () => p.sb.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/batch') && !String(r.query.requestid).startsWith('lp-party-')).map((r) => String(r.query.requestid));

/** Two invoices of 120 (100 + 20% VAT) at QuickBooks. */
async function twoInvoices() {
  const a = doc('sales_invoice', invoiceSource(`inv_${seq}_a`));
  const b = doc('sales_invoice', invoiceSource(`inv_${seq}_b`));
  const { outcomes } = await push([a, b]);
  return { a, b, oa: synced(outcomes[0]), ob: synced(outcomes[1]), rel: { ...related(a, outcomes[0]!), ...related(b, outcomes[1]!) } };
}

describe('QuickBooks operations: payments', () => {
  it('pays several invoices in one Payment, the rest unapplied; the same batch again applies once', async () => {
    const { a, b, oa, ob, rel } = await twoInvoices();
    const payment = doc('payment', { id: 'pay_1', version: 1, date: '2026-03-10', amount: '300.00', currency: 'GBP', reference: 'BACS-0001-LONG-REFERENCE-TEXT',
      allocations: [{ invoice_id: a.source.id, amount: '120.00' }, { invoice_id: b.source.id, amount: '50.00' }] }, { related: rel });
    const prepared = await provider.prepareBatch(session, [payment]);
    const k = key();
    const first = await provider.sendBatch(session, prepared, k);
    const again = await provider.sendBatch(session, prepared, k);
    expect(again).toEqual(first);
    const out = synced(first[0]);
    expect(out.providerRefs).toEqual({ providerPaymentIds: [out.providerId] });
    expect(out.providerStatus).toBe('Unapplied 130.00');
    const held = p.sb.payments(realmId).filter((x) => x.Id === out.providerId);
    expect(held).toEqual([expect.objectContaining({ TotalAmt: 300, UnappliedAmt: 130, PaymentRefNum: 'BACS-0001-LONG-REFERE', DepositToAccountRef: { value: '35', name: 'Checking' } })]);
    expect(p.sb.payments(realmId).filter((x) => String(x.PrivateNote).includes('pay_1'))).toHaveLength(1);
    expect(invoice(oa.providerId).Balance).toBe(0);
    expect(invoice(ob.providerId).Balance).toBe(70);

    // Payments in: the invoices with every allocation of the payment.
    const states = await provider.records.invoiceStates(session, [oa.providerId, ob.providerId, '99999']);
    expect(states).toHaveLength(2);
    expect(states[0]).toMatchObject({ providerId: oa.providerId, total: '120.00', amountPaid: '120.00', amountDue: '0.00', providerStatus: 'Paid' });
    expect(states[1]!.payments[0]).toMatchObject({ providerId: out.providerId, amount: '300.00', unapplied: '130.00',
      allocations: [{ providerInvoiceId: oa.providerId, amount: '120.00' }, { providerInvoiceId: ob.providerId, amount: '50.00' }] });
  });

  it('a dropped response then a replay of the stored request leaves one payment', async () => {
    const { a, oa, rel } = await twoInvoices();
    const payment = doc('payment', { id: 'pay_drop', version: 1, date: '2026-03-10', amount: '20.00', currency: 'GBP', allocations: [{ invoice_id: a.source.id, amount: '20.00' }] }, { related: rel });
    const prepared = await provider.prepareBatch(session, [payment]);
    const k = key();
    p.sb.dropAfterWrite(1, { path: /\/batch$/, query: { requestid: new RegExp(`^${rid(k)}$`) } });
    const error = await provider.sendBatch(session, prepared, k).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).outcomeUnknown).toBe(true);
    const replay = synced((await provider.sendBatch(session, JSON.parse(JSON.stringify(prepared)), k))[0]);
    expect(p.sb.payments(realmId).filter((x) => String(x.PrivateNote).includes('pay_drop'))).toEqual([expect.objectContaining({ Id: replay.providerId })]);
    expect(invoice(oa.providerId).Balance).toBe(100);
  });

  it('moves a payment to other invoices (update) and voids it; the balances come back', async () => {
    const { a, b, oa, ob, rel } = await twoInvoices();
    const source = { id: 'pay_move', version: 1, date: '2026-03-10', amount: '100.00', currency: 'GBP', allocations: [{ invoice_id: a.source.id, amount: '100.00' }] };
    const created = synced((await push([doc('payment', source, { related: rel })])).outcomes[0]);
    expect(invoice(oa.providerId).Balance).toBe(20);
    const moved = { ...source, version: 2, allocations: [{ invoice_id: a.source.id, amount: '40.00' }, { invoice_id: b.source.id, amount: '60.00' }] };
    synced((await push([doc('payment', moved, { operation: 'update', providerId: created.providerId, providerRefs: created.providerRefs ?? null, related: rel })])).outcomes[0]);
    expect([invoice(oa.providerId).Balance, invoice(ob.providerId).Balance]).toEqual([80, 60]);
    const voided = synced((await push([doc('payment', { ...moved, version: 3, voided: true }, { operation: 'void', providerId: created.providerId, related: rel })])).outcomes[0]);
    expect(voided.providerStatus).toBe('Voided');
    expect(p.sb.payments(realmId).find((x) => x.Id === created.providerId)).toMatchObject({ TotalAmt: 0, PrivateNote: 'Voided - Ledgerport payment pay_move' });
    expect([invoice(oa.providerId).Balance, invoice(ob.providerId).Balance]).toEqual([120, 120]);
    expect(await provider.records.payment(session, created.providerId)).toMatchObject({ amount: '0.00', allocations: [] });
    expect(await provider.records.payment(session, '987654')).toBeNull();
  });

  it('refuses a refund without a bank account before sending; sends a RefundReceipt with one', async () => {
    const cn = doc('credit_note', { ...invoiceSource('cn_refund'), number: 'CN-R1' });
    const cnOut = synced((await push([cn])).outcomes[0]);
    const source = { id: 'ref_1', version: 1, credit_note_id: 'cn_refund', date: '2026-03-12', amount: '30.00', currency: 'GBP', reference: 'RF-1' };
    const rel = related(cn, cnOut);
    const before = p.sb.requests.length;
    const refused = await provider.prepareBatch(session, [doc('refund', source, { related: rel, defaults: { ...defaults, payments_bank_account: null } })]);
    expect(refused.documentIds).toEqual([]);
    expect(refused.refused[0]).toMatchObject({ status: 'failed', errors: [expect.objectContaining({ field: 'bank_account' })] });
    expect(p.sb.requests.slice(before).filter((r) => r.path.endsWith('/batch') && r.method === 'POST' && !String(r.query.requestid).startsWith('lp-party'))).toEqual([]);
    const out = synced((await push([doc('refund', source, { related: rel })])).outcomes[0]);
    expect(p.sb.refundReceipts(realmId).find((r) => r.Id === out.providerId)).toMatchObject({ TotalAmt: 30, PaymentRefNum: 'RF-1', DepositToAccountRef: { value: '35' } });
    // Deleted when the platform deletes it (QuickBooks cannot void a refund receipt).
    const deleted = synced((await push([doc('refund', { ...source, version: 2, voided: true }, { operation: 'void', providerId: out.providerId, related: rel })])).outcomes[0]);
    expect(deleted.providerStatus).toBe('Deleted');
    expect(p.sb.refundReceipts(realmId).find((r) => r.Id === out.providerId)).toBeUndefined();
  });
});

describe('QuickBooks operations: credit notes, updates and voids', () => {
  it('applies a credit note to its invoice with a zero Payment in a second call, then voids both in order', async () => {
    const { a, oa, rel } = await twoInvoices();
    const cn = doc('credit_note', { ...invoiceSource('cn_apply', '50.00'), number: 'CN-1', invoice_id: a.source.id }, { related: rel });
    const { outcomes, key: k } = await push([cn]);
    const out = synced(outcomes[0]);
    expect(batchKeys().filter((x) => x === rid(k) || x === rid(k, '-a1'))).toEqual([rid(k), rid(k, '-a1')]);
    expect(out).toMatchObject({ providerNumber: 'CN-1', providerStatus: 'Applied' });
    const [applyId] = out.providerRefs!.providerPaymentIds as string[];
    expect(p.sb.payments(realmId).find((x) => x.Id === applyId)).toMatchObject({ TotalAmt: 0, Line: [{ Amount: 60, LinkedTxn: [{ TxnId: oa.providerId, TxnType: 'Invoice' }] }, { Amount: 60, LinkedTxn: [{ TxnId: out.providerId, TxnType: 'CreditMemo' }] }] });
    expect(invoice(oa.providerId).Balance).toBe(60);
    expect(p.sb.creditMemos(realmId).find((c) => c.Id === out.providerId)).toMatchObject({ RemainingCredit: 0 });

    const voided = synced((await push([doc('credit_note', { ...cn.source, version: 2, voided: true }, { operation: 'void', providerId: out.providerId, providerRefs: out.providerRefs ?? null, related: rel })])).outcomes[0]);
    expect(voided).toMatchObject({ providerId: out.providerId, providerStatus: 'Deleted' });
    expect(p.sb.creditMemos(realmId).find((c) => c.Id === out.providerId)).toBeUndefined();
    expect(p.sb.payments(realmId).find((x) => x.Id === applyId)).toBeUndefined();
    expect(invoice(oa.providerId).Balance).toBe(120);
  });

  it('a rate limit on the second call leaves the outcome unknown, and the replay under the same requestids applies the credit note once', async () => {
    const { a, oa, rel } = await twoInvoices();
    const cn = doc('credit_note', { ...invoiceSource('cn_throttled', '30.00'), number: 'CN-429', invoice_id: a.source.id }, { related: rel });
    const prepared = await provider.prepareBatch(session, [cn]);
    const k = key();
    p.sb.force429(1, { path: /\/batch$/, query: { requestid: new RegExp(`^${rid(k, '-a1')}$`) } });
    // Not "rate limited" (which would send the documents again in a new batch, under a new key): transient, to be replayed.
    const error = await provider.sendBatch(session, prepared, k).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'transient', message: expect.stringMatching(/replayed with the same requestids/) });
    expect(p.sb.creditMemos(realmId).filter((c) => c.DocNumber === 'CN-429')).toHaveLength(1);
    expect(invoice(oa.providerId).Balance).toBe(120);

    const out = synced((await provider.sendBatch(session, prepared, k))[0]);
    expect(out).toMatchObject({ providerNumber: 'CN-429', providerStatus: 'Applied' });
    expect(p.sb.creditMemos(realmId).filter((c) => c.DocNumber === 'CN-429')).toHaveLength(1);
    expect(invoice(oa.providerId).Balance).toBe(84);
    expect(batchKeys().filter((x) => x === rid(k) || x === rid(k, '-a1'))).toEqual([rid(k), rid(k, '-a1'), rid(k), rid(k, '-a1')]);
  });

  it('every batch carries a requestid QuickBooks accepts (36 characters at most), the same one for the same key', async () => {
    await twoInvoices();
    const batches = p.sb.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/batch'));
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.filter((r) => String(r.query.requestid).length > 36)).toEqual([]);
    expect(rid('lp-0001abc')).toBe(rid('lp-0001abc'));
    expect(rid('lp-0001abc')).not.toBe(rid('lp-0001abc', '-a1'));
    // A longer one is refused as QuickBooks does.
    const res = await fetch(`${p.sb.apiUrl}/v3/company/${realmId}/batch?requestid=${'x'.repeat(37)}`, { method: 'POST', headers: { authorization: `Bearer ${await session.accessToken()}`, 'content-type': 'application/json' }, body: JSON.stringify({ BatchItemRequest: [] }) });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('at most 36 are allowed');
  });

  it('updates an invoice at its current SyncToken; a stale one is read again and the update applied once', async () => {
    const { a, oa } = await twoInvoices();
    const update = doc('sales_invoice', { ...invoiceSource(String(a.source.id), '150.00'), version: 2 }, { operation: 'update', providerId: oa.providerId });
    const prepared = await provider.prepareBatch(session, [update]);
    // Someone edits the invoice in QuickBooks between the read and the write.
    p.sb.updateEntity(realmId, 'Invoice', oa.providerId, { CustomerMemo: { value: 'Thanks!' } });
    const tokenBefore = Number(invoice(oa.providerId).SyncToken);
    const k = key();
    const out = synced((await provider.sendBatch(session, prepared, k))[0]);
    expect(batchKeys().filter((x) => x === rid(k) || x === rid(k, '-r1'))).toEqual([rid(k), rid(k, '-r1')]);
    expect(out).toMatchObject({ providerId: oa.providerId, amountDue: '180.00', amountPaid: '0.00', providerStatus: 'Open' });
    const held = invoice(oa.providerId) as unknown as { TotalAmt: number; SyncToken: string; CustomerMemo?: unknown };
    expect(held).toMatchObject({ TotalAmt: 180, SyncToken: String(tokenBefore + 1), CustomerMemo: { value: 'Thanks!' } });
    // A replay of the stored request changes nothing more.
    await provider.sendBatch(session, prepared, k);
    expect(invoice(oa.providerId).SyncToken).toBe(String(tokenBefore + 1));
  });

  it('still stale after the re-read: failed with QuickBooks\' words, nothing applied', async () => {
    const { a, oa } = await twoInvoices();
    const prepared = await provider.prepareBatch(session, [doc('sales_invoice', { ...invoiceSource(String(a.source.id), '90.00'), version: 2 }, { operation: 'update', providerId: oa.providerId })]);
    p.sb.updateEntity(realmId, 'Invoice', oa.providerId, { CustomerMemo: { value: 'one' } });
    const k = key();
    // The resend is held back at the sandbox while QuickBooks changes the invoice once more.
    p.sb.delayNext(1, 500, { path: /\/batch$/, query: { requestid: new RegExp(`^${rid(k, '-r1')}$`) } });
    const sending = provider.sendBatch(session, prepared, k);
    await new Promise<void>((resolve) => {
      const tick = () => (p.sb.requests.some((r) => r.query.requestid === rid(k, '-r1')) ? resolve() : setImmediate(tick));
      tick();
    });
    p.sb.updateEntity(realmId, 'Invoice', oa.providerId, { CustomerMemo: { value: 'two' } });
    const [out] = await sending;
    expect(out).toMatchObject({ status: 'failed', errors: [expect.objectContaining({ message: expect.stringContaining('Stale Object Error') })] });
    expect(invoice(oa.providerId)).toMatchObject({ TotalAmt: 120, CustomerMemo: { value: 'two' } });
  });

  it('voids an invoice (zero amounts, "Voided") and deletes a bill, in one batch with a new invoice', async () => {
    const { a, oa } = await twoInvoices();
    const billSource = { id: 'bill_del', version: 1, issue_date: '2026-03-01', currency: 'GBP', amounts_are: 'no_tax', supplier: { id: 'sup_ops', name: 'Ops Supplier' }, supplier_invoice_number: 'S-9',
      lines: [{ description: 'Paper', quantity: '1', unit_price: '10.00' }] };
    const bill = synced((await push([doc('supplier_bill', billSource)])).outcomes[0]);
    const fresh = doc('sales_invoice', invoiceSource('inv_mixed'));
    const { outcomes } = await push([
      doc('sales_invoice', { ...a.source, version: 2, voided: true }, { operation: 'void', providerId: oa.providerId }),
      doc('supplier_bill', { ...billSource, version: 2, voided: true }, { operation: 'void', providerId: bill.providerId }),
      fresh,
    ]);
    expect(synced(outcomes[0])).toMatchObject({ providerStatus: 'Voided', amountDue: '0.00' });
    expect(synced(outcomes[1])).toMatchObject({ providerStatus: 'Deleted' });
    expect(synced(outcomes[2])).toMatchObject({ providerNumber: 'INV_MIXED' });
    expect(invoice(oa.providerId)).toMatchObject({ TotalAmt: 0, Balance: 0, PrivateNote: 'Voided' });
    expect(p.sb.bills(realmId).find((b) => b.Id === bill.providerId)).toBeUndefined();
  });
});
