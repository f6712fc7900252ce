import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvRecord, FORMULA_TRIGGERS, neutraliseFormula, numberCell, textCell } from '../src/exports/csv.ts';
import { documentsCsv } from '../src/exports/documents-csv.ts';
import { BUILT_IN_DEFAULTS, TAX_TREATMENTS } from '../src/documents/posting-defaults.ts';
import { currencyDecimals, documentTotals, formatUnits, type TotalsDocument } from '../src/documents/totals.ts';
import { xeroInvoiceRows } from '../src/exports/xero-invoice-template.ts';
import { textStream } from '../src/http/text-stream.ts';
import { creditNoteEvent, invoiceEvent, voidedInvoice } from './helpers/events.ts';
import { parseCsv } from './helpers/csv.ts';
import { requestedBill, startHarness, type Harness } from './helpers/harness.ts';

/** GET /v1/tenants/{tenant_id}/exports/documents.csv: Xero's invoice-import layout, streamed. */

/** Xero's template header, written out by hand so a mistake in the code cannot hide itself. */
const XERO_HEADER =
  '*ContactName,EmailAddress,POAddressLine1,POAddressLine2,POAddressLine3,POAddressLine4,POCity,PORegion,POPostalCode,POCountry,' +
  '*InvoiceNumber,Reference,*InvoiceDate,*DueDate,Total,InventoryItemCode,*Description,*Quantity,*UnitAmount,Discount,' +
  '*AccountCode,*TaxType,TaxAmount,TrackingName1,TrackingOption1,TrackingName2,TrackingOption2,Currency,BrandingTheme';
const COLUMNS = XERO_HEADER.split(',');

const T = 'org_export';
let h: Harness;
let token: string;

beforeAll(async () => {
  h = await startHarness();
  token = await h.token(T);
  const defaults = await h.request('PUT', `/v1/tenants/${T}/defaults`, {
    token,
    body: { sales_invoice_account: '200', purchase_bill_account: '300', account_mappings: { materials: '310' } },
  });
  expect(defaults.status).toBe(200);
  const send = async (event: unknown) => expect((await h.sendOps(event)).status).toBe(202);
  await send(
    invoiceEvent(T, 'inv_1', {
      number: 'INV-1001',
      lines: [
        { description: 'Widget', quantity: '2', unit_price: '10.00', tax_rate: '20', item_code: 'W-1', category: 'sales' },
        { description: 'Bolts, boxed', quantity: '3', unit_price: '5.50', tax_rate: '20', discount_rate: '10', category: 'materials' },
      ],
    }),
  );
  await send(
    invoiceEvent(T, 'inv_2', {
      number: 'INV-1002',
      patch: { issue_date: '2026-11-25', due_date: '2026-12-25', customer: { id: 'cus_q', name: 'Smith, "Jo" & Co', email: 'jo@smith.test' }, reference: 'line one\r\nline two' },
      lines: [{ description: 'He said "hi", then\nleft', quantity: '1', unit_price: '100.00', tax_rate: '5' }],
    }),
  );
  await send(
    invoiceEvent(T, 'inv_evil', {
      number: '=1+1',
      patch: { issue_date: '2026-12-02', due_date: '2027-01-02', customer: { id: 'cus_e', name: '=HYPERLINK("http://evil.test","x")', email: 'e@evil.test' }, reference: '-2+3' },
      lines: [
        { description: '+SUM(A1:A9)', quantity: '1', unit_price: '-5.00', item_code: '@cmd', tax_rate: '0' },
        { description: '\t=tabbed', quantity: '-1', unit_price: '2.00', tax_rate: '20' },
        { description: '\r=carriage', quantity: '1', unit_price: '1.00' },
      ],
    }),
  );
  await send(invoiceEvent(T, 'inv_void', { number: 'INV-VOID', patch: { issue_date: '2026-11-22' } }));
  await send(voidedInvoice(T, 'inv_void', 2, { number: 'INV-VOID' }));
  await send(requestedBill({ tenantId: T, id: 'bill_1' }));
  await send(creditNoteEvent(T, 'cn_1', { unitPrice: '7.50' }));
  await send(invoiceEvent('org_export_other', 'inv_secret', { number: 'SECRET' }));
  await h.runJobs(); // no connection: held (the void: voided), with no defaults snapshot of their own
  // A document queued earlier keeps the defaults snapshot it was queued with.
  await h.database.db
    .updateTable('documents')
    .set({ defaults_version: 1, defaults_snapshot: JSON.stringify({ sales_invoice_account: '260', account_mappings: {} }) })
    .where('source_id', '=', 'inv_2')
    .execute();
});
afterAll(async () => {
  await h.close();
});

async function exportCsv(query = '', as = token, tenant = T) {
  return h.request('GET', `/v1/tenants/${tenant}/exports/documents.csv${query}`, { token: as });
}

/** The file's rows as objects keyed by the header's columns. */
function records(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  expect(header).toEqual(COLUMNS);
  for (const row of rows) expect(row).toHaveLength(COLUMNS.length);
  return rows.map((row) => Object.fromEntries(COLUMNS.map((c, i) => [c, row[i]!])));
}

describe('GET /v1/tenants/{tenant_id}/exports/documents.csv', () => {
  it('streams a CSV attachment whose header is exactly Xero’s template', async () => {
    const res = await exportCsv();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="org_export-sales_invoice.csv"');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.text.startsWith(`${XERO_HEADER}\r\n`)).toBe(true);
    expect(res.text.endsWith('\r\n')).toBe(true);
  });

  it('one row per line, with the document’s values, accounts from its defaults and amounts in cents', async () => {
    const rows = records((await exportCsv()).text);
    // inv_1 (2 lines), inv_2 (1), inv_evil (3), in the order received; the voided one is left out.
    expect(rows.map((r) => r['*InvoiceNumber'])).toEqual(['INV-1001', 'INV-1001', 'INV-1002', "'=1+1", "'=1+1", "'=1+1"]);
    const empty = Object.fromEntries(COLUMNS.map((c) => [c, '']));
    expect(rows[0]).toEqual({
      ...empty,
      '*ContactName': 'Acme Ltd',
      EmailAddress: 'ap@acme.test',
      '*InvoiceNumber': 'INV-1001',
      Reference: 'SO-77',
      '*InvoiceDate': '21/11/2026',
      '*DueDate': '21/12/2026',
      // 2 × 10.00 + 20% = 24.00; 3 × 5.50 − 10% = 14.85 + 20% (2.97) = 17.82.
      Total: '41.82',
      InventoryItemCode: 'W-1',
      '*Description': 'Widget',
      '*Quantity': '2',
      '*UnitAmount': '10.00',
      '*AccountCode': '200',
      '*TaxType': '20%',
      TaxAmount: '4.00',
      Currency: 'GBP',
    });
    expect(rows[1]).toMatchObject({ '*Description': 'Bolts, boxed', '*Quantity': '3', '*UnitAmount': '5.50', Discount: '10', '*AccountCode': '310', TaxAmount: '2.97', Total: '41.82', InventoryItemCode: '' });
    // inv_2 keeps its own defaults snapshot (260), not the tenant's current account.
    expect(rows[2]).toMatchObject({ '*AccountCode': '260', '*TaxType': '5%', TaxAmount: '5.00', Total: '105.00', '*InvoiceDate': '25/11/2026' });
  });

  it('quotes commas, quotes and line breaks (RFC 4180) and reads back to the same text', async () => {
    const res = await exportCsv();
    expect(res.text).toContain('"Smith, ""Jo"" & Co"');
    expect(res.text).toContain('"He said ""hi"", then\nleft"');
    expect(res.text).toContain('"line one\r\nline two"');
    const row = records(res.text)[2]!;
    expect(row['*ContactName']).toBe('Smith, "Jo" & Co');
    expect(row['*Description']).toBe('He said "hi", then\nleft');
    expect(row.Reference).toBe('line one\r\nline two');
    expect(row['*InvoiceNumber']).toBe('INV-1002');
  });

  it('neutralises formula injection in text cells; numbers stay numbers', async () => {
    const evil = records((await exportCsv()).text).slice(3);
    expect(evil[0]).toMatchObject({
      '*ContactName': `'=HYPERLINK("http://evil.test","x")`,
      '*InvoiceNumber': "'=1+1",
      Reference: "'-2+3",
      '*Description': "'+SUM(A1:A9)",
      InventoryItemCode: "'@cmd",
      '*UnitAmount': '-5.00',
      '*TaxType': 'Zero Rated',
      TaxAmount: '0.00',
      // A line without a rate (Standard Rate) has no known tax: no Total for an exclusive document.
      Total: '',
    });
    expect(evil[1]).toMatchObject({ '*Description': "'\t=tabbed", '*Quantity': '-1', TaxAmount: '-0.40', '*TaxType': '20%' });
    expect(evil[2]).toMatchObject({ '*Description': "'\r=carriage", '*TaxType': 'Standard Rate', TaxAmount: '' });
    for (const row of evil) for (const column of COLUMNS) {
      if (['*Quantity', '*UnitAmount', 'TaxAmount', 'Total', 'Discount'].includes(column)) continue;
      expect(FORMULA_TRIGGERS.includes(row[column]!.charAt(0)), `${column}: ${row[column]}`).toBe(false);
    }
  });

  it('kind selects supplier bills or credit notes, with their own numbers and accounts', async () => {
    const bills = await exportCsv('?kind=supplier_bill');
    expect(bills.headers.get('content-disposition')).toBe('attachment; filename="org_export-supplier_bill.csv"');
    expect(records(bills.text)).toEqual([
      expect.objectContaining({
        '*ContactName': 'Bolt Supplies',
        '*InvoiceNumber': 'SUP-88',
        Reference: 'PO-501',
        '*InvoiceDate': '20/11/2026',
        '*Description': 'Bolts',
        '*Quantity': '100',
        '*UnitAmount': '0.25',
        '*AccountCode': '310',
        TaxAmount: '5.00',
        Total: '30.00',
      }),
    ]);
    const credits = records((await exportCsv('?kind=credit_note')).text);
    // Amounts as on the credit note (positive); no due date was sent.
    expect(credits).toEqual([expect.objectContaining({ '*InvoiceNumber': 'CN_1', Reference: 'RETURN-1', '*DueDate': '', '*UnitAmount': '7.50', '*AccountCode': '200', Total: '9.00' })]);
  });

  it('from and to filter the issue date, inclusive', async () => {
    const numbers = async (query: string) => records((await exportCsv(query)).text).map((r) => r['*InvoiceNumber']);
    expect(await numbers('?from=2026-11-22')).toEqual(['INV-1002', "'=1+1", "'=1+1", "'=1+1"]);
    expect(await numbers('?to=2026-11-25')).toEqual(['INV-1001', 'INV-1001', 'INV-1002']);
    expect(await numbers('?from=2026-11-25&to=2026-11-25')).toEqual(['INV-1002']);
    expect(await numbers('?from=2027-01-01')).toEqual([]);
    const named = await exportCsv('?from=2026-11-01&to=2026-11-30');
    expect(named.headers.get('content-disposition')).toBe('attachment; filename="org_export-sales_invoice-2026-11-01-to-2026-11-30.csv"');
    expect((await exportCsv('?from=2027-01-01')).text).toBe(`${XERO_HEADER}\r\n`);
  });

  it('400 validation_failed for a bad kind or date, or to before from, naming the parameter', async () => {
    const cases: [string, string][] = [
      ['?kind=payment', 'kind'],
      ['?kind=', 'kind'],
      ['?from=2026-02-31', 'from'],
      ['?from=yesterday', 'from'],
      ['?to=2026-13-01', 'to'],
      ['?from=2026-11-30&to=2026-11-01', 'to'],
    ];
    for (const [query, path] of cases) {
      const res = await exportCsv(query);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(new Set(res.body.error.details.map((d: { path: string }) => d.path)), query).toEqual(new Set([path]));
    }
  });

  it("404 for another tenant's token or an unknown tenant", async () => {
    const stranger = await exportCsv('', await h.token('org_export_other'));
    expect(stranger.status).toBe(404);
    expect(stranger.body.error.code).toBe('tenant_not_found');
    const nobody = await exportCsv('', await h.token('*'), 'org_nobody');
    expect(nobody.status).toBe(404);
    expect(nobody.body.error.code).toBe('tenant_not_found');
    // The other tenant's own export has only its document.
    const own = records((await exportCsv('', await h.token('org_export_other'), 'org_export_other')).text);
    expect(own.map((r) => r['*InvoiceNumber'])).toEqual(['SECRET']);
  });

  it('pages by keyset: any page size gives the same file', async () => {
    const read = async (pageSize: number) => {
      let text = '';
      for await (const chunk of documentsCsv(h.database.db, { tenantId: T, kind: 'sales_invoice' }, { pageSize })) text += chunk;
      return text;
    };
    const whole = (await exportCsv()).text;
    expect(await read(1)).toBe(whole);
    expect(await read(2)).toBe(whole);
    expect(await read(3)).toBe(whole);
  });
});

describe('the streamed body', () => {
  it('makes a chunk only when one is read, and stops its source when the client goes away', async () => {
    let made = 0;
    let finished = false;
    async function* source() {
      try {
        for (let i = 0; i < 100; i++) {
          made++;
          yield `chunk ${i}\n`;
        }
      } finally {
        finished = true;
      }
    }
    const reader = textStream(source(), () => undefined).getReader();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(made).toBe(0);
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('chunk 0\n');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(made).toBe(1);
    await reader.cancel();
    expect(finished).toBe(true);
  });

  it('a failure midway is reported and errors the stream (the response is aborted, not ended)', async () => {
    async function* failing() {
      yield 'header\r\n';
      throw new Error('the database went away');
    }
    const errors: unknown[] = [];
    const reader = textStream(failing(), (error) => errors.push(error)).getReader();
    await reader.read();
    await expect(reader.read()).rejects.toThrow('the database went away');
    expect(errors).toHaveLength(1);
  });
});

describe('CSV cells (properties)', () => {
  const tricky = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.string({ unit: fc.constantFrom('=', '+', '-', '@', '\t', '\r', '\n', '\0', '"', ',', "'", ' ', 'a', 'é', '😀') }),
  );

  it('any text round-trips through quoting, neutralised only by a leading quote', () => {
    fc.assert(
      fc.property(fc.array(fc.array(tricky, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 5 }), (rows) => {
        const text = rows.map((cells) => csvRecord(cells.map(textCell))).join('');
        expect(parseCsv(text)).toEqual(rows.map((cells) => cells.map(neutraliseFormula)));
      }),
      { numRuns: 500 },
    );
  });

  it('a neutralised cell never starts with a formula character and keeps the whole text', () => {
    fc.assert(
      fc.property(tricky, (value) => {
        const cell = neutraliseFormula(value);
        expect(FORMULA_TRIGGERS.includes(cell.charAt(0))).toBe(false);
        expect(cell === value || cell === `'${value}`).toBe(true);
        const [[read]] = parseCsv(csvRecord([textCell(value)])) as [[string]];
        expect(FORMULA_TRIGGERS.includes(read.charAt(0))).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('plain decimals are written as they are; anything else is text', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.nat({ max: 6 }), (n, scale) => {
        const s = n.toString();
        const decimal = scale === 0 ? s : `${s}.${'0'.repeat(scale)}`;
        expect(numberCell(decimal)).toBe(decimal);
      }),
    );
    fc.assert(
      fc.property(tricky, (value) => {
        expect(numberCell(value)).toBe(/^-?\d+(\.\d+)?$/.test(value) ? value : textCell(value));
      }),
    );
  });
});

describe('TaxAmount and Total: the platform’s (documents/totals.ts), in the currency’s minor unit', () => {
  const rows = (currency: string, amountsAre: TotalsDocument['amounts_are'], lines: Record<string, string>[], taxTreatment: (typeof TAX_TREATMENTS)[number] = 'output_tax') =>
    xeroInvoiceRows({
      kind: 'sales_invoice', sourceId: 'inv_x', defaults: { ...BUILT_IN_DEFAULTS, tax_treatment: taxTreatment },
      source: { currency, amounts_are: amountsAre, issue_date: '2026-11-21', customer: { id: 'c', name: 'C' }, lines: lines.map((l) => ({ description: 'Item', ...l })) },
    }).map((r) => [r.TaxAmount, r.Total]);

  it('per line, exact, rounded half away from zero', () => {
    // 3 × 5.50 − 10% = 14.85, + 2.97; 3 × 0.333333 = 1.00 (0.999999), + 0.20.
    expect(rows('GBP', 'exclusive', [{ quantity: '3', unit_price: '5.50', discount_rate: '10', tax_rate: '20' }, { quantity: '3', unit_price: '0.333333', tax_rate: '20' }])).toEqual([['2.97', '19.02'], ['0.20', '19.02']]);
    expect(rows('GBP', 'no_tax', [{ quantity: '1', unit_price: '0.005' }])).toEqual([['0.00', '0.01']]);
    expect(rows('GBP', 'no_tax', [{ quantity: '1', unit_price: '-0.005' }])).toEqual([['0.00', '-0.01']]);
    expect(rows('GBP', 'inclusive', [{ quantity: '1', unit_price: '120.00', tax_rate: '20' }])).toEqual([['20.00', '120.00']]);
    // Exact where floating point is not (0.1 × 3 is 0.30000000000000004 there).
    expect(rows('GBP', 'no_tax', [{ quantity: '3', unit_price: '0.1' }])).toEqual([['0.00', '0.30']]);
  });

  it('a rate that cannot apply (−100% contained in an amount) or is not known leaves its TaxAmount empty; an inclusive Total stands', () => {
    expect(rows('GBP', 'inclusive', [{ quantity: '1', unit_price: '1.00', tax_rate: '-100' }, { quantity: '1', unit_price: '2.00' }])).toEqual([['', '3.00'], ['', '3.00']]);
    expect(rows('GBP', 'exclusive', [{ quantity: '1', unit_price: '1.00', tax_rate: '20' }, { quantity: '1', unit_price: '2.00' }])).toEqual([['0.20', ''], ['', '']]);
  });

  it('JPY in whole yen and KWD in fils, as the document totals at the provider (the export used to write cents whatever the currency)', () => {
    // 3 × 333.5 = 1000.5 → 1001 yen, + 200 of tax: 1201, what Xero and QuickBooks hold for it (with a rounding line; test/totals.test.ts). It was 200.10 and 1200.60.
    expect(rows('JPY', 'exclusive', [{ quantity: '3', unit_price: '333.5', tax_rate: '20' }])).toEqual([['200', '1201']]);
    // 1.2345 → 1.235 KWD, + 5% = 0.062: 1.297. It was 0.06 and 1.29.
    expect(rows('KWD', 'exclusive', [{ quantity: '1', unit_price: '1.2345', tax_rate: '5' }])).toEqual([['0.062', '1.297']]);
  });

  it('property: every TaxAmount and Total is documents/totals.ts’s, for any currency, amounts and treatment', () => {
    const decimal = (whole: number, places: number) => fc.tuple(fc.integer({ min: -whole, max: whole }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 999_999 }))
      .map(([w, p, f]) => (Math.min(p, places) === 0 ? String(w) : `${w}.${String(f).padStart(6, '0').slice(0, Math.min(p, places))}`));
    const documentArb = fc.record({
      currency: fc.constantFrom('GBP', 'USD', 'JPY', 'KWD', 'BHD', 'CLF'),
      amountsAre: fc.constantFrom('exclusive' as const, 'inclusive' as const, 'no_tax' as const),
      treatment: fc.constantFrom(...TAX_TREATMENTS),
      lines: fc.array(fc.record({
        quantity: decimal(1000, 6),
        unit_price: decimal(100_000, 6),
        discount_rate: fc.option(decimal(100, 4), { nil: undefined }),
        tax_rate: fc.constantFrom('20', '5', '0', '12.5', '20.0'),
      }), { minLength: 1, maxLength: 30 }),
    });
    fc.assert(
      fc.property(documentArb, ({ currency, amountsAre, treatment, lines }) => {
        const clean = lines.map(({ discount_rate, ...l }) => (discount_rate === undefined ? l : { ...l, discount_rate }));
        const written = rows(currency, amountsAre, clean, treatment);
        // The rate each line posts at: its own under output tax, none under the other treatments.
        const taxed = amountsAre !== 'no_tax' && (treatment === 'output_tax' || treatment === 'output_tax_reduced');
        const totals = documentTotals({ currency, amounts_are: amountsAre, lines: clean }, { rateOf: (line) => (taxed ? line.tax_rate! : '0') });
        const places = currencyDecimals(currency);
        expect(written).toEqual(totals.lines.map((l) => [formatUnits(l.tax, places), formatUnits(totals.total, places)]));
      }),
      { numRuns: 2000 },
    );
  });

});
