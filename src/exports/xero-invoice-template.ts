import type { DocumentKind } from '../db/schema.ts';
import type { PostingDefaults } from '../documents/posting-defaults.ts';
import { formatUnits, partialDocumentTotals } from '../documents/totals.ts';
import type { CreditNoteSource, SalesInvoiceSource, SupplierBillSource } from '../ingest/ops-envelope.ts';
import { csvRecord, numberCell, quoteField, textCell } from './csv.ts';

/**
 * Xero's sales-invoice import template (Business → Invoices → Import → "Download template"),
 * column for column: one row per document line, the document's own fields repeated on each of
 * its lines; an asterisk marks the columns Xero requires.
 */
export const XERO_INVOICE_COLUMNS = [
  '*ContactName', 'EmailAddress',
  'POAddressLine1', 'POAddressLine2', 'POAddressLine3', 'POAddressLine4', 'POCity', 'PORegion', 'POPostalCode', 'POCountry',
  '*InvoiceNumber', 'Reference', '*InvoiceDate', '*DueDate', 'Total',
  'InventoryItemCode', '*Description', '*Quantity', '*UnitAmount', 'Discount', '*AccountCode', '*TaxType', 'TaxAmount',
  'TrackingName1', 'TrackingOption1', 'TrackingName2', 'TrackingOption2', 'Currency', 'BrandingTheme',
] as const;

export type XeroInvoiceColumn = (typeof XERO_INVOICE_COLUMNS)[number];
export type XeroInvoiceRow = Record<XeroInvoiceColumn, string>;

/** Columns holding numbers Ledgerport formats; every other column is text from the document. */
const NUMERIC: ReadonlySet<XeroInvoiceColumn> = new Set(['Total', '*Quantity', '*UnitAmount', 'Discount', 'TaxAmount']);

export const XERO_INVOICE_HEADER = csvRecord(XERO_INVOICE_COLUMNS.map(quoteField));

/** The kinds the template can carry: documents with lines. */
export const EXPORT_KINDS = ['sales_invoice', 'supplier_bill', 'credit_note'] as const satisfies readonly DocumentKind[];
export type ExportKind = (typeof EXPORT_KINDS)[number];

export interface ExportableDocument {
  readonly kind: ExportKind;
  readonly sourceId: string;
  /** The stored source snapshot (documents.source). */
  readonly source: Record<string, unknown>;
  /** The document's posting-defaults snapshot, or the tenant's current defaults when it has none yet. */
  readonly defaults: PostingDefaults;
}

type Source = (SalesInvoiceSource | CreditNoteSource) & Partial<SupplierBillSource>;
type Line = Source['lines'][number];

/** YYYY-MM-DD → DD/MM/YYYY, the date format of Xero's template. */
function templateDate(date: string | undefined): string {
  const match = date ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(date) : null;
  return match ? `${match[3]}/${match[2]}/${match[1]}` : (date ?? '');
}

/**
 * A line's tax: the label for TaxType and the rate it is computed at (undefined: not known).
 * Xero matches TaxType against the organisation's own tax rate names, which Ledgerport does not
 * know without a connection, so the label names the rate: "20%", "Zero Rated", "Exempt", "No Tax",
 * or "Standard Rate" / "Reduced Rate" when the platform sent no rate for the line.
 */
function lineTax(source: Source, line: Line, defaults: PostingDefaults): { label: string; rate: string | undefined } {
  if (source.amounts_are === 'no_tax') return { label: 'No Tax', rate: '0' };
  switch (defaults.tax_treatment) {
    case 'no_tax':
      return { label: 'No Tax', rate: '0' };
    case 'exempt':
      return { label: 'Exempt', rate: '0' };
    case 'zero_rated':
      return { label: 'Zero Rated', rate: '0' };
    case 'output_tax':
    case 'output_tax_reduced':
      if (line.tax_rate === undefined) return { label: defaults.tax_treatment === 'output_tax' ? 'Standard Rate' : 'Reduced Rate', rate: undefined };
      return Number(line.tax_rate) === 0 ? { label: 'Zero Rated', rate: '0' } : { label: `${String(Number(line.tax_rate))}%`, rate: line.tax_rate };
  }
}

/** The account a line posts to, as the Xero mapping chooses it: its category's mapping, else the kind's account. */
function accountCode(kind: ExportKind, line: Line, defaults: PostingDefaults): string {
  const mapped = line.category ? defaults.account_mappings[line.category] : undefined;
  return mapped ?? (kind === 'supplier_bill' ? defaults.purchase_bill_account : defaults.sales_invoice_account) ?? '';
}

/**
 * The template rows of one document, as plain values (encodeXeroInvoiceRow writes them). A bill's
 * number is the supplier's invoice number, ours its reference, as when Ledgerport pushes it to Xero;
 * a document without a number is numbered by its platform id, which groups its lines. Amounts
 * are as the document has them (positive for a credit note); TaxAmount and Total are the
 * platform's (documents/totals.ts: per line, in the currency's minor unit, as the document
 * totals at the provider), left empty when a line's tax rate is not known.
 */
export function xeroInvoiceRows(doc: ExportableDocument): XeroInvoiceRow[] {
  const source = doc.source as unknown as Source;
  const isBill = doc.kind === 'supplier_bill';
  const party = isBill ? source.supplier : source.customer;
  const number = (isBill ? source.supplier_invoice_number : source.number) || doc.sourceId;
  const reference = (isBill ? (source.reference ?? source.number) : source.reference) ?? '';
  const taxes = source.lines.map((line) => lineTax(source, line, doc.defaults));
  const totals = partialDocumentTotals(source, { rateOf: (_line, index) => taxes[index]!.rate });
  const shown = (units: bigint | undefined) => (units === undefined ? '' : formatUnits(units, totals.places));
  const totalText = shown(totals.total);

  return source.lines.map((line, index) => ({
    '*ContactName': party?.name ?? '',
    EmailAddress: party?.email ?? '',
    POAddressLine1: '',
    POAddressLine2: '',
    POAddressLine3: '',
    POAddressLine4: '',
    POCity: '',
    PORegion: '',
    POPostalCode: '',
    POCountry: '',
    '*InvoiceNumber': number,
    Reference: reference,
    '*InvoiceDate': templateDate(source.issue_date),
    '*DueDate': templateDate(source.due_date),
    Total: totalText,
    InventoryItemCode: line.item_code ?? '',
    '*Description': line.description,
    '*Quantity': line.quantity,
    '*UnitAmount': line.unit_price,
    Discount: line.discount_rate ?? '',
    '*AccountCode': accountCode(doc.kind, line, doc.defaults),
    '*TaxType': taxes[index]!.label,
    TaxAmount: shown(totals.lines[index]!.tax),
    TrackingName1: '',
    TrackingOption1: '',
    TrackingName2: '',
    TrackingOption2: '',
    Currency: source.currency,
    BrandingTheme: '',
  }));
}

/** One template row as a CSV record: numbers as they are, text neutralised and quoted. */
export function encodeXeroInvoiceRow(row: XeroInvoiceRow): string {
  return csvRecord(XERO_INVOICE_COLUMNS.map((column) => (NUMERIC.has(column) ? numberCell(row[column]) : textCell(row[column]))));
}
