import type { DocumentKind, ProviderName } from '../db/schema.ts';

/**
 * Where a document can be opened in the provider's own web app, for the person who runs the
 * books. Both deep-link by the provider's id; payments in Xero have no page of their own.
 */
export function providerLink(provider: ProviderName, kind: DocumentKind, providerId: string | null): string | null {
  if (!providerId) return null;
  const id = encodeURIComponent(providerId);
  if (provider === 'xero') {
    if (kind === 'sales_invoice') return `https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID=${id}`;
    if (kind === 'supplier_bill') return `https://go.xero.com/AccountsPayable/View.aspx?InvoiceID=${id}`;
    if (kind === 'credit_note') return `https://go.xero.com/AccountsReceivable/ViewCreditNote.aspx?creditNoteID=${id}`;
    return null;
  }
  const page = { sales_invoice: 'invoice', supplier_bill: 'bill', credit_note: 'creditmemo', payment: 'recvpayment', refund: 'refundreceipt' }[kind];
  return `https://app.qbo.intuit.com/app/${page}?txnId=${id}`;
}
