import type { DocumentKind } from '../../db/schema.ts';
import type { SalesInvoiceSource, SupplierBillSource } from '../../ingest/ops-envelope.ts';
import type { DocumentToPush, ProviderMessage } from '../types.ts';

export type QboEntity = 'Invoice' | 'Bill' | 'CreditMemo' | 'Payment' | 'RefundReceipt';
/** The QuickBooks transaction each document kind becomes. */
export const ENTITY_OF: Readonly<Record<DocumentKind, QboEntity>> = {
  sales_invoice: 'Invoice', supplier_bill: 'Bill', credit_note: 'CreditMemo', payment: 'Payment', refund: 'RefundReceipt',
};

const GLOBAL_TAX = { exclusive: 'TaxExcluded', inclusive: 'TaxInclusive', no_tax: 'NotApplicable' } as const;

const round = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places;
/** "20", "20.0" and "20.00" name the same rate. */
export const rateKey = (rate: string | undefined) => String(Number(rate ?? 0));

export interface QboLineContext {
  /** The income (sales) or expense (bills) account for a line, from the defaults snapshot. */
  accountFor(category: string | undefined): string | null;
  /** Sales lines need an item; one service item per income account. */
  itemFor(accountId: string): string;
}

/**
 * Maps a document to a QuickBooks Invoice (sales), CreditMemo (credit note) or Bill (supplier bill). QuickBooks has no
 * tax treatment to map onto: a line's rate must be mapped to a TaxCode in the defaults
 * (tax_code_mappings), so a taxable document without one is refused before anything is sent.
 */
export function toQuickBooksDocument(doc: DocumentToPush, partyId: string, ctx: QboLineContext): { entity: 'Invoice' | 'Bill' | 'CreditMemo'; body: Record<string, unknown> } | { errors: ProviderMessage[] } {
  // Credit notes are sales documents too: item lines and sales tax codes, like an invoice.
  const isSale = doc.kind !== 'supplier_bill';
  const source = doc.source as unknown as SalesInvoiceSource & Partial<SupplierBillSource>;
  const errors: ProviderMessage[] = [];
  const mappings = doc.defaults.tax_code_mappings;

  const lines = source.lines.map((line, index) => {
    const accountId = ctx.accountFor(line.category);
    if (!accountId) {
      errors.push({ line: index, field: 'account', message: `no account for this line: map its category${line.category ? ` "${line.category}"` : ''} or set the ${isSale ? 'sales invoice' : 'purchase bill'} account in the posting defaults` });
    }
    const rate = source.amounts_are === 'no_tax' ? '0' : rateKey(line.tax_rate);
    const taxCode = mappings[rate];
    if (Number(rate) > 0 && !taxCode) {
      errors.push({ line: index, field: 'tax_rate', message: `this line is taxed at ${rate}% but the posting defaults map no QuickBooks tax code to "${rate}" (tax_code_mappings); map it, or send the line untaxed` });
    }
    const quantity = Number(line.quantity);
    const discount = line.discount_rate ? Number(line.discount_rate) / 100 : 0;
    const unitPrice = round(Number(line.unit_price) * (1 - discount), 4);
    const amount = round(quantity * unitPrice, 2);
    const taxRef = taxCode ? { TaxCodeRef: { value: taxCode } } : {};
    return isSale
      ? { DetailType: 'SalesItemLineDetail', Amount: amount, Description: line.description, SalesItemLineDetail: { ItemRef: { value: accountId ? ctx.itemFor(accountId) : '' }, Qty: quantity, UnitPrice: unitPrice, ...taxRef } }
      : { DetailType: 'AccountBasedExpenseLineDetail', Amount: amount, Description: line.description, AccountBasedExpenseLineDetail: { AccountRef: { value: accountId ?? '' }, ...taxRef } };
  });
  if (errors.length > 0) return { errors };

  // A document with no tax at all and no code mapped for 0% posts outside tax (VAT companies
  // otherwise require a tax code on every line).
  const noTaxCodes = source.lines.every((line) => !mappings[source.amounts_are === 'no_tax' ? '0' : rateKey(line.tax_rate)]);
  const common = {
    TxnDate: source.issue_date,
    // A credit memo has no due date.
    ...(source.due_date && doc.kind !== 'credit_note' ? { DueDate: source.due_date } : {}),
    CurrencyRef: { value: source.currency },
    GlobalTaxCalculation: noTaxCodes ? 'NotApplicable' : GLOBAL_TAX[source.amounts_are],
    Line: lines,
  };
  return isSale
    ? { entity: doc.kind === 'credit_note' ? 'CreditMemo' : 'Invoice', body: { CustomerRef: { value: partyId }, ...(source.number ? { DocNumber: source.number } : {}), ...(source.reference ? { PrivateNote: `Reference ${source.reference}` } : {}), ...common } }
    : { entity: 'Bill', body: { VendorRef: { value: partyId }, DocNumber: source.supplier_invoice_number, PrivateNote: `Reference ${source.reference ?? source.number ?? ''}`.trim(), ...common } };
}
