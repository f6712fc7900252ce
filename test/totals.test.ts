// "Proof under fire", part 4: the platform's total (src/documents/totals.ts) against what Xero and
// QuickBooks Online compute for the very bodies Ledgerport sends them. Documents are mapped by the
// providers' own mapping functions and fed to the sandboxes' own arithmetic (Xero: per-line
// rounding, src/sandbox/xero/invoice-calc.ts; QuickBooks: line-by-line tax, transactions.ts).
import fc from 'fast-check';
import * as v from 'valibot';
import xeroNode from 'xero-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocumentKind } from '../src/db/schema.ts';
import { BUILT_IN_DEFAULTS, type PostingDefaults } from '../src/documents/posting-defaults.ts';
import { currencyDecimals, documentTotals, formatTotal, formatUnits, parseDecimal, rescale, type TotalsDocument } from '../src/documents/totals.ts';
import { xeroInvoiceRows } from '../src/exports/xero-invoice-template.ts';
import { CreditNote, SalesInvoice, SupplierBill } from '../src/ingest/ops-envelope.ts';
import { toQuickBooksDocument } from '../src/providers/quickbooks/mapping.ts';
import { toXeroCreditNote, toXeroInvoice, type XeroInvoiceModel } from '../src/providers/xero/mapping.ts';
import type { XeroTaxRate } from '../src/providers/xero/tax.ts';
import type { DocumentToPush, ProviderDocument } from '../src/providers/types.ts';
import { decimalString as asProviderTotal } from '../src/providers/xero/batch-common.ts';
import { compareDocument } from '../src/sync/reconcile/compare.ts';
import { createClock } from '../src/sandbox/shared/clock.ts';
import { computeTransaction } from '../src/sandbox/quickbooks/transactions.ts';
import { createStore as createQuickBooksStore, table, type CompanyState } from '../src/sandbox/quickbooks/store.ts';
import { QboError } from '../src/sandbox/quickbooks/qbo-format.ts';
import type { QuickBooksSandbox } from '../src/sandbox/quickbooks/index.ts';
import { buildLines } from '../src/sandbox/xero/documents.ts';
import type { XeroSandbox } from '../src/sandbox/xero/index.ts';
import { computeTotals } from '../src/sandbox/xero/invoice-calc.ts';
import { createStore as createXeroStore, type OrgState } from '../src/sandbox/xero/store.ts';
import type { InvoiceType, LineAmountTypes } from '../src/sandbox/xero/types.ts';
import { shippedInvoice, type Harness } from './helpers/harness.ts';
import { quickBooksFixture, type ProviderFixture } from './helpers/providers.ts';
import { connectXero, startXeroHarness } from './helpers/xero.ts';

const { ObjectSerializer } = xeroNode;

// ---- The two provider "organisations", in memory: a UK Xero organisation and a UK QuickBooks company. ----

function xeroOrg(): OrgState {
  const store = createXeroStore(createClock());
  const org = store.get(store.addOrganisation({ name: 'Totals Ltd', region: 'UK' }).OrganisationID)!;
  // Xero's Rounding account (860) is where rounding lines go (the sandbox's chart has none of its own).
  const template = org.accounts.find((a) => a.Code === '260')!;
  org.accounts.push({ ...template, AccountID: '00000000-0000-0000-0000-000000000860', Code: '860', Name: 'Rounding', Type: 'CURRLIAB', Class: 'LIABILITY', TaxType: 'NONE' });
  return org;
}

function quickBooksCompany(): CompanyState {
  const store = createQuickBooksStore(createClock());
  const s = store.get(store.addCompany({ name: 'Totals Ltd', country: 'UK' }).realmId)!;
  table(s, 'Account').set('90', { Id: '90', syncToken: 0, createdMs: s.createdMs, updatedMs: s.createdMs, data: { Name: 'Rounding', AccountType: 'Other Expense', Active: true, Classification: 'Expense' } });
  table(s, 'Item').set('90', { Id: '90', syncToken: 0, createdMs: s.createdMs, updatedMs: s.createdMs, data: { Name: 'Sales (account 90)', Type: 'Service', Active: true, IncomeAccountRef: { value: '90' } } });
  return s;
}

const org = xeroOrg();
const company = quickBooksCompany();
const xeroRates: XeroTaxRate[] = org.taxRates.map((r) => ({
  taxType: r.TaxType, name: r.Name, status: r.Status, effectiveRate: r.EffectiveRate, canApplyToRevenue: r.CanApplyToRevenue, canApplyToExpenses: r.CanApplyToExpenses,
}));

const XERO_DEFAULTS: PostingDefaults = { ...BUILT_IN_DEFAULTS, sales_invoice_account: '200', purchase_bill_account: '300', send_as: 'approved', rounding_account: '860' };
const QBO_DEFAULTS: PostingDefaults = { ...BUILT_IN_DEFAULTS, sales_invoice_account: '79', purchase_bill_account: '78', tax_code_mappings: { '20': '2', '5': '3', '0': '4' }, rounding_account: '90' };
// As the QuickBooks provider does: one item per income account (the rounding account's is item 90).
const qboLines = (doc: DocumentToPush) => ({
  accountFor: (category: string | undefined) => (category ? doc.defaults.account_mappings[category] : undefined) ?? (doc.kind === 'supplier_bill' ? doc.defaults.purchase_bill_account : doc.defaults.sales_invoice_account),
  itemFor: (accountId: string) => (accountId === '90' ? '90' : '1'),
});

interface SourceLine { description: string; quantity: string; unit_price: string; tax_rate?: string; discount_rate?: string }
type Source = Record<string, unknown> & Omit<TotalsDocument, 'lines'> & { lines: SourceLine[] };

const asPush = (kind: DocumentKind, source: Source, defaults: PostingDefaults): DocumentToPush => ({
  documentId: `doc_${String(source.id)}`, kind, version: 1, source, defaults, operation: 'create', providerId: null, providerRefs: null, providerStatus: null, syncedVersion: null, related: {},
});

/** Equal as decimals ("1201" and 1201.00 are the same amount). */
function sameAmount(a: string | number, b: string | number): boolean {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  const places = Math.max(x.scale, y.scale);
  return rescale(x.n, x.scale, places) === rescale(y.n, y.scale, places);
}

/**
 * The reconciliation's total_differs findings (src/sync/reconcile/) for this document when the
 * provider holds `total` (a number, read back as the providers' readers write it: 2 places).
 */
function totalFindings(provider: 'xero' | 'quickbooks', kind: DocumentKind, source: Source, total: number) {
  const numbered = kind as 'sales_invoice' | 'supplier_bill' | 'credit_note';
  const held: ProviderDocument = {
    providerId: 'p-1', kind: numbered, number: null, reference: null, contactName: null, issueDate: null, currency: source.currency,
    total: asProviderTotal(total), status: 'AUTHORISED', state: 'open', updatedAt: null,
  };
  const pushed = { id: 'doc', kind: numbered, status: 'synced' as const, providerId: 'p-1', providerNumber: null, source, taxTreatment: XERO_DEFAULTS.tax_treatment, syncedAt: null };
  return compareDocument(pushed, [held], { taxByTreatment: provider === 'xero' }).filter((f) => f.type === 'total_differs');
}

type Outcome =
  | { kind: 'sent'; total: number; adjustment?: { amount: string; reason: string }; lines: { description: string }[] }
  | { kind: 'refused'; errors: { field?: string; message: string }[] };

/** Maps the document for Xero exactly as the provider's push does, and computes the mapped body as the sandbox (Xero) does. */
function throughXero(kind: DocumentKind, source: Source, defaults = XERO_DEFAULTS): Outcome {
  const doc = asPush(kind, source, defaults);
  const mapped = kind === 'credit_note' ? toXeroCreditNote(doc, 'contact-1', xeroRates) : toXeroInvoice(doc, 'contact-1', xeroRates);
  if ('errors' in mapped) return { kind: 'refused', errors: mapped.errors };
  const model: Omit<XeroInvoiceModel, 'type'> & { type: string } = 'creditNote' in mapped ? mapped.creditNote : mapped.invoice;
  // What goes on the wire: xero-node's own serializer (its model names → Xero's).
  const wire = ObjectSerializer.serialize(model, kind === 'credit_note' ? 'CreditNote' : 'Invoice') as { Type: string; Status: string; LineAmountTypes: LineAmountTypes; LineItems: unknown[] };
  const body = JSON.parse(JSON.stringify(wire)) as typeof wire;
  const errors: string[] = [];
  const side: InvoiceType = body.Type === 'ACCPAY' ? 'ACCPAY' : 'ACCREC';
  const lines = buildLines(org, body.LineItems, side, body.Status !== 'DRAFT', body.LineAmountTypes, 4, [], errors);
  if (errors.length > 0) throw new Error(`the Xero sandbox refused the mapped body: ${errors.join('; ')}`);
  return { kind: 'sent', total: computeTotals(lines, body.LineAmountTypes).Total, lines: model.lineItems, ...(mapped.adjustment ? { adjustment: mapped.adjustment } : {}) };
}

/** Maps the document for QuickBooks exactly as planBatch does, and computes the body as the sandbox (QuickBooks) does. */
function throughQuickBooks(kind: DocumentKind, source: Source, defaults = QBO_DEFAULTS): Outcome {
  const doc = asPush(kind, source, defaults);
  const mapped = toQuickBooksDocument(doc, 'customer-1', qboLines(doc));
  if ('errors' in mapped) return { kind: 'refused', errors: mapped.errors };
  const body = JSON.parse(JSON.stringify(mapped.body)) as Record<string, never> & { Line: { Description: string }[] };
  try {
    const computed = computeTransaction(company, mapped.entity, body);
    return { kind: 'sent', total: computed.tax.total, lines: body.Line.map((l) => ({ description: l.Description })), ...(mapped.adjustment ? { adjustment: mapped.adjustment } : {}) };
  } catch (error) {
    if (error instanceof QboError) throw new Error(`the QuickBooks sandbox refused the mapped body: ${error.message}`);
    throw error;
  }
}

const base = { version: 1, number: 'T-1', issue_date: '2026-11-21', due_date: '2026-12-21' };
const invoice = (id: string, currency: string, amountsAre: Source['amounts_are'], lines: SourceLine[]): Source => ({
  ...base, id, currency, amounts_are: amountsAre, customer: { id: 'cus_1', name: 'Acme Ltd' }, lines,
});
const line = (quantity: string, unitPrice: string, taxRate?: string, discountRate?: string) => ({
  description: 'Widget', quantity, unit_price: unitPrice, ...(taxRate !== undefined ? { tax_rate: taxRate } : {}), ...(discountRate !== undefined ? { discount_rate: discountRate } : {}),
});

describe('the platform total: per line, rounded to the currency’s minor unit', () => {
  const totals = (doc: TotalsDocument) => {
    const t = documentTotals(doc);
    return { subtotal: formatUnits(t.subtotal, t.places), tax: formatUnits(t.tax, t.places), total: formatUnits(t.total, t.places) };
  };

  it('3 × 0.3333 at 20%: 1.00 inclusive (0.17 of it tax), 1.20 exclusive, 1.00 untaxed', () => {
    expect(totals(invoice('a', 'GBP', 'inclusive', [line('3', '0.3333', '20')]))).toEqual({ subtotal: '0.83', tax: '0.17', total: '1.00' });
    expect(totals(invoice('a', 'GBP', 'exclusive', [line('3', '0.3333', '20')]))).toEqual({ subtotal: '1.00', tax: '0.20', total: '1.20' });
    expect(totals(invoice('a', 'GBP', 'no_tax', [line('3', '0.3333', '20')]))).toEqual({ subtotal: '1.00', tax: '0.00', total: '1.00' });
  });

  it('minor units: JPY 0, KWD 3, half away from zero', () => {
    expect(currencyDecimals('JPY')).toBe(0);
    expect(currencyDecimals('KWD')).toBe(3);
    expect(currencyDecimals('BHD')).toBe(3);
    expect(currencyDecimals('GBP')).toBe(2);
    expect(totals(invoice('j', 'JPY', 'exclusive', [line('3', '333.5', '20')]))).toEqual({ subtotal: '1001', tax: '200', total: '1201' });
    expect(totals(invoice('k', 'KWD', 'exclusive', [line('1', '1.2345', '5')]))).toEqual({ subtotal: '1.235', tax: '0.062', total: '1.297' });
    expect(formatTotal(invoice('h', 'GBP', 'no_tax', [line('0.5', '0.01')]))).toBe('0.01');
    expect(formatTotal(invoice('h', 'GBP', 'no_tax', [line('-0.5', '0.01')]))).toBe('-0.01');
  });

  it('a 100% discount is a zero total', () => {
    expect(totals(invoice('z', 'GBP', 'exclusive', [line('2', '10.00', '20', '100'), line('1', '0', '5')]))).toEqual({ subtotal: '0.00', tax: '0.00', total: '0.00' });
  });

  it('tax is rounded per line, as Xero and QuickBooks do', () => {
    // Xero's own example: two lines of 45.45 at 10% → 4.545 each → 9.10 (9.09 on the document total).
    expect(totals(invoice('x', 'NZD', 'exclusive', [line('1', '45.45', '10'), line('1', '45.45', '10')])).tax).toBe('9.10');
    // QuickBooks' (community thread): 29 × 1.59 and 2 × (11 × 1.59) at 12% → 9.71 of tax, not 12% of 81.09.
    const lines = [...Array.from({ length: 29 }, () => line('1', '1.59', '12')), line('11', '1.59', '12'), line('11', '1.59', '12')];
    expect(totals(invoice('q', 'CAD', 'exclusive', lines))).toEqual({ subtotal: '81.09', tax: '9.71', total: '90.80' });
  });
});

describe('tricky documents at Xero and QuickBooks', () => {
  it('3 × 0.3333 at 20% inclusive: both providers total 1.00 with no adjustment', () => {
    const doc = invoice('t1', 'GBP', 'inclusive', [line('3', '0.3333', '20')]);
    const xero = throughXero('sales_invoice', doc);
    expect(xero).toMatchObject({ kind: 'sent', total: 1 });
    expect(xero).not.toHaveProperty('adjustment');
    expect(throughQuickBooks('sales_invoice', doc)).toEqual({ kind: 'sent', total: 1, lines: [{ description: 'Widget' }] });
    const mapped = toQuickBooksDocument(asPush('sales_invoice', doc, QBO_DEFAULTS), 'c', qboLines(asPush('sales_invoice', doc, QBO_DEFAULTS)));
    expect(mapped).toMatchObject({ body: { GlobalTaxCalculation: 'TaxInclusive', Line: [{ Amount: 1, SalesItemLineDetail: { Qty: 3, UnitPrice: 0.3333, TaxCodeRef: { value: '2' } } }] } });
  });

  it('JPY: the providers keep 2 decimals, so the yen difference goes on a rounding line (or refuses without a rounding account)', () => {
    const doc = invoice('t2', 'JPY', 'exclusive', [line('3', '333.5', '20')]);
    // Xero: 1000.50 + 200.10 = 1200.60; the platform: 1001 + 200 = 1201.
    const xero = throughXero('sales_invoice', doc);
    expect(xero).toMatchObject({ kind: 'sent', total: 1201, adjustment: { amount: '0.40' } });
    const mapped = toXeroInvoice(asPush('sales_invoice', doc, XERO_DEFAULTS), 'c', xeroRates);
    expect('invoice' in mapped && mapped.invoice.lineItems.at(-1)).toEqual({ description: 'Rounding', quantity: 1, unitAmount: 0.4, accountCode: '860', taxType: 'NONE' });
    expect(throughQuickBooks('sales_invoice', doc)).toMatchObject({ kind: 'sent', total: 1201, adjustment: { amount: '0.40' } });

    expect(throughXero('sales_invoice', doc, { ...XERO_DEFAULTS, rounding_account: null })).toEqual({ kind: 'refused', errors: [{
      field: 'total',
      message: 'Xero rounds each line to 2 decimal places and would total this document at 1200.60 JPY, not 1201 JPY (difference 0.40 JPY); set rounding_account in the posting defaults to post such differences to a rounding account',
    }] });
    expect(throughQuickBooks('sales_invoice', doc, { ...QBO_DEFAULTS, rounding_account: undefined })).toEqual({ kind: 'refused', errors: [{
      field: 'total',
      message: 'QuickBooks rounds each line to 2 decimal places and would total this document at 1200.60 JPY, not 1201 JPY (difference 0.40 JPY); set rounding_account in the posting defaults to post such differences to a rounding account',
    }] });
  });

  it('KWD: a total with a third decimal cannot be posted and is refused with the exact difference; one that fits is adjusted', () => {
    const doc = invoice('t3', 'KWD', 'exclusive', [line('1', '1.234', '0')]);
    expect(throughXero('sales_invoice', doc)).toEqual({ kind: 'refused', errors: [{
      field: 'total', message: "Xero keeps amounts to 2 decimal places, so this document's total of 1.234 KWD cannot be posted exactly: Xero would total it at 1.23 KWD (difference 0.004 KWD)",
    }] });
    expect(throughQuickBooks('sales_invoice', doc)).toEqual({ kind: 'refused', errors: [{
      field: 'total', message: "QuickBooks keeps amounts to 2 decimal places, so this document's total of 1.234 KWD cannot be posted exactly: QuickBooks would total it at 1.23 KWD (difference 0.004 KWD)",
    }] });
    // 0.005 + 0.005 = 0.010 KWD; each provider rounds each line up to 0.01, so 0.02 less a rounding line of −0.01.
    const fits = invoice('t4', 'KWD', 'no_tax', [line('1', '0.005'), line('1', '0.005')]);
    expect(throughXero('sales_invoice', fits)).toMatchObject({ kind: 'sent', total: 0.01, adjustment: { amount: '-0.01' } });
    expect(throughQuickBooks('sales_invoice', fits)).toMatchObject({ kind: 'sent', total: 0.01, adjustment: { amount: '-0.01' } });
  });

  it('a 100% discount is a zero total at both', () => {
    const doc = invoice('t5', 'GBP', 'exclusive', [line('2', '10.00', '20', '100')]);
    expect(throughXero('sales_invoice', doc)).toEqual({ kind: 'sent', total: 0, lines: [expect.objectContaining({ quantity: 2, unitAmount: 10, discountRate: 100 })] });
    expect(throughQuickBooks('sales_invoice', doc)).toEqual({ kind: 'sent', total: 0, lines: [{ description: 'Widget' }] });
  });

  it('finer prices than a provider takes: one unit of the line amount at Xero (its own advice), the exact price at QuickBooks', () => {
    const doc = invoice('t6', 'GBP', 'exclusive', [{ description: 'Product A', quantity: '1000', unit_price: '0.061171', tax_rate: '20' }]);
    expect(throughXero('sales_invoice', doc)).toEqual({ kind: 'sent', total: 73.4, lines: [expect.objectContaining({ description: 'Product A (1000 × 0.061171)', quantity: 1, unitAmount: 61.17 })] });
    expect(throughQuickBooks('sales_invoice', doc)).toMatchObject({ kind: 'sent', total: 73.4 });
    expect(formatTotal(doc)).toBe('73.40');
  });

  it('discounts: a bill or credit note takes none at Xero (folded into the unit amount, or one unit of the line); QuickBooks has no discount field', () => {
    const tenPercent = [line('3', '9.99', '20', '10')];
    const eighth = [line('3', '9.99', '20', '12.5')];
    // 3 × 9.99 less 12.5% = 26.22375 → 26.22 + 5.24 of VAT.
    expect(throughXero('sales_invoice', invoice('t7', 'GBP', 'exclusive', eighth))).toMatchObject({ kind: 'sent', total: 31.46, lines: [expect.objectContaining({ quantity: 3, unitAmount: 9.99, discountRate: 12.5 })] });
    // A credit note: 9.99 less 10% is 8.991 a unit; less 12.5% it would be 8.74125, finer than Xero's 4 places.
    const folded = throughXero('credit_note', invoice('t8', 'GBP', 'exclusive', tenPercent));
    expect(folded).toMatchObject({ kind: 'sent', total: 32.36, lines: [{ description: 'Widget', quantity: 3, unitAmount: 8.991 }] });
    expect((folded as { lines: object[] }).lines[0]).not.toHaveProperty('discountRate');
    expect(throughXero('credit_note', invoice('t9', 'GBP', 'exclusive', eighth))).toMatchObject({ kind: 'sent', total: 31.46, lines: [{ description: 'Widget (3 × 9.99 less 12.5%)', quantity: 1, unitAmount: 26.22 }] });
    expect(throughXero('supplier_bill', { ...invoice('t10', 'GBP', 'exclusive', tenPercent), supplier: { id: 's', name: 'S' }, supplier_invoice_number: 'S-1' })).toMatchObject({ kind: 'sent', total: 32.36 });
    expect(throughQuickBooks('sales_invoice', invoice('t11', 'GBP', 'exclusive', eighth))).toMatchObject({ kind: 'sent', total: 31.46 });
    const mapped = toQuickBooksDocument(asPush('sales_invoice', invoice('t11', 'GBP', 'exclusive', eighth), QBO_DEFAULTS), 'c', qboLines(asPush('sales_invoice', invoice('t11', 'GBP', 'exclusive', eighth), QBO_DEFAULTS)));
    expect(mapped).toMatchObject({ body: { Line: [{ Amount: 26.22, SalesItemLineDetail: { Qty: 3, UnitPrice: 8.74125 } }] } });
    expect(formatTotal(invoice('t7', 'GBP', 'exclusive', eighth))).toBe('31.46');
    expect(formatTotal(invoice('t8', 'GBP', 'exclusive', tenPercent))).toBe('32.36');
  });
});

describe('the reconciliation and the export use the platform total', () => {
  it('a copy as sent agrees to the unit, a rounding line included; one cent more or less is a finding, however many lines', () => {
    const jpy = invoice('r1', 'JPY', 'exclusive', [line('3', '333.5', '20')]);
    const gbp = invoice('r2', 'GBP', 'exclusive', [line('1', '29.99', '20'), ...Array.from({ length: 9 }, () => line('1', '0.125', '20'))]);
    for (const [provider, through] of [['xero', throughXero], ['quickbooks', throughQuickBooks]] as const) {
      for (const doc of [jpy, gbp]) {
        const sent = through('sales_invoice', doc);
        if (sent.kind !== 'sent') throw new Error(`${provider} refused ${String(doc.id)}`);
        expect(totalFindings(provider, 'sales_invoice', doc, sent.total), `${provider} ${doc.currency}`).toEqual([]);
        for (const cent of [0.01, -0.01]) {
          expect(totalFindings(provider, 'sales_invoice', doc, sent.total + cent), `${provider} ${doc.currency} ${cent}`).toEqual([
            expect.objectContaining({ expected: { total: formatTotal(doc) }, actual: { total: asProviderTotal(sent.total + cent) } }),
          ]);
        }
      }
    }
    // Xero: 1201 with a rounding line of 0.40 (the old calculation expected 1200.60); the GBP one: 35.99 + 9 × (0.13 + 0.03) = 37.43.
    expect(formatTotal(jpy)).toBe('1201');
    expect(formatTotal(gbp)).toBe('37.43');
    expect(xeroInvoiceRows({ kind: 'sales_invoice', sourceId: 'r1', source: jpy, defaults: XERO_DEFAULTS }).map((r) => [r.TaxAmount, r.Total])).toEqual([['200', '1201']]);
  });

  it('a line sent without a rate: Xero posts it at the organisation’s standard rate, which the reconciliation does not know, so it claims no total; QuickBooks posts it at 0%', () => {
    const doc = invoice('r3', 'GBP', 'exclusive', [line('1', '10.00', '20'), line('1', '5.00')]);
    const xero = throughXero('sales_invoice', doc);
    expect(xero).toMatchObject({ kind: 'sent', total: 18 });
    expect(totalFindings('xero', 'sales_invoice', doc, 18)).toEqual([]);
    expect(totalFindings('xero', 'sales_invoice', doc, 18.01)).toEqual([]);
    const qbo = throughQuickBooks('sales_invoice', doc);
    expect(qbo).toMatchObject({ kind: 'sent', total: 17 });
    expect(totalFindings('quickbooks', 'sales_invoice', doc, 17)).toEqual([]);
    expect(totalFindings('quickbooks', 'sales_invoice', doc, 17.01)).toHaveLength(1);
  });
});

describe('end to end: refused before anything is sent, or posted to the unit', () => {
  let xero: { h: Harness; sb: XeroSandbox; close: () => Promise<void> };
  let qbo: ProviderFixture & { sb: QuickBooksSandbox };
  beforeAll(async () => {
    [xero, qbo] = await Promise.all([startXeroHarness(), quickBooksFixture()]);
  });
  afterAll(async () => {
    await Promise.all([xero?.close(), qbo?.close()]);
  });

  const event = (tenantId: string, id: string, currency: string, lines: SourceLine[]) => {
    const e = shippedInvoice({ tenantId, id, lines }) as { data: { invoice: Record<string, unknown> } };
    Object.assign(e.data.invoice, { number: id.toUpperCase(), currency });
    return e;
  };
  const documentOf = (h: Harness, id: string) => h.database.db.selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const kwd = [line('1', '1.234', '0')];
  const jpy = [line('3', '333.5', '20')];
  // 1.5 × 0.333333 less 10%: finer than Xero takes; 0.45 + 20% VAT 0.09 = 0.54 at both.
  const fine = [line('1.5', '0.333333', '20', '10'), line('2.25', '19.99', '5')];

  it('Xero: a KWD total of 1.234 and a JPY total needing a rounding line (no rounding account) fail with the difference; no invoice call', async () => {
    const { h, sb } = xero;
    const { org, token } = await connectXero(h, sb, 'tot_xero');
    await h.request('PUT', '/v1/tenants/tot_xero/defaults', { token, body: { sales_invoice_account: '200' } });
    const a = await h.sendOps(event('tot_xero', 'tot_kwd', 'KWD', kwd));
    const b = await h.sendOps(event('tot_xero', 'tot_jpy', 'JPY', jpy));
    const c = await h.sendOps(event('tot_xero', 'tot_fine', 'GBP', fine));
    await h.runJobs();
    await h.runJobs();
    expect(await documentOf(h, a.body.document_id)).toMatchObject({ status: 'failed', status_reason: expect.stringContaining('total of 1.234 KWD cannot be posted exactly: Xero would total it at 1.23 KWD (difference 0.004 KWD)') });
    expect(await documentOf(h, b.body.document_id)).toMatchObject({ status: 'failed', status_reason: expect.stringContaining('would total this document at 1200.60 JPY, not 1201 JPY (difference 0.40 JPY); set rounding_account') });
    expect(await documentOf(h, c.body.document_id)).toMatchObject({ status: 'synced' });
    const invoices = sb.invoices(org.OrganisationID) as { InvoiceNumber: string; Total: number }[];
    expect(invoices.map((i) => [i.InvoiceNumber, i.Total])).toEqual([['TOT_FINE', Number(formatTotal(invoice('f', 'GBP', 'exclusive', fine)))]]);
    expect(sb.requests.filter((r) => /\/Invoices$/.test(r.path)).map((r) => (r.body as { Invoices: { InvoiceNumber: string }[] }).Invoices.map((i) => i.InvoiceNumber))).toEqual([['TOT_FINE']]);
    expect(sb.contractViolations).toEqual([]);
  });

  it('QuickBooks: the same documents fail with the difference and no batch call; the fine one posts to the cent', async () => {
    const { h, sb } = qbo;
    const { token, orgId } = await qbo.connect('tot_qbo');
    await h.request('PUT', '/v1/tenants/tot_qbo/defaults', { token, body: { ...qbo.defaults } });
    const a = await h.sendOps(event('tot_qbo', 'tot_kwd', 'KWD', kwd));
    const b = await h.sendOps(event('tot_qbo', 'tot_jpy', 'JPY', jpy));
    await h.runJobs();
    expect(await documentOf(h, a.body.document_id)).toMatchObject({ status: 'failed', status_reason: expect.stringContaining('(difference 0.004 KWD)') });
    expect(await documentOf(h, b.body.document_id)).toMatchObject({ status: 'failed', status_reason: expect.stringContaining('(difference 0.40 JPY); set rounding_account') });
    expect(qbo.createRequests(orgId)).toEqual([]);
    const c = await h.sendOps(event('tot_qbo', 'tot_fine', 'GBP', fine));
    await h.runJobs();
    expect(await documentOf(h, c.body.document_id)).toMatchObject({ status: 'synced' });
    expect((sb.invoices(orgId) as { DocNumber: string; TotalAmt: number }[]).map((i) => [i.DocNumber, i.TotalAmt])).toEqual([['TOT_FINE', Number(formatTotal(invoice('f', 'GBP', 'exclusive', fine)))]]);
  });
});

// ---- 10,000 generated documents ----

const decimalString = (whole: fc.Arbitrary<number>, places: fc.Arbitrary<number>) =>
  fc.tuple(whole, places, fc.integer({ min: 0, max: 999_999 })).map(([w, p, f]) => (p === 0 ? String(w) : `${w}.${String(f).padStart(6, '0').slice(0, p)}`));

const quantityArb = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 1, max: 20 }).map(String) },
  { weight: 8, arbitrary: decimalString(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 4 })) },
  { weight: 1, arbitrary: decimalString(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 5, max: 6 })) },
  { weight: 1, arbitrary: fc.constant('0') },
);
const priceArb = (places: number) => fc.oneof(
  { weight: 8, arbitrary: decimalString(fc.integer({ min: 0, max: places === 0 ? 50_000 : 5_000 }), fc.constant(places)) },
  { weight: 6, arbitrary: decimalString(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 4 })) },
  { weight: 1, arbitrary: decimalString(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 2 })) },
  { weight: 1, arbitrary: decimalString(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 5, max: 6 })) },
  { weight: 1, arbitrary: fc.constant('0') },
);
const discountArb = fc.oneof(
  { weight: 12, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 100 }).map(String) },
  { weight: 3, arbitrary: decimalString(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 1, max: 2 })) },
  { weight: 1, arbitrary: decimalString(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 3, max: 4 })) },
  { weight: 1, arbitrary: fc.constant('100') },
);
const currencyArb = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('GBP', 'USD', 'EUR') },
  { weight: 2, arbitrary: fc.constant('JPY') },
  { weight: 2, arbitrary: fc.constantFrom('KWD', 'BHD') },
);
const lineCountArb = fc.oneof(
  { weight: 16, arbitrary: fc.integer({ min: 1, max: 20 }) },
  { weight: 3, arbitrary: fc.integer({ min: 21, max: 100 }) },
  { weight: 1, arbitrary: fc.integer({ min: 101, max: 200 }) },
);

const documentArb = fc.record({
  kind: fc.oneof({ weight: 7, arbitrary: fc.constant('sales_invoice' as const) }, { weight: 2, arbitrary: fc.constant('supplier_bill' as const) }, { weight: 1, arbitrary: fc.constant('credit_note' as const) }),
  currency: currencyArb,
  amountsAre: fc.constantFrom('exclusive' as const, 'inclusive' as const, 'no_tax' as const),
  /** A document whose every line is free: a zero total. */
  zero: fc.integer({ min: 0, max: 39 }).map((n) => n === 0),
  count: lineCountArb,
}).chain((d) => fc.array(fc.record({
  quantity: quantityArb,
  unit_price: priceArb(currencyDecimals(d.currency)),
  tax_rate: fc.constantFrom('20', '5', '0', '20.0', '5.00'),
  discount_rate: discountArb,
}), { minLength: d.count, maxLength: d.count }).map((lines) => {
  const source: Source = {
    ...base,
    id: 'gen',
    currency: d.currency,
    amounts_are: d.amountsAre,
    lines: lines.map((l, i) => ({
      description: `Item ${i + 1}`, quantity: l.quantity, unit_price: d.zero ? '0' : l.unit_price, tax_rate: l.tax_rate,
      ...(l.discount_rate !== undefined ? { discount_rate: l.discount_rate } : {}),
    })),
    ...(d.kind === 'supplier_bill'
      ? { supplier: { id: 'sup_1', name: 'Supplies Ltd' }, supplier_invoice_number: 'SUP-1' }
      : { customer: { id: 'cus_1', name: 'Acme Ltd' } }),
  };
  return { kind: d.kind, source };
}));

const SCHEMA = { sales_invoice: SalesInvoice, supplier_bill: SupplierBill, credit_note: CreditNote } as const;

describe('property: 10,000 documents total the same at the platform, Xero and QuickBooks', () => {
  it('matches, adjusts with a rounding line, or refuses before sending with the exact difference', () => {
    const seed = Number(process.env.TOTALS_SEED ?? 20_261_121);
    const counts = { xero: { matched: 0, adjusted: 0, refused: 0 }, quickbooks: { matched: 0, adjusted: 0, refused: 0 } };
    let documents = 0;
    let lineCount = 0;
    const collapsed = { xero: 0, quickbooks: 0 };
    const isCollapsed = (l: { description: string }) => / \(.+ × .+\)$/.test(l.description);

    const check = (provider: 'xero' | 'quickbooks', outcome: Outcome, kind: DocumentKind, source: Source, platformTotal: string) => {
      const places = currencyDecimals(source.currency);
      if (outcome.kind === 'refused') {
        // Only a total the provider's 2 decimals cannot hold is refused here (a rounding account is set).
        expect(outcome.errors).toHaveLength(1);
        const [error] = outcome.errors;
        expect(error!.field).toBe('total');
        const said = /total of (\S+) \w+ cannot be posted exactly: \w+ would total it at (\S+) \w+ \(difference (\S+) (\w+)\)$/.exec(error!.message);
        expect(said, error!.message).not.toBeNull();
        const [, total, providerTotal, difference, currency] = said!;
        expect([total, currency]).toEqual([platformTotal, source.currency]);
        expect(places).toBeGreaterThan(2);
        expect(parseDecimal(providerTotal!).scale).toBeLessThanOrEqual(2);
        // The difference is exact: the provider's total plus it is the platform's.
        const p = parseDecimal(providerTotal!);
        const d = parseDecimal(difference!);
        expect(d.n).not.toBe(0n);
        expect(formatUnits(rescale(p.n, p.scale, places) + rescale(d.n, d.scale, places), places)).toBe(platformTotal);
        counts[provider].refused++;
        return;
      }
      expect(sameAmount(outcome.total, platformTotal), `${provider} totals ${outcome.total}, the platform ${platformTotal} ${source.currency}`).toBe(true);
      // The reconciliation expects exactly what the provider holds: no finding, and a finding for a cent either way.
      expect(totalFindings(provider, kind, source, outcome.total), `${provider}: reconciliation of ${outcome.total} ${source.currency}`).toEqual([]);
      expect(totalFindings(provider, kind, source, outcome.total + 0.01)).toHaveLength(1);
      expect(totalFindings(provider, kind, source, outcome.total - 0.01)).toHaveLength(1);
      if (outcome.adjustment) {
        // Only currencies whose minor unit is not the providers' 2 decimals need a rounding line.
        expect(places).not.toBe(2);
        counts[provider].adjusted++;
      } else counts[provider].matched++;
    };

    try {
      fc.assert(
        fc.property(documentArb, ({ kind, source }) => {
          expect(v.safeParse(SCHEMA[kind], source).success).toBe(true);
          const platformTotal = formatTotal(source);
          const xero = throughXero(kind, source);
          check('xero', xero, kind, source, platformTotal);
          const qbo = throughQuickBooks(kind, source);
          check('quickbooks', qbo, kind, source, platformTotal);
          // The CSV export's Total is the platform's too (the defaults post each line at its own rate).
          expect(xeroInvoiceRows({ kind, sourceId: 'gen', source, defaults: XERO_DEFAULTS })[0]!.Total).toBe(platformTotal);
          documents++;
          lineCount += source.lines.length;
          if (xero.kind === 'sent') collapsed.xero += xero.lines.filter(isCollapsed).length;
          if (qbo.kind === 'sent') collapsed.quickbooks += qbo.lines.filter(isCollapsed).length;
        }),
        { seed, numRuns: 10_000 },
      );
    } catch (error) {
      throw new Error(`TOTALS_SEED=${seed}: ${(error as Error).message}`);
    }
    expect(documents).toBe(10_000);
    expect(counts.xero.matched + counts.xero.adjusted + counts.xero.refused).toBe(10_000);
    expect(counts.quickbooks.matched + counts.quickbooks.adjusted + counts.quickbooks.refused).toBe(10_000);
    console.log(`totals property (TOTALS_SEED=${seed}): ${documents} documents, ${lineCount} lines; `
      + `Xero matched ${counts.xero.matched}, adjusted ${counts.xero.adjusted}, refused ${counts.xero.refused}; `
      + `QuickBooks matched ${counts.quickbooks.matched}, adjusted ${counts.quickbooks.adjusted}, refused ${counts.quickbooks.refused} `
      + `(lines sent as one unit of their amount, their quantity and price too fine: Xero ${collapsed.xero}, QuickBooks ${collapsed.quickbooks})`);
  }, 120_000);
});
