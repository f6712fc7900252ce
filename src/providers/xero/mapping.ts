import type { SalesInvoiceSource, SupplierBillSource } from '../../ingest/ops-envelope.ts';
import type { DocumentToPush, ProviderMessage } from '../types.ts';
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

/**
 * Maps a document (its stored source snapshot and defaults snapshot) to a Xero invoice:
 * ACCREC for a sales invoice, ACCPAY for a supplier bill. Everything Xero would refuse for a
 * reason we can already see (no account, no fitting tax type) is reported per line instead.
 */
export function toXeroInvoice(
  doc: DocumentToPush,
  contactId: string,
  taxRates: readonly XeroTaxRate[],
): { invoice: XeroInvoiceModel } | { errors: ProviderMessage[] } {
  const isSale = doc.kind === 'sales_invoice';
  const source = doc.source as unknown as SalesInvoiceSource & Partial<SupplierBillSource>;
  const defaults = doc.defaults;
  const errors: ProviderMessage[] = [];
  const fallbackAccount = isSale ? defaults.sales_invoice_account : defaults.purchase_bill_account;

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
        side: isSale ? 'revenue' : 'expenses',
        lineRate: defaults.tax_treatment === 'output_tax' || defaults.tax_treatment === 'output_tax_reduced' ? line.tax_rate : undefined,
      });
      if ('error' in chosen) errors.push({ line: index, field: 'tax_rate', message: chosen.error });
      else taxType = chosen.taxType;
    } else {
      const chosen = chooseTaxType(taxRates, { treatment: 'no_tax', side: isSale ? 'revenue' : 'expenses' });
      if ('taxType' in chosen) taxType = chosen.taxType;
    }
    return {
      description: line.description,
      quantity: Number(line.quantity),
      unitAmount: Number(line.unit_price),
      accountCode: accountCode ?? '',
      taxType,
      ...(line.discount_rate !== undefined ? { discountRate: Number(line.discount_rate) } : {}),
    };
  });
  if (errors.length > 0) return { errors };

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
  };
}

/** A sales credit note in xero-node's model shape. */
export interface XeroCreditNoteModel extends Omit<XeroInvoiceModel, 'type' | 'invoiceNumber'> {
  type: 'ACCRECCREDIT';
  creditNoteNumber?: string;
}

/** A sales credit note maps like a sales invoice (revenue side, customer), as Xero type ACCRECCREDIT. */
export function toXeroCreditNote(
  doc: DocumentToPush,
  contactId: string,
  taxRates: readonly XeroTaxRate[],
): { creditNote: XeroCreditNoteModel } | { errors: ProviderMessage[] } {
  const mapped = toXeroInvoice({ ...doc, kind: 'sales_invoice' }, contactId, taxRates);
  if ('errors' in mapped) return mapped;
  const { type: _type, invoiceNumber, ...rest } = mapped.invoice;
  return { creditNote: { ...rest, type: 'ACCRECCREDIT', ...(invoiceNumber ? { creditNoteNumber: invoiceNumber } : {}) } };
}
