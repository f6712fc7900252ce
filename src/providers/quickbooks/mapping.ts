import type { DocumentKind } from '../../db/schema.ts';
import type { SalesInvoiceSource, SupplierBillSource } from '../../ingest/ops-envelope.ts';
import type { DocumentToPush, ProviderMessage } from '../types.ts';
import { planQuickBooksLines, rateKey } from './rounding.ts';

export type QboEntity = 'Invoice' | 'Bill' | 'CreditMemo' | 'Payment' | 'RefundReceipt';
/** The QuickBooks transaction each document kind becomes. */
export const ENTITY_OF: Readonly<Record<DocumentKind, QboEntity>> = {
  sales_invoice: 'Invoice', supplier_bill: 'Bill', credit_note: 'CreditMemo', payment: 'Payment', refund: 'RefundReceipt',
};

const GLOBAL_TAX = { exclusive: 'TaxExcluded', inclusive: 'TaxInclusive', no_tax: 'NotApplicable' } as const;

export { rateKey };

export interface QboLineContext {
  /** The income (sales) or expense (bills) account for a line, from the defaults snapshot. */
  accountFor(category: string | undefined): string | null;
  /** Sales lines need an item; one service item per income account. */
  itemFor(accountId: string): string;
}

/** What Ledgerport did to make QuickBooks' total the platform's: a rounding line of `amount`. */
export interface QboAdjustment {
  readonly amount: string;
  readonly reason: string;
}

/**
 * Maps a document to a QuickBooks Invoice (sales), CreditMemo (credit note) or Bill (supplier bill). QuickBooks has no
 * tax treatment to map onto: a line's rate must be mapped to a TaxCode in the defaults
 * (tax_code_mappings), so a taxable document without one is refused before anything is sent,
 * and so is one whose total QuickBooks' arithmetic cannot give (see rounding.ts); `adjustment`
 * says when a rounding line was added instead.
 */
export function toQuickBooksDocument(doc: DocumentToPush, partyId: string, ctx: QboLineContext): { entity: 'Invoice' | 'Bill' | 'CreditMemo'; body: Record<string, unknown>; adjustment?: QboAdjustment } | { errors: ProviderMessage[] } {
  // Credit notes are sales documents too: item lines and sales tax codes, like an invoice.
  const isSale = doc.kind !== 'supplier_bill';
  const source = doc.source as unknown as SalesInvoiceSource & Partial<SupplierBillSource>;
  const errors: ProviderMessage[] = [];
  const mappings = doc.defaults.tax_code_mappings;
  const plan = planQuickBooksLines(doc);

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
    const numbers = plan.lines[index]!;
    const taxRef = taxCode ? { TaxCodeRef: { value: taxCode } } : {};
    return isSale
      ? { DetailType: 'SalesItemLineDetail', Amount: numbers.amount, Description: numbers.description ?? line.description, SalesItemLineDetail: { ItemRef: { value: accountId ? ctx.itemFor(accountId) : '' }, Qty: numbers.quantity, UnitPrice: numbers.unitPrice, ...taxRef } }
      // An expense line has only its amount: no quantity or price to fit.
      : { DetailType: 'AccountBasedExpenseLineDetail', Amount: numbers.amount, Description: line.description, AccountBasedExpenseLineDetail: { AccountRef: { value: accountId ?? '' }, ...taxRef } };
  });
  if (errors.length > 0) return { errors };

  const reconciled = plan.reconciliation;
  if (reconciled.kind === 'refuse') return { errors: [{ field: 'total', message: reconciled.message }] };
  let adjustment: QboAdjustment | undefined;
  if (reconciled.kind === 'adjust') {
    const roundingAccount = doc.defaults.rounding_account!;
    // Every line of a taxed document needs a tax code (VAT/GST companies): the rounding line takes the 0% one.
    const zeroCode = mappings['0'];
    if (!plan.noTaxCodes && !zeroCode) {
      return { errors: [{ field: 'total', message: `${plan.reason}; a rounding line needs the 0% tax code: map "0" in tax_code_mappings` }] };
    }
    const amount = Number(reconciled.amount);
    const taxRef = plan.noTaxCodes ? {} : { TaxCodeRef: { value: zeroCode! } };
    lines.push(isSale
      ? { DetailType: 'SalesItemLineDetail', Amount: amount, Description: 'Rounding', SalesItemLineDetail: { ItemRef: { value: ctx.itemFor(roundingAccount) }, Qty: 1, UnitPrice: amount, ...taxRef } }
      : { DetailType: 'AccountBasedExpenseLineDetail', Amount: amount, Description: 'Rounding', AccountBasedExpenseLineDetail: { AccountRef: { value: roundingAccount }, ...taxRef } });
    adjustment = { amount: reconciled.amount, reason: plan.reason };
  }

  const common = {
    TxnDate: source.issue_date,
    // A credit memo has no due date.
    ...(source.due_date && doc.kind !== 'credit_note' ? { DueDate: source.due_date } : {}),
    CurrencyRef: { value: source.currency },
    GlobalTaxCalculation: plan.noTaxCodes ? 'NotApplicable' : GLOBAL_TAX[source.amounts_are],
    Line: lines,
  };
  const extra = adjustment ? { adjustment } : {};
  return isSale
    ? { entity: doc.kind === 'credit_note' ? 'CreditMemo' : 'Invoice', body: { CustomerRef: { value: partyId }, ...(source.number ? { DocNumber: source.number } : {}), ...(source.reference ? { PrivateNote: `Reference ${source.reference}` } : {}), ...common }, ...extra }
    : { entity: 'Bill', body: { VendorRef: { value: partyId }, DocNumber: source.supplier_invoice_number, PrivateNote: `Reference ${source.reference ?? source.number ?? ''}`.trim(), ...common }, ...extra };
}
