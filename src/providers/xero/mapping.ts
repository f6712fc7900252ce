import type { SalesInvoiceSource, SupplierBillSource } from '../../ingest/ops-envelope.ts';
import type { DocumentToPush, ProviderMessage } from '../types.ts';
import { reconcileXeroLines, xeroLineNumbers, type XeroAdjustment } from './rounding.ts';
import { chooseTaxType, type XeroTaxRate } from './tax.ts';

/** A Xero invoice in xero-node's model shape (camelCase; its serializer writes Xero's names). */
export interface XeroInvoiceModel {
  type: 'ACCREC' | 'ACCPAY';
  contact: { contactID: string };
  date: string;
  dueDate?: string;
  lineAmountTypes: 'Exclusive' | 'Inclusive' | 'NoTax';
  invoiceNumber?: string;
  reference?: string;
  currencyCode: string;
  status: 'DRAFT' | 'AUTHORISED';
  lineItems: {
    description: string;
    quantity: number;
    unitAmount: number;
    accountCode: string;
    taxType: string;
    discountRate?: number;
  }[];
}

const LINE_AMOUNT_TYPES = { exclusive: 'Exclusive', inclusive: 'Inclusive', no_tax: 'NoTax' } as const;

type XeroType = 'ACCREC' | 'ACCPAY' | 'ACCRECCREDIT';

/**
 * Maps a document (its stored source snapshot and defaults snapshot) to a Xero invoice:
 * ACCREC for a sales invoice, ACCPAY for a supplier bill. Everything Xero would refuse for a
 * reason we can already see (no account, no fitting tax type) is reported per line instead,
 * and so is a total Xero's arithmetic cannot give (see rounding.ts): `adjustment` says when a
 * rounding line was added for it.
 */
export function toXeroInvoice(
  doc: DocumentToPush,
  contactId: string,
  taxRates: readonly XeroTaxRate[],
): { invoice: XeroInvoiceModel; adjustment?: XeroAdjustment } | { errors: ProviderMessage[] } {
  return mapXeroDocument(doc, contactId, taxRates, doc.kind === 'sales_invoice' ? 'ACCREC' : 'ACCPAY');
}

function mapXeroDocument(
  doc: DocumentToPush,
  contactId: string,
  taxRates: readonly XeroTaxRate[],
  xeroType: XeroType,
): { invoice: XeroInvoiceModel; adjustment?: XeroAdjustment } | { errors: ProviderMessage[] } {
  const isSale = xeroType !== 'ACCPAY';
  const source = doc.source as unknown as SalesInvoiceSource & Partial<SupplierBillSource>;
  const defaults = doc.defaults;
  const errors: ProviderMessage[] = [];
  const fallbackAccount = isSale ? defaults.sales_invoice_account : defaults.purchase_bill_account;
  const side = isSale ? 'revenue' : 'expenses';
  const rateOf = (taxType: string) => taxRates.find((r) => r.taxType === taxType)?.effectiveRate ?? 0;

  const lineItems = source.lines.map((line, index) => {
    const accountCode = (line.category ? defaults.account_mappings[line.category] : undefined) ?? fallbackAccount;
    if (!accountCode) {
      errors.push({
        line: index,
        field: 'account',
        message: `no account for this line: map its category${line.category ? ` "${line.category}"` : ''} or set the ${isSale ? 'sales invoice' : 'purchase bill'} account in the posting defaults`,
      });
    }
    let taxType = 'NONE';
    if (source.amounts_are !== 'no_tax') {
      const chosen = chooseTaxType(taxRates, {
        treatment: defaults.tax_treatment,
        side,
        lineRate: defaults.tax_treatment === 'output_tax' || defaults.tax_treatment === 'output_tax_reduced' ? line.tax_rate : undefined,
      });
      if ('error' in chosen) errors.push({ line: index, field: 'tax_rate', message: chosen.error });
      else taxType = chosen.taxType;
    } else {
      const chosen = chooseTaxType(taxRates, { treatment: 'no_tax', side });
      if ('taxType' in chosen) taxType = chosen.taxType;
    }
    return {
      ...xeroLineNumbers(line, source.currency, xeroType === 'ACCREC'),
      accountCode: accountCode ?? '',
      taxType,
    };
  });
  if (errors.length > 0) return { errors };

  // The platform's total (with the rate each line is posted at) against Xero's own arithmetic.
  const reconciled = reconcileXeroLines(source, lineItems, rateOf, defaults.rounding_account);
  if ('error' in reconciled) return { errors: [{ field: 'total', message: reconciled.error }] };
  let adjustment: XeroAdjustment | undefined;
  if (reconciled.adjust) {
    const noTax = chooseTaxType(taxRates, { treatment: 'no_tax', side });
    if ('error' in noTax) return { errors: [{ field: 'total', message: `${reconciled.adjust.reason}, but ${noTax.error} for the rounding line` }] };
    lineItems.push({ description: 'Rounding', quantity: 1, unitAmount: reconciled.adjust.amount, accountCode: defaults.rounding_account!, taxType: noTax.taxType });
    adjustment = { amount: reconciled.adjust.amount.toFixed(2), reason: reconciled.adjust.reason };
  }

  return {
    invoice: {
      type: isSale ? 'ACCREC' : 'ACCPAY',
      contact: { contactID: contactId },
      date: source.issue_date,
      ...(source.due_date ? { dueDate: source.due_date } : {}),
      lineAmountTypes: LINE_AMOUNT_TYPES[source.amounts_are],
      // A bill's number in Xero is the supplier's invoice number; ours stays in the reference.
      invoiceNumber: isSale ? source.number : source.supplier_invoice_number,
      reference: isSale ? source.reference : (source.reference ?? source.number),
      currencyCode: source.currency,
      status: defaults.send_as === 'approved' ? 'AUTHORISED' : 'DRAFT',
      lineItems,
    },
    ...(adjustment ? { adjustment } : {}),
  };
}

/** A sales credit note in xero-node's model shape. */
export interface XeroCreditNoteModel extends Omit<XeroInvoiceModel, 'type' | 'invoiceNumber'> {
  type: 'ACCRECCREDIT';
  creditNoteNumber?: string;
}

/** A sales credit note maps like a sales invoice (revenue side, customer), as Xero type ACCRECCREDIT (which takes no line discounts). */
export function toXeroCreditNote(
  doc: DocumentToPush,
  contactId: string,
  taxRates: readonly XeroTaxRate[],
): { creditNote: XeroCreditNoteModel; adjustment?: XeroAdjustment } | { errors: ProviderMessage[] } {
  const mapped = mapXeroDocument({ ...doc, kind: 'sales_invoice' }, contactId, taxRates, 'ACCRECCREDIT');
  if ('errors' in mapped) return mapped;
  const { type: _type, invoiceNumber, ...rest } = mapped.invoice;
  return {
    creditNote: { ...rest, type: 'ACCRECCREDIT', ...(invoiceNumber ? { creditNoteNumber: invoiceNumber } : {}) },
    ...(mapped.adjustment ? { adjustment: mapped.adjustment } : {}),
  };
}
