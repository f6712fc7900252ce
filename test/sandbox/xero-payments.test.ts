import { afterEach, describe, expect, it } from 'vitest';
import { startXeroSandbox } from '../../src/sandbox/xero/index.ts';
import type { XeroSandbox } from '../../src/sandbox/xero/index.ts';
import { client, invoice } from '../../src/sandbox/xero/testing.ts';

const open: XeroSandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((sb) => sb.close()));
});

async function connected() {
  const sb = await startXeroSandbox();
  open.push(sb);
  const org = sb.addOrganisation({ name: 'Demo UK', region: 'UK' });
  const tokens = await sb.grantTokens();
  const api = client(sb, tokens.access_token, org.OrganisationID);
  // 2 × 100 + 20% VAT = 240.
  const created = await api('PUT', '/Invoices', { Invoices: [invoice({ InvoiceNumber: 'INV-1' })] });
  return { sb, org, api, inv: created.body.Invoices[0] as { InvoiceID: string; Contact: { ContactID: string } } };
}

const pay = (invoiceId: string, amount: number, extra: Record<string, unknown> = {}) =>
  ({ Invoice: { InvoiceID: invoiceId }, Account: { Code: '090' }, Date: '2024-03-05', Amount: amount, ...extra });
const messages = (element: { ValidationErrors?: { Message: string }[] }) => (element.ValidationErrors ?? []).map((v) => v.Message);

describe('xero sandbox: payments', () => {
  it('applies payments to the amount due with Xero’s checks, PAID when settled and back when a payment is deleted', async () => {
    const { sb, api, inv, org } = await connected();
    const draft = (await api('PUT', '/Invoices', { Invoices: [invoice({ InvoiceNumber: 'INV-D', Status: 'DRAFT' })] })).body.Invoices[0];
    const batch = await api('PUT', '/Payments?summarizeErrors=false', { Payments: [
      pay(inv.InvoiceID, 100, { Reference: 'first' }),
      pay(inv.InvoiceID, 500),
      pay(inv.InvoiceID, 10, { Account: { Code: '200' } }),
      pay(draft.InvoiceID, 10),
    ] });
    expect(batch.status).toBe(200);
    expect(batch.body.Payments.map((p: { StatusAttributeString: string }) => p.StatusAttributeString)).toEqual(['OK', 'ERROR', 'ERROR', 'ERROR']);
    expect(batch.body.Payments.slice(1).map(messages)).toEqual([
      ['Payment amount exceeds the amount outstanding on this document'],
      ['Account type is invalid for making a payment to/from'],
      ['Invoice not of valid status for payments.'],
    ]);
    const first = batch.body.Payments[0];
    expect(first).toMatchObject({ Amount: 100, Status: 'AUTHORISED', PaymentType: 'ACCRECPAYMENT', Reference: 'first', Invoice: { InvoiceID: inv.InvoiceID } });

    let read = (await api('GET', `/Invoices/${inv.InvoiceID}`)).body.Invoices[0];
    expect(read).toMatchObject({ Status: 'AUTHORISED', Total: 240, AmountPaid: 100, AmountDue: 140, Payments: [{ PaymentID: first.PaymentID, Amount: 100 }] });

    // With summarizeErrors (the default) one bad element saves nothing.
    const all = await api('PUT', '/Payments', { Payments: [pay(inv.InvoiceID, 40), pay(inv.InvoiceID, 1000)] });
    expect(all.status).toBe(400);
    expect(sb.payments(org.OrganisationID)).toHaveLength(1);

    const rest = await api('PUT', '/Payments', { Payments: [pay(inv.InvoiceID, 140)] });
    read = (await api('GET', `/Invoices?IDs=${inv.InvoiceID}`)).body.Invoices[0];
    expect(read).toMatchObject({ Status: 'PAID', AmountPaid: 240, AmountDue: 0 });
    expect(read.Payments).toHaveLength(2);

    const edit = await api('POST', `/Invoices/${inv.InvoiceID}`, { Invoices: [{ Reference: 'changed' }] });
    expect(edit.status).toBe(400);
    expect(messages(edit.body.Elements[0])).toEqual(['This document cannot be edited as it has a payment or credit note allocated to it.']);

    const deleted = await api('POST', `/Payments/${rest.body.Payments[0].PaymentID}`, { Status: 'DELETED' });
    expect(deleted.body.Payments[0]).toMatchObject({ Status: 'DELETED' });
    read = (await api('GET', `/Invoices/${inv.InvoiceID}`)).body.Invoices[0];
    expect(read).toMatchObject({ Status: 'AUTHORISED', AmountPaid: 100, AmountDue: 140 });
    const voidWithPayment = await api('POST', '/Invoices?summarizeErrors=false', { Invoices: [{ InvoiceID: inv.InvoiceID, Status: 'VOIDED' }] });
    expect(messages(voidWithPayment.body.Invoices[0])).toEqual(['This document cannot be edited as it has a payment or credit note allocated to it.']);

    const again = await api('POST', `/Payments/${rest.body.Payments[0].PaymentID}`, { Status: 'DELETED' });
    expect(again.status).toBe(400);
    const notStatus = await api('POST', `/Payments/${first.PaymentID}`, { Payments: [{ Amount: 5 }] });
    expect(messages(notStatus.body.Elements[0])).toEqual(['Only Status accepted for updates.']);
    expect((await api('GET', `/Payments/${rest.body.Payments[0].PaymentID}`)).body.Payments[0].Status).toBe('DELETED');
    const live = await api('GET', `/Payments?where=${encodeURIComponent('Status=="AUTHORISED"')}`);
    expect(live.body.Payments.map((p: { PaymentID: string }) => p.PaymentID)).toEqual([first.PaymentID]);
    // Only the deliberately wrong body (not PaymentDelete's `{ Status }`) broke the contract.
    expect(sb.contractViolations.map((v) => `${v.schema} ${v.message}`)).toEqual([
      "PaymentDelete / must have required property 'Status'", "PaymentDelete / must NOT have additional properties 'Payments'",
    ]);
  });

  it('voids and deletes invoices by Xero’s status rules', async () => {
    const { api, inv } = await connected();
    const draft = (await api('PUT', '/Invoices', { Invoices: [invoice({ InvoiceNumber: 'INV-D', Status: 'DRAFT' })] })).body.Invoices[0];
    const res = await api('POST', '/Invoices?summarizeErrors=false', { Invoices: [
      { InvoiceID: draft.InvoiceID, Status: 'VOIDED' },
      { InvoiceID: inv.InvoiceID, Status: 'DELETED' },
    ] });
    expect(res.body.Invoices.map(messages)).toEqual([['Invoice not of valid status for modification'], ['Invoice not of valid status for modification']]);
    const ok = await api('POST', '/Invoices?summarizeErrors=false', { Invoices: [
      { InvoiceID: draft.InvoiceID, Status: 'DELETED' },
      { InvoiceID: inv.InvoiceID, Status: 'VOIDED' },
    ] });
    expect(ok.body.Invoices.map((i: { Status: string }) => i.Status)).toEqual(['DELETED', 'VOIDED']);
    const late = await api('PUT', '/Payments?summarizeErrors=false', { Payments: [pay(inv.InvoiceID, 10)] });
    expect(messages(late.body.Payments[0])).toEqual(['Invoice not of valid status for payments.']);
  });

  it('credit notes: allocation within the credit and the amount due, same contact, and refunds as payments on the credit note', async () => {
    const { sb, api, inv, org } = await connected();
    const cn = (ref: string, amount: number, contact: Record<string, unknown> = { ContactID: inv.Contact.ContactID }) => ({
      Type: 'ACCRECCREDIT', Contact: contact, Date: '2024-03-02', Status: 'AUTHORISED', LineAmountTypes: 'Exclusive', Reference: ref,
      LineItems: [{ Description: 'Returned', Quantity: 1, UnitAmount: amount, AccountCode: '200', TaxType: 'OUTPUT2' }],
    });
    const created = await api('PUT', '/CreditNotes', { CreditNotes: [cn('a', 100), cn('b', 50), cn('other', 10, { Name: 'Other Ltd' })] });
    expect(created.status).toBe(200);
    const [a, b, other] = created.body.CreditNotes;
    expect(a).toMatchObject({ Type: 'ACCRECCREDIT', CreditNoteNumber: 'CN-0001', Total: 120, RemainingCredit: 120, Status: 'AUTHORISED' });

    const tooMuch = await api('PUT', `/CreditNotes/${a.CreditNoteID}/Allocations?summarizeErrors=false`, { Allocations: [{ Invoice: { InvoiceID: inv.InvoiceID }, Amount: 130, Date: '2024-03-02' }] });
    expect(messages(tooMuch.body.Allocations[0])).toEqual(['Credit Note cannot be allocated as amount is greater than amount outstanding']);
    const wrongContact = await api('PUT', `/CreditNotes/${other.CreditNoteID}/Allocations`, { Allocations: [{ Invoice: { InvoiceID: inv.InvoiceID }, Amount: 12, Date: '2024-03-02' }] });
    expect(messages(wrongContact.body.Elements[0])).toEqual(['The Credit Note and the Invoice must be for the same contact.']);

    const allocated = await api('PUT', `/CreditNotes/${a.CreditNoteID}/Allocations`, { Allocations: [{ Invoice: { InvoiceID: inv.InvoiceID }, Amount: 120, Date: '2024-03-02' }] });
    expect(allocated.status).toBe(200);
    const invoiceNow = (await api('GET', `/Invoices/${inv.InvoiceID}`)).body.Invoices[0];
    expect(invoiceNow).toMatchObject({ AmountCredited: 120, AmountPaid: 0, AmountDue: 120, CreditNotes: [{ CreditNoteID: a.CreditNoteID, AppliedAmount: 120 }] });
    expect((await api('GET', `/CreditNotes/${a.CreditNoteID}`)).body.CreditNotes[0]).toMatchObject({ Status: 'PAID', RemainingCredit: 0, Allocations: [{ Amount: 120 }] });

    const refund = await api('PUT', '/Payments', { Payments: [{ CreditNote: { CreditNoteID: b.CreditNoteID }, Account: { Code: '090' }, Date: '2024-03-06', Amount: 60 }] });
    expect(refund.body.Payments[0]).toMatchObject({ PaymentType: 'ARCREDITPAYMENT', Amount: 60, Invoice: { Type: 'ACCRECCREDIT', InvoiceID: b.CreditNoteID } });
    expect(sb.creditNotes(org.OrganisationID).find((c) => c.CreditNoteID === b.CreditNoteID)).toMatchObject({ Status: 'PAID', RemainingCredit: 0 });
    const voidAllocated = await api('POST', `/CreditNotes/${a.CreditNoteID}`, { CreditNotes: [{ Status: 'VOIDED' }] });
    expect(messages(voidAllocated.body.Elements[0])).toEqual(['This document cannot be edited as it has a payment or credit note allocated to it.']);
    expect(sb.contractViolations).toEqual([]);
  });

  it('an overpayment from a RECEIVE-OVERPAYMENT bank transaction, readable at /Overpayments', async () => {
    const { sb, api, inv, org } = await connected();
    const res = await api('PUT', '/BankTransactions', { BankTransactions: [{
      Type: 'RECEIVE-OVERPAYMENT', Contact: { ContactID: inv.Contact.ContactID }, BankAccount: { Code: '090' }, LineAmountTypes: 'NoTax',
      Date: '2024-03-05', LineItems: [{ Description: 'Overpaid', LineAmount: 25 }],
    }] });
    expect(res.status).toBe(200);
    const id = res.body.BankTransactions[0].OverpaymentID;
    expect((await api('GET', `/Overpayments/${id}`)).body.Overpayments[0]).toMatchObject({ Type: 'RECEIVE-OVERPAYMENT', Total: 25, RemainingCredit: 25, Status: 'AUTHORISED' });
    expect(sb.overpayments(org.OrganisationID)).toHaveLength(1);
    expect(sb.contractViolations).toEqual([]);
  });

  it('payment writes are idempotent and take injected faults like every write', async () => {
    const { sb, api, inv, org } = await connected();
    const key = { 'idempotency-key': 'pay-key-1' };
    const one = await api('PUT', '/Payments', { Payments: [pay(inv.InvoiceID, 10)] }, key);
    const two = await api('PUT', '/Payments', { Payments: [pay(inv.InvoiceID, 10)] }, key);
    expect(two.body).toEqual(one.body);
    expect(sb.payments(org.OrganisationID)).toHaveLength(1);

    sb.failNext(1, { status: 503, path: /Payments$/ });
    expect((await api('PUT', '/Payments', { Payments: [pay(inv.InvoiceID, 10)] })).status).toBe(503);
    expect(sb.payments(org.OrganisationID)).toHaveLength(1);

    sb.dropAfterWrite(1, { path: /Payments$/ });
    await expect(api('PUT', '/Payments', { Payments: [pay(inv.InvoiceID, 20)] }, { 'idempotency-key': 'pay-key-2' })).rejects.toThrow();
    const replay = await api('PUT', '/Payments', { Payments: [pay(inv.InvoiceID, 20)] }, { 'idempotency-key': 'pay-key-2' });
    expect(replay.status).toBe(200);
    expect(sb.payments(org.OrganisationID)).toHaveLength(2);

    const del = { 'idempotency-key': 'del-key-1' };
    const first = await api('POST', `/Payments/${one.body.Payments[0].PaymentID}`, { Status: 'DELETED' }, del);
    const repeat = await api('POST', `/Payments/${one.body.Payments[0].PaymentID}`, { Status: 'DELETED' }, del);
    expect(repeat.status).toBe(200);
    expect(repeat.body).toEqual(first.body);
    expect(sb.requests.filter((r) => r.path.includes('/Payments')).length).toBeGreaterThanOrEqual(6);
  });

  it('addPaymentAtXero records a payment made in Xero, with Xero’s rules', async () => {
    const { sb, org, inv } = await connected();
    const p = sb.addPaymentAtXero(org.OrganisationID, { invoiceId: inv.InvoiceID, amount: 40, date: '2024-03-07' });
    expect(p).toMatchObject({ Amount: 40, Status: 'AUTHORISED' });
    expect(sb.invoices(org.OrganisationID)[0]).toMatchObject({ AmountPaid: 40, AmountDue: 200 });
    expect(() => sb.addPaymentAtXero(org.OrganisationID, { invoiceId: inv.InvoiceID, amount: 500 })).toThrow(/exceeds the amount outstanding/);
  });
});
