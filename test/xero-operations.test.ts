import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPABILITIES } from '../src/providers/capabilities.ts';
import type { AccountingProvider } from '../src/providers/types.ts';
import type { XeroSandbox } from '../src/sandbox/xero/index.ts';
import type { Harness } from './helpers/harness.ts';
import { connectXero, invoiceSource, pushDoc, pushThroughXero, relatedTo, startXeroHarness, synced } from './helpers/xero.ts';

// The Xero provider's invoice and credit-note lanes, against the sandbox through a connected session.
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

async function connect(tenantId: string) {
  const { org } = await connectXero(h, sb, tenantId, `Org ${tenantId}`);
  return org.OrganisationID;
}
async function createInvoice(tenantId: string, id: string, overrides: Record<string, unknown> = {}, defaults = {}) {
  const source = invoiceSource(id, overrides);
  const { outcomes } = await pushThroughXero(h, xero, tenantId, [pushDoc('sales_invoice', source, { defaults })]);
  return { source, outcome: synced(outcomes[0]) };
}
const invoiceAt = (orgId: string, id: string) => sb.invoices(orgId).find((i) => i.InvoiceID === id) as Record<string, any>;

describe('Xero lanes: invoices and bills (Invoices:write)', () => {
  it('lanes split creates from writes, and payments from their changes', () => {
    const lane = CAPABILITIES.xero.lane;
    expect([lane('sales_invoice', 'create'), lane('supplier_bill', 'update'), lane('sales_invoice', 'void'), lane('credit_note', 'create'),
      lane('credit_note', 'void'), lane('payment', 'create'), lane('refund', 'create'), lane('payment', 'update'), lane('refund', 'void')])
      .toEqual(['Invoices:create', 'Invoices:write', 'Invoices:write', 'CreditNotes:create', 'CreditNotes:write', 'Payments:create', 'Payments:create', 'Payments:change', 'Payments:change']);
  });

  it('an update posts the whole new version by InvoiceID, keeping it approved', async () => {
    const orgId = await connect('ops_update');
    const { outcome } = await createInvoice('ops_update', 'inv_u1');
    const v2 = invoiceSource('inv_u1', { version: 2, reference: 'PO-2', lines: [{ description: 'Widget', quantity: '3', unit_price: '100.00', tax_rate: '20' }] });
    const { outcomes, key } = await pushThroughXero(h, xero, 'ops_update', [pushDoc('sales_invoice', v2, {
      operation: 'update', providerId: outcome.providerId, providerStatus: 'AUTHORISED', defaults: { send_as: 'draft' },
    })]);
    expect(synced(outcomes[0])).toMatchObject({ providerId: outcome.providerId, providerNumber: 'N-inv_u1', providerStatus: 'AUTHORISED', amountPaid: '0.00', amountDue: '360.00' });
    expect(invoiceAt(orgId, outcome.providerId)).toMatchObject({ Total: 360, Reference: 'PO-2', Status: 'AUTHORISED' });
    const post = sb.requests.find((r) => r.tenantId === orgId && r.method === 'POST' && r.path.endsWith('/Invoices'))!;
    expect(post.query.summarizeErrors).toBe('false');
    expect(post.headers['idempotency-key']).toBe(key);
    expect((post.body as { Invoices: { InvoiceID: string }[] }).Invoices[0]!.InvoiceID).toBe(outcome.providerId);
    expect(sb.contractViolations).toEqual([]);
  });

  it('Xero’s refusal to edit a paid invoice fails the document with Xero’s words', async () => {
    const orgId = await connect('ops_paid');
    const { source, outcome } = await createInvoice('ops_paid', 'inv_p1');
    sb.addPaymentAtXero(orgId, { invoiceId: outcome.providerId, amount: 50 });
    const { outcomes } = await pushThroughXero(h, xero, 'ops_paid', [pushDoc('sales_invoice', { ...source, version: 2, reference: 'x' }, {
      operation: 'update', providerId: outcome.providerId, providerStatus: 'AUTHORISED',
    })]);
    expect(outcomes[0]).toMatchObject({ status: 'failed', errors: [{ message: 'This document cannot be edited as it has a payment or credit note allocated to it.' }] });
  });

  it('a void makes approved invoices VOIDED and drafts DELETED, in one call', async () => {
    const orgId = await connect('ops_void');
    const approved = await createInvoice('ops_void', 'inv_v1');
    const draft = await createInvoice('ops_void', 'inv_v2', {}, { send_as: 'draft' });
    const { outcomes } = await pushThroughXero(h, xero, 'ops_void', [
      pushDoc('sales_invoice', { ...approved.source, version: 2, voided: true }, { operation: 'void', providerId: approved.outcome.providerId, providerStatus: 'AUTHORISED' }),
      pushDoc('sales_invoice', { ...draft.source, version: 2, voided: true }, { operation: 'void', providerId: draft.outcome.providerId, providerStatus: 'DRAFT' }),
    ]);
    expect(outcomes.map((o) => synced(o).providerStatus)).toEqual(['VOIDED', 'DELETED']);
    expect(invoiceAt(orgId, approved.outcome.providerId).Status).toBe('VOIDED');
    expect(invoiceAt(orgId, draft.outcome.providerId).Status).toBe('DELETED');
    expect(sb.requests.filter((r) => r.tenantId === orgId && r.method === 'POST' && r.path.endsWith('/Invoices'))).toHaveLength(1);
  });
});

describe('Xero lanes: credit notes', () => {
  it('creates an ACCRECCREDIT and allocates it to its invoice, capped at what the invoice owes', async () => {
    const orgId = await connect('ops_cn');
    const inv = await createInvoice('ops_cn', 'inv_c1');
    sb.addPaymentAtXero(orgId, { invoiceId: inv.outcome.providerId, amount: 200 }); // 40.00 left to pay
    const cn = invoiceSource('cn_1', { number: 'CN-77', invoice_id: 'inv_c1', lines: [{ description: 'Return', quantity: '1', unit_price: '100.00', tax_rate: '20' }] });
    const { outcomes, key } = await pushThroughXero(h, xero, 'ops_cn', [pushDoc('credit_note', cn, { related: relatedTo('sales_invoice', inv.source, inv.outcome) })]);
    const out = synced(outcomes[0]);
    expect(out).toMatchObject({ providerNumber: 'CN-77', providerStatus: 'AUTHORISED', providerRefs: { allocations: [{ invoice_id: 'inv_c1', amount: '40.00' }] } });
    expect(sb.creditNotes(orgId)[0]).toMatchObject({ Type: 'ACCRECCREDIT', Total: 120, RemainingCredit: 80 });
    expect(invoiceAt(orgId, inv.outcome.providerId)).toMatchObject({ Status: 'PAID', AmountCredited: 40, AmountDue: 0 });
    const keys = sb.requests.filter((r) => r.tenantId === orgId && r.method === 'PUT' && /CreditNotes/.test(r.path)).map((r) => r.headers['idempotency-key']);
    expect(keys).toEqual([`${key}-c`, `${key}-a1`]);
    expect(sb.contractViolations).toEqual([]);
  });

  it('explicit allocations across invoices; a refused allocation leaves the credit unallocated and says why', async () => {
    const orgId = await connect('ops_cn2');
    const a = await createInvoice('ops_cn2', 'inv_a');
    const b = await createInvoice('ops_cn2', 'inv_b');
    const related = { ...relatedTo('sales_invoice', a.source, a.outcome), ...relatedTo('sales_invoice', b.source, b.outcome) };
    const split = invoiceSource('cn_split', { number: 'CN-1', allocations: [{ invoice_id: 'inv_a', amount: '20.00' }, { invoice_id: 'inv_b', amount: '100.00' }] });
    const tooMuch = invoiceSource('cn_big', { number: 'CN-2', allocations: [{ invoice_id: 'inv_a', amount: '230.00' }] });
    const { outcomes } = await pushThroughXero(h, xero, 'ops_cn2', [pushDoc('credit_note', split, { related }), pushDoc('credit_note', tooMuch, { related })]);
    expect(synced(outcomes[0]).providerRefs).toEqual({ allocations: [{ invoice_id: 'inv_a', amount: '20.00' }, { invoice_id: 'inv_b', amount: '100.00' }] });
    expect(synced(outcomes[1]).providerRefs).toMatchObject({ allocations: [], allocation_errors: [{ field: 'allocations', message: 'The amount allocated is greater than the amount due on the invoice' }] });
    expect(invoiceAt(orgId, a.outcome.providerId)).toMatchObject({ AmountCredited: 20, AmountDue: 220 });
    expect(invoiceAt(orgId, b.outcome.providerId)).toMatchObject({ AmountCredited: 100, AmountDue: 140 });
  });

  it('a credit note for an invoice not yet at Xero is refused before anything is sent', async () => {
    await connect('ops_cn3');
    const before = sb.requests.length;
    const { refused, prepared } = await pushThroughXero(h, xero, 'ops_cn3', [pushDoc('credit_note', invoiceSource('cn_x', { invoice_id: 'inv_missing' }))]);
    expect(prepared.documentIds).toEqual([]);
    expect(refused[0]).toMatchObject({ status: 'failed', errors: [{ field: 'invoice_id' }] });
    expect(sb.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('voids an unallocated credit note (CreditNotes:write)', async () => {
    const orgId = await connect('ops_cn4');
    const cn = invoiceSource('cn_v', { number: 'CN-V' });
    const created = synced((await pushThroughXero(h, xero, 'ops_cn4', [pushDoc('credit_note', cn)])).outcomes[0]);
    const { outcomes } = await pushThroughXero(h, xero, 'ops_cn4', [pushDoc('credit_note', { ...cn, version: 2, voided: true }, { operation: 'void', providerId: created.providerId, providerStatus: 'AUTHORISED' })]);
    expect(synced(outcomes[0]).providerStatus).toBe('VOIDED');
    expect(sb.creditNotes(orgId)[0]).toMatchObject({ Status: 'VOIDED', RemainingCredit: 0 });
  });
});
