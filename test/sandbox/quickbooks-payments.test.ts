import { afterEach, describe, expect, it } from 'vitest';
import { startQuickBooksSandbox } from '../../src/sandbox/quickbooks/index.ts';
import type { QuickBooksSandbox } from '../../src/sandbox/quickbooks/index.ts';
import { client, invoice, query } from '../../src/sandbox/quickbooks/testing.ts';

const open: QuickBooksSandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((sb) => sb.close()));
});

/** A US company with one customer and two invoices of 200 each. */
async function withInvoices() {
  const sb = await startQuickBooksSandbox();
  open.push(sb);
  const co = sb.addCompany({ name: 'Payments Co', country: 'US' });
  const tokens = await sb.grantTokens();
  const api = client(sb, tokens.access_token, co.realmId);
  const [cust, other] = sb.addCustomers(co.realmId, [{ DisplayName: 'Acme Ltd' }, { DisplayName: 'Other Inc' }]);
  const a = (await api('POST', '/invoice', invoice(String(cust!.Id)))).body.Invoice;
  const b = (await api('POST', '/invoice', invoice(String(cust!.Id)))).body.Invoice;
  return { sb, realmId: co.realmId, api, customerId: String(cust!.Id), otherId: String(other!.Id), a, b };
}

const link = (id: string, amount: number, type = 'Invoice') => ({ Amount: amount, LinkedTxn: [{ TxnId: id, TxnType: type }] });
const creditMemo = (customerId: string, amount: number) => ({
  CustomerRef: { value: customerId }, TxnDate: '2026-03-02',
  Line: [{ Amount: amount, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: '1' }, UnitPrice: amount, Qty: 1 } }],
});

describe('quickbooks sandbox: payments', () => {
  it('applies a payment over several invoices, keeps the rest unapplied and links the invoices', async () => {
    const { api, customerId, a, b } = await withInvoices();
    const res = await api('POST', '/payment', { CustomerRef: { value: customerId }, TotalAmt: 500, TxnDate: '2026-03-05', PaymentRefNum: 'CHK-1',
      Line: [link(a.Id, 200), link(b.Id, 50)] }, { requestid: 'pay-1' });
    expect(res.status).toBe(200);
    const p = res.body.Payment;
    expect(p).toMatchObject({ TotalAmt: 500, UnappliedAmt: 250, PaymentRefNum: 'CHK-1', SyncToken: '0', DepositToAccountRef: { value: '4', name: 'Undeposited Funds' },
      CustomerRef: { value: customerId, name: 'Acme Ltd' } });
    const ia = (await api('GET', `/invoice/${a.Id}`)).body.Invoice;
    const ib = (await api('GET', `/invoice/${b.Id}`)).body.Invoice;
    expect(ia).toMatchObject({ Balance: 0, TotalAmt: 200, SyncToken: '1', LinkedTxn: [{ TxnId: p.Id, TxnType: 'Payment' }] });
    expect(ib).toMatchObject({ Balance: 150, SyncToken: '1' });
    // The same requestid replays the first answer: one payment.
    const again = await api('POST', '/payment', { CustomerRef: { value: customerId }, TotalAmt: 500, Line: [link(a.Id, 200)] }, { requestid: 'pay-1' });
    expect(again.body.Payment.Id).toBe(p.Id);
    expect((await query(api, 'select * from Payment')).body.QueryResponse.Payment).toHaveLength(1);
  });

  it('refuses a line for more than the invoice balance, another customer\'s invoice and an unknown one', async () => {
    const { api, customerId, otherId, a } = await withInvoices();
    await api('POST', '/payment', { CustomerRef: { value: customerId }, TotalAmt: 150, Line: [link(a.Id, 150)] });
    const over = await api('POST', '/payment', { CustomerRef: { value: customerId }, TotalAmt: 60, Line: [link(a.Id, 60)] });
    expect(over.status).toBe(400);
    expect(over.body.Fault.Error[0]).toMatchObject({ code: '6000', Message: 'A business validation error has occurred while processing your request' });
    expect(over.body.Fault.Error[0].Detail).toContain('more than its open balance (50.00)');
    const other = await api('POST', '/payment', { CustomerRef: { value: otherId }, TotalAmt: 10, Line: [link(a.Id, 10)] });
    expect(other.body.Fault.Error[0].code).toBe('6000');
    const missing = await api('POST', '/payment', { CustomerRef: { value: customerId }, TotalAmt: 10, Line: [link('999', 10)] });
    expect(missing.body.Fault.Error[0].code).toBe('2500');
    const tooMuch = await api('POST', '/payment', { CustomerRef: { value: customerId }, TotalAmt: 10, Line: [link(a.Id, 20)] });
    expect(tooMuch.body.Fault.Error[0].Detail).toContain('more than the payment amount');
    expect((await api('GET', `/invoice/${a.Id}`)).body.Invoice.Balance).toBe(50);
  });

  it('moves, voids and deletes payments through the batch endpoint; balances come back; stale SyncTokens answer 5010', async () => {
    const { api, customerId, a, b } = await withInvoices();
    const p = (await api('POST', '/payment', { CustomerRef: { value: customerId }, TotalAmt: 200, Line: [link(a.Id, 200)] })).body.Payment;
    const batch = await api('POST', '/batch', { BatchItemRequest: [
      { bId: '0', operation: 'update', Payment: { Id: p.Id, SyncToken: '0', CustomerRef: { value: customerId }, TotalAmt: 200, Line: [link(a.Id, 80), link(b.Id, 120)] } },
      { bId: '1', operation: 'update', Payment: { Id: p.Id, SyncToken: '0', sparse: true, PrivateNote: 'late' } },
    ] }, { requestid: 'move-1' });
    expect(batch.body.BatchItemResponse[0].Payment).toMatchObject({ SyncToken: '1', UnappliedAmt: 0 });
    expect(batch.body.BatchItemResponse[1].Fault.Error[0]).toMatchObject({ code: '5010', Message: 'Stale Object Error' });
    expect(batch.body.BatchItemResponse[1].Fault.Error[0].Detail).toMatch(/^Stale Object Error : You and .* were working on this at the same time/);
    expect((await api('GET', `/invoice/${a.Id}`)).body.Invoice.Balance).toBe(120);
    expect((await api('GET', `/invoice/${b.Id}`)).body.Invoice.Balance).toBe(80);

    const voided = await api('POST', '/batch', { BatchItemRequest: [{ bId: 'v', operation: 'update', optionsData: 'void', Payment: { Id: p.Id, SyncToken: '1', sparse: true } }] });
    expect(voided.body.BatchItemResponse[0].Payment).toMatchObject({ TotalAmt: 0, UnappliedAmt: 0, Line: [], PrivateNote: 'Voided', SyncToken: '2' });
    expect((await api('GET', `/invoice/${a.Id}`)).body.Invoice).toMatchObject({ Balance: 200 });
    expect((await api('GET', `/invoice/${a.Id}`)).body.Invoice.LinkedTxn).toBeUndefined();

    const q = (await api('POST', '/payment', { CustomerRef: { value: customerId }, TotalAmt: 30, Line: [link(b.Id, 30)] })).body.Payment;
    const del = await api('POST', '/payment', { Id: q.Id, SyncToken: q.SyncToken }, { operation: 'delete' });
    expect(del.body.Payment).toEqual({ status: 'Deleted', domain: 'QBO', Id: q.Id });
    expect((await api('GET', `/invoice/${b.Id}`)).body.Invoice.Balance).toBe(200);
    expect((await api('GET', `/payment/${q.Id}`)).body.Fault.Error[0].code).toBe('610');
  });

  it('voids invoices like QuickBooks (zero amounts, "Voided" note) and releases their payments as credit', async () => {
    const { api, customerId, a } = await withInvoices();
    const p = (await api('POST', '/payment', { CustomerRef: { value: customerId }, TotalAmt: 50, Line: [link(a.Id, 50)] })).body.Payment;
    const inv = (await api('GET', `/invoice/${a.Id}`)).body.Invoice;
    const v = await api('POST', '/invoice', { Id: a.Id, SyncToken: inv.SyncToken }, { operation: 'void' });
    expect(v.status).toBe(200);
    expect(v.body.Invoice).toMatchObject({ TotalAmt: 0, Balance: 0, PrivateNote: 'Voided', Line: [expect.objectContaining({ Amount: 0 }), expect.anything()] });
    expect((await api('GET', `/payment/${p.Id}`)).body.Payment).toMatchObject({ UnappliedAmt: 50, Line: [] });
    const edit = await api('POST', '/invoice', { ...invoice(customerId), Id: a.Id, SyncToken: v.body.Invoice.SyncToken });
    expect(edit.body.Fault.Error[0].code).toBe('6000');
    // Batch: operation 'void' for invoices; bills are deleted (no void).
    const b2 = (await api('POST', '/invoice', invoice(customerId))).body.Invoice;
    const batch = await api('POST', '/batch', { BatchItemRequest: [{ bId: '1', operation: 'void', Invoice: { Id: b2.Id, SyncToken: '0' } }] });
    expect(batch.body.BatchItemResponse[0].Invoice).toMatchObject({ TotalAmt: 0, PrivateNote: 'Voided' });
  });

  it('applies a credit memo with a zero payment, keeps RemainingCredit and refunds through RefundReceipt', async () => {
    const { api, sb, realmId, customerId, a } = await withInvoices();
    const cm = (await api('POST', '/creditmemo', creditMemo(customerId, 80))).body.CreditMemo;
    expect(cm).toMatchObject({ TotalAmt: 80, Balance: 80, RemainingCredit: 80 });
    const apply = await api('POST', '/payment', { CustomerRef: { value: customerId }, TotalAmt: 0, Line: [link(a.Id, 50), link(cm.Id, 50, 'CreditMemo')] });
    expect(apply.body.Payment).toMatchObject({ TotalAmt: 0, UnappliedAmt: 0 });
    expect((await api('GET', `/invoice/${a.Id}`)).body.Invoice.Balance).toBe(150);
    const cmNow = (await api('GET', `/creditmemo/${cm.Id}`)).body.CreditMemo;
    expect(cmNow).toMatchObject({ RemainingCredit: 30, SyncToken: '1', LinkedTxn: [{ TxnId: apply.body.Payment.Id, TxnType: 'Payment' }] });
    const overCredit = await api('POST', '/payment', { CustomerRef: { value: customerId }, TotalAmt: 0, Line: [link(a.Id, 40), link(cm.Id, 40, 'CreditMemo')] });
    expect(overCredit.body.Fault.Error[0].Detail).toContain('more than its open credit (30.00)');
    // Applied credit memos are freed before they are deleted.
    const stuck = await api('POST', '/creditmemo', { Id: cm.Id, SyncToken: '1' }, { operation: 'delete' });
    expect(stuck.body.Fault.Error[0].code).toBe('6000');

    const noBank = await api('POST', '/refundreceipt', { ...creditMemo(customerId, 30) });
    expect(noBank.body.Fault.Error[0]).toMatchObject({ code: '2020', element: 'DepositToAccountRef' });
    const refund = await api('POST', '/refundreceipt', { ...creditMemo(customerId, 30), DepositToAccountRef: { value: '35' }, PaymentRefNum: 'R-1' });
    expect(refund.body.RefundReceipt).toMatchObject({ TotalAmt: 30, Balance: 0, DepositToAccountRef: { value: '35', name: 'Checking' } });
    expect(sb.refundReceipts(realmId)).toHaveLength(1);
    expect(sb.creditMemos(realmId)).toHaveLength(1);
  });

  it('payments made in QuickBooks: helpers, CDC and webhooks report payments and the invoices they touched', async () => {
    const { sb, realmId, api, customerId, a, b } = await withInvoices();
    const since = new Date(sb.now() - 1000).toISOString();
    const p = sb.addPaymentInQuickBooks(realmId, { customerId, lines: [{ invoiceId: String(a.Id), amount: 120 }], total: 150 });
    expect(p).toMatchObject({ TotalAmt: 150, UnappliedAmt: 30 });
    expect(() => sb.addPaymentInQuickBooks(realmId, { customerId, lines: [{ invoiceId: String(a.Id), amount: 100 }] })).toThrow(/open balance/);
    const moved = sb.moveQuickBooksPayment(realmId, String(p.Id), { lines: [{ invoiceId: String(b.Id), amount: 150 }] });
    expect(moved).toMatchObject({ SyncToken: '1', UnappliedAmt: 0 });
    expect(sb.invoices(realmId).map((i) => i.Balance)).toEqual([200, 50]);
    const cdc = await api('GET', '/cdc', undefined, { entities: 'Payment,Invoice,CreditMemo', changedSince: since });
    const [payments, invoices, credits] = cdc.body.CDCResponse[0].QueryResponse;
    expect(payments.Payment).toEqual([expect.objectContaining({ Id: p.Id, SyncToken: '1' })]);
    expect(invoices.Invoice.map((i: { Id: string }) => i.Id).sort()).toEqual([a.Id, b.Id].sort());
    expect(credits).toEqual({});
    sb.deleteEntity(realmId, 'Payment', String(p.Id));
    expect(sb.invoices(realmId).map((i) => i.Balance)).toEqual([200, 200]);
    expect(sb.entities(realmId, 'Payment')).toEqual([expect.objectContaining({ status: 'Deleted', Id: p.Id })]);

    // Webhook payloads name Payment events in both formats (the receiver is a plain local server).
    const { createServer } = await import('node:http');
    const got: string[] = [];
    const server = createServer((req, res) => { let body = ''; req.on('data', (c) => (body += c)); req.on('end', () => { got.push(body); res.end('ok'); }); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
    try {
      await sb.sendWebhook(url, [{ realmId, name: 'Payment', id: String(p.Id), operation: 'Delete' }]);
      await sb.sendWebhook(url, [{ realmId, name: 'CreditMemo', id: '7', operation: 'Create' }], { format: 'cloudevents' });
    } finally {
      server.close();
    }
    expect(JSON.parse(got[0]!).eventNotifications[0].dataChangeEvent.entities[0]).toMatchObject({ name: 'Payment', id: p.Id, operation: 'Delete' });
    expect(JSON.parse(got[1]!)[0]).toMatchObject({ type: 'qbo.creditmemo.created.v1', intuitentityid: '7', intuitaccountid: realmId });
  });

  it('faults apply to payment writes: a dropped response then a replay leaves one payment', async () => {
    const { sb, realmId, api, customerId, a } = await withInvoices();
    sb.dropAfterWrite(1, { path: /\/payment$/ });
    const body = { CustomerRef: { value: customerId }, TotalAmt: 20, Line: [link(a.Id, 20)] };
    await expect(api('POST', '/payment', body, { requestid: 'drop-1' })).rejects.toThrow();
    const replay = await api('POST', '/payment', body, { requestid: 'drop-1' });
    expect(replay.status).toBe(200);
    expect(sb.payments(realmId)).toHaveLength(1);
    expect(sb.requests.at(-1)).toMatchObject({ replayed: true });
    expect(sb.invoices(realmId)[0]!.Balance).toBe(180);
  });
});
